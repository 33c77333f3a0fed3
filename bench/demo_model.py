"""The demo models as `make run` trains them, measured on the demo's gold and on held-out demo-like
dialogues; one JSON line.

    python bench/demo_model.py [--stage quick|full|both] [--precision auto|fp32|bf16] [--threads N]
                               [--training-dialogues N] [--held-out-dialogues 1000]

In a fresh database: the demo's training data (``setup_demo``'s simulated dialogues of other people,
same seed and size), the demo dataset itself (the people the demo shows, never trained on) and a larger
held-out set of other people again. Then each stage trains through ``model_train`` with its preset, as
the demo's jobs do (``demo_quick``: time-boxed; ``demo``: the full model), and ``model_evaluate``
measures it on both held-out sets. Prints, per stage, the metrics, the wall and CPU time of training,
the steps it reached and whether its time cap cut it short, with the CPU's model name and flags and
the precision "auto" chose there. The full model's targets, on the demo's gold: intent accuracy >= 90%,
slot F1 >= 85, failure point accuracy >= 85%.

``--precision fp32`` on a machine with bf16 in hardware measures what a CPU without it gets (the
AVX2-only kind of machine), short of running there.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, emit, fresh_database, peak_rss_mb

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

TARGETS = {"intent_accuracy": 0.90, "slot_f1": 0.85, "failure_point_accuracy": 0.85}
REPORTED = (
    "intent_accuracy",
    "slot_f1",
    "failure_point_accuracy",
    "failure_point_macro_f1",
    "rephrase_f1",
    "defect_f1",
    "goal_boundary_f1",
    "goal_success_accuracy",
)
HELD_OUT_SEED = 909
STAGES = {"quick": ("demo-quick", "demo_quick"), "full": ("demo", "demo")}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def train_and_measure(
    stage: str, training: Any, held_out_sets: list[Any], args: argparse.Namespace
) -> dict[str, Any]:
    """Train one stage's model as its job does and measure it on each held-out set."""
    from models_app.ml.config import ModelConfig, TrainConfig
    from models_app.services import model_evaluate, model_train

    name, preset = STAGES[stage]
    config = TrainConfig.preset(preset)
    if args.precision:
        config.precision = args.precision
    if args.threads:
        config.threads = args.threads
    cpu_before, started = cpu_seconds(), time.perf_counter()
    model = model_train(
        name=name, datasets=[training], train_config=config, model_config=ModelConfig.for_preset(preset)
    )
    train_seconds, train_cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
    history = model.config.get("history", {})
    evaluations = {}
    for dataset in held_out_sets:
        metrics = model_evaluate(dataset=dataset, model_version=model)
        evaluations[dataset.name] = {
            "dialogues": metrics["dialogues"],
            **{key: round(float(metrics[key]), 4) for key in REPORTED if key in metrics},
        }
    demo = evaluations["demo"]
    return {
        "preset": preset,
        "precision": history.get("precision"),
        "threads": history.get("threads"),
        "steps": history.get("steps"),
        "total_steps": history.get("total_steps"),
        "cut_short": history.get("stopped_at_max_seconds"),
        "train_s": round(train_seconds, 1),
        "train_cpu_min": round(train_cpu / 60, 1),
        "evaluations": evaluations,
        "met_on_demo": {key: demo.get(key, 0.0) >= target for key, target in TARGETS.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=("quick", "full", "both"), default="both")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: the preset's)")
    parser.add_argument("--training-dialogues", type=int, default=None)
    parser.add_argument("--held-out-dialogues", type=int, default=1000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder, fresh_database():
        from django.conf import settings

        from models_app.management.commands.setup_demo import DEMO_DATASET, DEMO_TRAINING_DATASET
        from models_app.ml.hardware import cpu_info
        from models_app.recipes.defaults import DEMO_DIALOGUES, DEMO_SEED, DEMO_TRAINING
        from models_app.recipes.run import simulated_dataset

        settings.SELFLEARN_MODELS_DIR = Path(folder) / "models"
        dialogues = args.training_dialogues or DEMO_TRAINING.dialogues
        started = time.perf_counter()
        training = simulated_dataset(
            DEMO_TRAINING_DATASET,
            dialogues,
            users=max(10, dialogues // 10),
            seed=DEMO_TRAINING.seed,
            profile=DEMO_TRAINING.profile,
        )
        demo = simulated_dataset(DEMO_DATASET, DEMO_DIALOGUES, users=40, seed=DEMO_SEED)
        held_out = simulated_dataset(
            "demo-like-held-out", args.held_out_dialogues, users=100, seed=HELD_OUT_SEED
        )
        data_seconds = time.perf_counter() - started
        stages = ("quick", "full") if args.stage == "both" else (args.stage,)
        measured = {stage: train_and_measure(stage, training, [demo, held_out], args) for stage in stages}
        emit(
            {
                "benchmark": "demo_model",
                **cpu_info().describe(),
                "train_dialogues": dialogues,
                "data_s": round(data_seconds, 1),
                "stages": measured,
                "targets": TARGETS,
                "peak_rss_mb": peak_rss_mb(),
            }
        )


if __name__ == "__main__":
    main()
