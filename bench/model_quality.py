"""Run both training recipes in a fresh database and print one JSON line with their evaluations.

    python bench/model_quality.py [--recipes snips dialogues] [--max-minutes 19]

- snips: SNIPS train, selected on SNIPS valid, evaluated on SNIPS valid
  (targets: intent accuracy >= 0.986, slot F1 >= 0.970, under 20 minutes of training on 2 cores);
- dialogues: real dialogues (SGD) and the NLU corpora (SNIPS, HWU64, SLURP) beside simulated
  dialogues and single commands, jointly; evaluated on held-out *real* splits (SGD, HWU64 and SLURP
  test, SNIPS valid) and on held-out simulated dialogues and commands. ``real_vs_simulated`` puts each
  metric's figures side by side, so that nobody tunes to the simulator again (targets on real data:
  goal boundary F1 >= 0.90, home-assistant intent accuracy >= 0.90; simulated figures no more than a
  point below the last release's). ``failure_points`` gives, per set with gold failure points, the
  accuracy, macro F1, F1 per failure point and the confusion matrix beside always-"none" (targets on
  the simulated single commands: macro F1 >= 0.75, entity F1 >= 0.5, no class under 0.4).
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
    sys.path.insert(0, str(ROOT))
    from models_app.recipes.arguments import add_recipe_arguments, recipe_configs

    add_recipe_arguments(parser)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder, fresh_database():
        from django.conf import settings

        from models_app.recipes.run import run_recipe

        settings.SELFLEARN_MODELS_DIR = Path(folder) / "models"
        results = {}
        for recipe in args.recipes:
            configs = recipe_configs(recipe, vars(args))
            started = time.perf_counter()
            metrics = run_recipe(
                recipe,
                data_dir=args.data_dir,
                train_config=configs.train_config,
                model_config=configs.model_config,
                train_dialogues=args.train_dialogues,
                test_dialogues=args.test_dialogues,
                real_dialogues=args.real_dialogues,
                command_dialogues=args.command_dialogues,
                unlabelled_dialogues=args.unlabelled_dialogues,
            )
            if recipe == "dialogues":
                metrics["real_vs_simulated"] = real_vs_simulated(metrics)
                metrics["failure_points"] = failure_point_table(metrics)
            metrics["options"] = {
                "train_config": configs.train_config.asdict(),
                "model_config": configs.model_config.asdict() if configs.model_config else "the recipe's",
                "unlabelled_dialogues": args.unlabelled_dialogues,
            }
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
    "preference_statement_f1",
    "preference_value_overlap",
)


def real_vs_simulated(metrics: dict) -> dict[str, dict[str, object]]:
    """Each metric on the simulated test sets and on every real held-out set that has gold for it,
    each beside its trivial baseline on the same gold (``"sgd": 0.91, "sgd_baseline": {...}``); a
    figure under its baseline is marked ``"sgd_under_baseline": true``."""
    table: dict[str, dict[str, object]] = {}
    sets = {"simulated": metrics["simulated"], "simulated_commands": metrics["simulated_commands"]}
    sets.update(metrics["real"])
    for name in SIDE_BY_SIDE:
        row: dict[str, object] = {}
        for where, scores in sets.items():
            value = scores.get(name)
            if value is None:
                continue
            row[where] = round(value, 4)
            baseline = scores.get("baselines", {}).get(name)
            if baseline:
                row[f"{where}_baseline"] = {what: round(score, 4) for what, score in baseline.items()}
                row[f"{where}_under_baseline"] = value < max(baseline.values())
        table[name] = row
    return table


def failure_point_table(metrics: dict) -> dict[str, dict[str, object]]:
    """Per set that has gold failure points: accuracy, macro F1, F1 per failure point and the
    confusion matrix (gold rows, predicted columns), beside always-"none" on the same gold."""
    sets = {"simulated": metrics["simulated"], "simulated_commands": metrics["simulated_commands"]}
    sets.update(metrics["real"])
    table: dict[str, dict[str, object]] = {}
    for where, scores in sets.items():
        if "failure_point_accuracy" not in scores:
            continue
        baselines = scores.get("baselines", {})
        table[where] = {
            "accuracy": round(scores["failure_point_accuracy"], 4),
            "macro_f1": round(scores["failure_point_macro_f1"], 4),
            "per_class_f1": {name: round(value, 4) for name, value in scores["failure_point_f1"].items()},
            "confusion": scores.get("failure_point_confusion"),
            "always_none_accuracy": baselines.get("failure_point_accuracy", {}).get("always_none"),
            "always_none_macro_f1": baselines.get("failure_point_macro_f1", {}).get("always_none"),
            "turns": scores.get("counts", {}).get("failure_point_turns"),
        }
    return table


if __name__ == "__main__":
    main()
