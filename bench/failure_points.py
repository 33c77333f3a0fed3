"""Failure points on simulated single voice commands and dialogues, with and without the evidence a
human annotator uses (plausibility of the heard words, the model's own reading against the
assistant's, the entity evidence read directly by the failure point head); one JSON line per variant.

    python bench/failure_points.py [--variants before after] [--max-minutes 4] [--threads 1]
                                   [--command-dialogues 1200] [--dialogues 300] [--test-dialogues 500]

No database: the simulator writes the dialogues (the phonetic recogniser's slips and the weaker real
classifier's misreadings, simulator.asr and simulator.nlu), ``single_commands`` turns their requests
into single commands, and the model trains on the commands beside the dialogues for a short, capped
time. Each variant is scored on held-out commands and dialogues (other seeds, other people): failure
point accuracy, macro F1, F1 per class and the confusion matrix, each beside always-"none".
``before`` is the model as it was (entity evidence among the turn's numbers only); ``joint_evidence``
adds the plausibility features and the failure point head's direct evidence; ``after`` also fits the
failure point's second stage on the held-out tenth (models_app.ml.heads.FailureStage), weighing rare
failure points halfway up (the default; ``after_fully_balanced`` weighs them alike). The word model
is built from the corpora's training splits once and cached (``--word-model``).

A short run on a shared 2-core machine is far below the full recipe (bench/model_quality.py, 45
minutes); what it measures is the difference the evidence makes at the same budget.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, emit, peak_rss_mb

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Not a label model: the evidence alone, read by gradient boosting (what the evidence can tell without
# the text encoder), with a TF-IDF logistic regression trained on the same commands as the "own
# reading" of the words in place of the model's intent head.
EVIDENCE_ONLY = "evidence_only"
VARIANTS = {
    "before": {"plausibility_features": False, "failure_evidence": False, "failure_stage": False},
    "joint_evidence": {"plausibility_features": True, "failure_evidence": True, "failure_stage": False},
    "after": {"plausibility_features": True, "failure_evidence": True, "failure_stage": True},
    # Every failure point weighed alike in the second stage (more failures found, more fine turns flagged).
    "after_fully_balanced": {
        "plausibility_features": True,
        "failure_evidence": True,
        "failure_stage": True,
        "failure_stage_balance": 1.0,
    },
    # What the plausibility adds: the second stage without it.
    "after_without_plausibility": {
        "plausibility_features": False,
        "failure_evidence": True,
        "failure_stage": True,
    },
}


def _simulated(
    folder: Path, name: str, dialogues: int, seed: int, data_dir: Path, profile: str
) -> list[dict]:
    from simulator.cli import main as simulate

    path = folder / f"{name}.jsonl"
    simulate(
        [
            "--dialogues",
            str(dialogues),
            "--users",
            str(max(10, dialogues // 8)),
            "--seed",
            str(seed),
            "--profile",
            profile,
            "--data-dir",
            str(data_dir),
            "--out",
            str(path),
        ]
    )
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def failure_point_report(examples: list[Any], predictions: list[Any]) -> dict[str, Any]:
    """The failure point figures of ``predictions`` beside always-"none" on the same gold."""
    from models_app.ml.baselines import trivial_baselines
    from models_app.ml.metrics import evaluate

    metrics = evaluate(examples, predictions)
    baselines = trivial_baselines(examples)
    return {
        "accuracy": round(metrics["failure_point_accuracy"], 4),
        "macro_f1": round(metrics["failure_point_macro_f1"], 4),
        "per_class_f1": {k: round(v, 4) for k, v in metrics["failure_point_f1"].items()},
        "confusion": metrics["failure_point_confusion"],
        "always_none_accuracy": round(baselines["failure_point_accuracy"]["always_none"], 4),
        "always_none_macro_f1": round(baselines["failure_point_macro_f1"]["always_none"], 4),
        "turns": metrics["counts"]["failure_point_turns"],
        "intent_accuracy": round(metrics.get("intent_accuracy", 0.0), 4),
    }


def _evidence_rows(examples: list[Any], word_model: Any, reader: Any) -> tuple[list[list[float]], list[str]]:
    import numpy as np

    from models_app.ml.evidence import entity_evidence

    rows, gold = [], []
    intents = list(reader.classes_)
    for example in examples:
        for turn, target in zip(example.turns, example.targets or [None] * len(example.turns), strict=True):
            if target is None or target.failure_point is None:
                continue
            probabilities = reader.predict_proba([turn.utterance])[0]
            known = turn.intent in intents
            chosen = float(probabilities[intents.index(turn.intent)]) if known else 0.0
            best = int(np.argmax(probabilities))
            rows.append(
                [
                    *entity_evidence(turn),
                    *word_model.features(turn.utterance),
                    turn.asr_confidence if turn.asr_confidence is not None else -1.0,
                    turn.nlu_confidence if turn.nlu_confidence is not None else -1.0,
                    float(known),
                    chosen,
                    float(probabilities[best]),
                    float(known and intents[best] == turn.intent),
                    float(len(turn.utterance.split())),
                    float(bool(turn.response)),
                ]
            )
            gold.append(target.failure_point)
    return rows, gold


def evidence_only(train: list[Any], test_sets: dict[str, list[Any]], word_model: Any) -> dict[str, Any]:
    """The evidence alone (no text encoder), each test set scored as the label model is."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
    from sklearn.pipeline import make_pipeline

    started = time.perf_counter()
    said = [
        (turn.utterance, target.intent)
        for example in train
        for turn, target in zip(example.turns, example.targets or [], strict=False)
        if target is not None and target.intent
    ]
    reader = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=300)
    )
    reader.fit([text for text, _ in said], [intent for _, intent in said])
    rows, gold = _evidence_rows(train, word_model, reader)
    classifier = HistGradientBoostingClassifier(class_weight="balanced", random_state=0).fit(rows, gold)
    result: dict[str, Any] = {"benchmark": "failure_points", "variant": EVIDENCE_ONLY}
    for name, examples in test_sets.items():
        test_rows, test_gold = _evidence_rows(examples, word_model, reader)
        predicted = list(classifier.predict(test_rows))
        labels = [
            label
            for label in ("none", "false_wake", "asr", "nlu", "entity", "result")
            if label in {*test_gold, *predicted}
        ]
        result[name] = {
            "accuracy": round(float(accuracy_score(test_gold, predicted)), 4),
            "macro_f1": round(
                float(f1_score(test_gold, predicted, labels=labels, average="macro", zero_division=0)), 4
            ),
            "per_class_f1": {
                label: round(float(value), 4)
                for label, value in zip(
                    labels,
                    f1_score(test_gold, predicted, labels=labels, average=None, zero_division=0),
                    strict=True,
                )
            },
            "confusion": {
                "labels": labels,
                "matrix": confusion_matrix(test_gold, predicted, labels=labels).tolist(),
            },
            "turns": len(test_gold),
        }
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--variants", nargs="+", default=["before", "after"], choices=sorted([*VARIANTS, EVIDENCE_ONLY])
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--word-model", type=Path, default=Path(tempfile.gettempdir()) / "selflearn-words.txt.gz"
    )
    parser.add_argument(
        "--command-dialogues", type=int, default=1200, help="dialogues giving training commands"
    )
    parser.add_argument("--dialogues", type=int, default=300, help="simulated dialogues trained beside them")
    parser.add_argument(
        "--test-dialogues", type=int, default=500, help="held-out dialogues (and their commands)"
    )
    parser.add_argument("--max-minutes", type=float, default=4.0, help="training time cap per variant")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    import torch

    from models_app.ml.config import ModelConfig, TrainConfig
    from models_app.ml.format_adapter import example_from_format
    from models_app.ml.predict import predict_with
    from models_app.ml.train import train_model
    from models_app.recipes.commands import single_commands
    from models_app.recipes.defaults import DIALOGUES_CONTEXT_FIELDS
    from models_app.recipes.plausibility import cached_word_model

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    word_model = cached_word_model(args.data_dir, args.word_model)
    word_model_seconds = round(time.perf_counter() - started, 1)
    with tempfile.TemporaryDirectory(prefix="selflearn-failures-") as folder:
        where = Path(folder)
        source = _simulated(
            where, "commands-train", args.command_dialogues, 404, args.data_dir, "failure_heavy"
        )
        dialogues = _simulated(where, "dialogues-train", args.dialogues, 101, args.data_dir, "realistic")
        test_source = _simulated(where, "test", args.test_dialogues, 505, args.data_dir, "failure_heavy")
        realistic_test = _simulated(
            where, "test-realistic", args.test_dialogues, 303, args.data_dir, "realistic"
        )
    train = [example_from_format(d) for d in [*single_commands(source), *dialogues]]
    test_sets = {
        "simulated_commands": [example_from_format(d) for d in single_commands(test_source)],
        "simulated_dialogues": [example_from_format(d) for d in realistic_test],
    }
    for variant in args.variants:
        if variant == EVIDENCE_ONLY:
            emit(evidence_only(train, test_sets, word_model))
            continue
        model_config = ModelConfig(context_fields=DIALOGUES_CONTEXT_FIELDS, **VARIANTS[variant])
        train_config = TrainConfig(
            epochs=args.epochs,
            max_seconds=args.max_minutes * 60,
            threads=args.threads,
            precision="auto",
            field_dropout=0.2,
        )
        cpu_before = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        clock = time.perf_counter()
        trained = train_model(train, None, model_config, train_config, word_model=word_model)
        result: dict[str, Any] = {
            "benchmark": "failure_points",
            "variant": variant,
            "model_config": {key: VARIANTS[variant][key] for key in VARIANTS[variant]},
            "train_turns": sum(len(e.turns) for e in train),
            "training": {
                key: trained.history.get(key)
                for key in ("steps", "total_steps", "epochs_reached", "seconds", "stopped_at_max_seconds")
            },
            "train_wall_seconds": round(time.perf_counter() - clock, 1),
            "train_cpu_seconds": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu_before, 1),
            "word_model_seconds": word_model_seconds,
            "word_model_sentences": len(word_model.sentences),
        }
        for name, examples in test_sets.items():
            result[name] = failure_point_report(examples, predict_with(trained, examples))
        result["load_average"] = [round(value, 2) for value in os.getloadavg()]
        result["peak_rss_mb"] = peak_rss_mb()
        emit(result)


if __name__ == "__main__":
    main()
