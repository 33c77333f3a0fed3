"""Label about 10,000 simulated turns end to end (database in, database out) with fp32, bf16 autocast and
int8 dynamic quantisation; print one JSON line with turns/s, the metric change each precision costs,
and the raw encoder's rate on the same utterances for comparison.

    python bench/label_throughput.py [--turns 10000] [--model-dir var/models/demo] [--precisions bf16]

Without --model-dir it first trains a quick MiniLM model on other simulated dialogues (a few minutes);
the figures are about speed, so the model need not be a good one.
Target: end to end at least 85% of the raw encoder's rate in the precision the CPU supports
best (``auto_precision``). Each chunk is written while the next is encoded (``iter_proposals``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import database_backend, emit, fresh_database, peak_rss_mb

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

METRICS_COMPARED = ("intent_accuracy", "slot_f1", "failure_point_accuracy", "goal_boundary_f1", "rephrase_f1")


def raw_encoder_rate(pairs: list[tuple[str, str]], precision: str, batch_size: int = 64) -> float:
    """Turns/s of the bare encoder forward pass over exactly what the model encodes per turn (the
    utterance paired with its context text, cut to the model's token budget), length-sorted batches,
    no features, no heads, no database: the ceiling the whole pipeline is compared with."""
    import torch

    from models_app.ml.config import ModelConfig
    from models_app.ml.encoder import load_pretrained_encoder, load_tokenizer

    tokenizer, encoder = load_tokenizer(None), load_pretrained_encoder(None).eval()
    max_tokens = ModelConfig().max_tokens
    ordered = sorted(pairs, key=lambda pair: len(pair[0]) + len(pair[1]))
    started = time.perf_counter()
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
        for start in range(0, len(ordered), batch_size):
            batch = ordered[start : start + batch_size]
            tokens = tokenizer(
                [utterance for utterance, _ in batch],
                [context for _, context in batch],  # an empty context costs one separator token
                padding=True,
                truncation=True,
                max_length=max_tokens,
                return_tensors="pt",
            )
            encoder(**tokens)
    return len(ordered) / (time.perf_counter() - started)


def encoded_pairs(dataset, context_fields: tuple[str, ...]) -> list[tuple[str, str]]:
    """(utterance, context text) of every turn, as the model's featurizer builds them."""
    from annotations.models import Dialogue
    from models_app.examples import labelling_chunk
    from models_app.ml.tokenization import context_text

    ids = list(Dialogue.objects.filter(dataset=dataset).values_list("id", flat=True))
    return [
        (turn.utterance, context_text(example.turns, position, context_fields))
        for example in labelling_chunk(ids).examples
        for position, turn in enumerate(example.turns)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--model-dir", type=Path, help="a trained checkpoint to use instead of training one")
    parser.add_argument(
        "--precisions", nargs="+", choices=("fp32", "bf16", "int8"), default=["fp32", "bf16", "int8"]
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder, fresh_database():
        from django.conf import settings

        from annotations.models import Label, Turn
        from models_app.ml.config import TrainConfig
        from models_app.models import ModelVersion
        from models_app.predictors import _load
        from models_app.services import label_dataset, model_evaluate, model_train

        settings.SELFLEARN_MODELS_DIR = Path(folder) / "models"
        dataset = _simulated("bench", args.turns // 3, 7)
        turns = Turn.objects.filter(dialogue__dataset=dataset).count()
        if args.model_dir:
            model = ModelVersion.objects.create(
                name="bench", checkpoint_path=str(args.model_dir), tasks=_tasks_of(args.model_dir)
            )
        else:
            training = _simulated("train", 300, 8)
            model = model_train(name="bench", datasets=[training], train_config=TrainConfig.demo())

        # The bare encoder is timed before and after the labelling, and the two averaged: one
        # measurement moved the share by 20 points as the machine's state drifted between them.
        context_fields = _load(model.checkpoint_path, "fp32").trained.model_config.context_fields
        pairs = encoded_pairs(dataset, tuple(context_fields))
        measured = [precision for precision in ("fp32", "bf16") if precision in args.precisions]
        raw_rates = {precision: [raw_encoder_rate(pairs, precision)] for precision in measured}
        results: dict[str, dict] = {}
        for precision in args.precisions:
            _load(model.checkpoint_path, precision)  # loading is once per worker process: not timed
            timings = []
            for _ in range(3):
                Label.objects.filter(model_version=model).delete()
                started = time.perf_counter()
                label_dataset(dataset=dataset, model_version=model, precision=precision)
                timings.append(time.perf_counter() - started)
            metrics = model_evaluate(dataset=dataset, model_version=model, precision=precision)
            results[precision] = {
                "turns_per_s": round(turns / statistics.median(timings), 1),
                **{key: metrics.get(key) for key in METRICS_COMPARED},
            }
        compared = [precision for precision in ("bf16", "int8") if precision in results and "fp32" in results]
        for precision in compared:
            results[precision]["metric_change_vs_fp32"] = {
                key: round(results[precision][key] - results["fp32"][key], 4)
                for key in METRICS_COMPARED
                if results[precision].get(key) is not None and results["fp32"].get(key) is not None
            }
        for precision in measured:
            raw_rates[precision].append(raw_encoder_rate(pairs, precision))
        raw = {precision: round(statistics.mean(rates), 1) for precision, rates in raw_rates.items()}
        from models_app.ml.hardware import AUTO, cpu_info, resolve_precision

        emit(
            {
                "benchmark": "label_throughput",
                "database": database_backend(),
                # The CPU and its flags, and the precision "auto" (the default) chose on it.
                **cpu_info().describe(),
                "auto_precision": resolve_precision(AUTO),
                "turns": turns,
                "precisions": results,
                "context_fields": list(context_fields),
                "raw_encoder_turns_per_s": raw,
                "raw_encoder_before_and_after": {
                    precision: [round(rate, 1) for rate in rates] for precision, rates in raw_rates.items()
                },
                "end_to_end_share_of_raw": {
                    precision: round(results[precision]["turns_per_s"] / raw[precision], 3)
                    for precision in raw
                },
                "peak_rss_mb": peak_rss_mb(),
            }
        )


def _simulated(name: str, dialogues: int, seed: int):
    from models_app.recipes.run import simulated_dataset

    return simulated_dataset(name, dialogues, users=max(10, dialogues // 8), seed=seed)


def _tasks_of(model_dir: Path) -> list[str]:
    from models_app.ml.checkpoint import load_trained

    return ["goal_segments" if task == "goals" else task for task in load_trained(model_dir).tasks]


if __name__ == "__main__":
    main()
