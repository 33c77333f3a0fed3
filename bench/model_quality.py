"""Run both training recipes in a fresh database and print one JSON line with their evaluations.

    python bench/model_quality.py [--recipes snips dialogues] [--max-minutes 19]

- snips: SNIPS train, selected on SNIPS valid, evaluated on SNIPS valid
  (targets: intent accuracy >= 0.986, slot F1 >= 0.970, under 20 minutes of training on 2 cores);
- dialogues: real dialogues (SGD) and the NLU corpora (SNIPS, HWU64, SLURP) beside simulated
  dialogues and single commands, jointly; evaluated on held-out *real* splits (SGD, HWU64 and SLURP
  test, SNIPS valid) and on held-out simulated dialogues and commands. ``real_vs_simulated`` puts each
  metric's figures side by side, so that nobody tunes to the simulator again (targets on real data:
  goal boundary F1 >= 0.90, home-assistant intent accuracy >= 0.90; simulated figures no more than a
  point below the last release's).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, emit, fresh_database, peak_rss_mb

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--recipes", nargs="+", default=["snips", "dialogues"], choices=["snips", "dialogues"]
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--max-minutes", type=float, help="cap each recipe's training time")
    parser.add_argument("--train-dialogues", type=int, default=4000)
    parser.add_argument("--test-dialogues", type=int, default=1000)
    parser.add_argument("--real-dialogues", type=int, default=1500, help="SGD dialogues to train on")
    parser.add_argument(
        "--command-dialogues", type=int, default=1500, help="simulated dialogues giving single commands"
    )
    parser.add_argument("--field-dropout", type=float, help="share of dialogues losing each log field")
    parser.add_argument(
        "--context-fields",
        nargs="+",
        choices=["response", "previous", "next", "nlu"],
        help="texts paired with each utterance (default: the model's default)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder, fresh_database():
        from django.conf import settings

        from models_app.ml.config import ModelConfig, TrainConfig
        from models_app.recipes.run import run_recipe

        settings.SELFLEARN_MODELS_DIR = Path(folder) / "models"
        results = {}
        for recipe in args.recipes:
            config = TrainConfig.snips() if recipe == "snips" else TrainConfig.dialogues()
            if args.max_minutes is not None:
                config.max_seconds = args.max_minutes * 60
            if args.field_dropout is not None:
                config.field_dropout = args.field_dropout
            # Each recipe's own default context unless told otherwise.
            model_config = (
                ModelConfig(context_fields=tuple(args.context_fields)) if args.context_fields else None
            )
            started = time.perf_counter()
            metrics = run_recipe(
                recipe,
                data_dir=args.data_dir,
                train_config=config,
                model_config=model_config,
                train_dialogues=args.train_dialogues,
                test_dialogues=args.test_dialogues,
                real_dialogues=args.real_dialogues,
                command_dialogues=args.command_dialogues,
            )
            if recipe == "dialogues":
                metrics["real_vs_simulated"] = real_vs_simulated(metrics)
            metrics["context_fields"] = args.context_fields or "the recipe's default"
            metrics["wall_seconds"] = round(time.perf_counter() - started, 1)
            results[recipe] = metrics
        emit({"benchmark": "model_quality", "recipes": results, "peak_rss_mb": peak_rss_mb()})


SIDE_BY_SIDE = (
    "intent_accuracy",
    "slot_f1",
    "goal_boundary_f1",
    "failure_point_accuracy",
    "failure_point_macro_f1",
    "rephrase_f1",
    "defect_f1",
    "goal_success_accuracy",
)


def real_vs_simulated(metrics: dict) -> dict[str, dict[str, float]]:
    """Each metric on the simulated test set and on every real held-out set that has gold for it."""
    table: dict[str, dict[str, float]] = {}
    for name in SIDE_BY_SIDE:
        row = {
            "simulated": metrics["simulated"].get(name),
            "simulated_commands": metrics["simulated_commands"].get(name),
        }
        row.update({real: scores.get(name) for real, scores in metrics["real"].items()})
        table[name] = {where: round(value, 4) for where, value in row.items() if value is not None}
    return table


if __name__ == "__main__":
    main()
