"""Teachable AI on simulated held-out people: statements found, next requests resolved, guided sessions
completed, and the resolver's latency at scale. One JSON line.

    python bench/teachable.py [--test-dialogues 600] [--max-minutes 4] [--latency-users 1000 100000]

- **statement extraction** (precision, recall, F1; exact domain, key and value): a model trained with
  the demo preset on simulated dialogues of *other* people labels the held-out dialogues; each stated
  value is resolved through the store's catalogues as the product does, and compared with the
  simulator's gold ``preferences`` (also resolved).
- **next-request accuracy**: the held-out logs are replayed in time order. At each request that leaves
  a preference implicit ("what's the weather", "put the game on", "play some music"), the person's
  words (gold intent and slots: what they said, not what the simulated assistant guessed) go through
  ``reading_resolve``, and the reading is right when its slot holds what the person meant
  (``metadata.truth``). The store holds only what was taught *before* that request: from the model's
  statements, from the gold statements (the ceiling of extraction), and empty (the baseline).
- **guided Q&A**: each held-out person walks the default question set, answering as the simulator's
  people answer ("i follow the giants", "we're in springfield"), choosing when asked which one, and
  saying yes to a right confirmation; a session succeeds when every preference it stored is the
  person's true one and nothing else was stored.
- **resolve latency**: ``POST /api/datasets/{name}/resolve/`` through Django's test Client (the whole
  server side: middleware, authentication, the role check, the store, the rules, the catalogue) with
  N people in the store, p50 and p99 in milliseconds (target: p99 at most 10 ms at 100,000 people).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, database_backend, emit, fresh_database, peak_rss_mb

sys.path.insert(0, str(ROOT))

TRUTH_KEYS = {"favorite_team": "team", "home_city": "city", "cuisine": "cuisine", "music_genre": "genre"}
# The preference each preference-shaped intent leans on (as teachable's default resolution rules say).
IMPLICIT_KEY = {
    "weather_query": "city",
    "sports_query": "team",
    "sports_watch": "team",
    "play_music": "genre",
}


def _simulate(path: Path, dialogues: int, users: int, seed: int) -> None:
    from simulator.cli import main as simulator

    with contextlib.redirect_stdout(sys.stderr):
        arguments = ["--dialogues", str(dialogues), "--users", str(users), "--seed", str(seed)]
        simulator([*arguments, "--out", str(path)])


def _import(path: Path, name: str) -> Any:
    from annotations.formats.importing import ImportSource, import_dialogues
    from annotations.services import dataset_get_or_create

    dataset = dataset_get_or_create(name=name)
    import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
    return dataset


def _resolved(key: str, value: str) -> str:
    from teachable.services.preferences import value_resolve

    try:
        return value_resolve(key, value)[0]
    except Exception:
        return value


def _statement_set(items: list[dict[str, Any]]) -> set[tuple[str, str, str, str]]:
    return {
        (item["domain"], item["key"], item.get("polarity") or "like", _resolved(item["key"], item["value"]))
        for item in items
    }


def extraction_scores(gold: list[set[tuple]], found: list[set[tuple]]) -> dict[str, float]:
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.preprocessing import MultiLabelBinarizer

    binarizer = MultiLabelBinarizer().fit(gold + found)
    precision, recall, f1, _ = precision_recall_fscore_support(
        binarizer.transform(gold), binarizer.transform(found), average="micro", zero_division=0
    )
    return {
        "precision": round(float(precision), 4),
        "recall": round(float(recall), 4),
        "f1": round(float(f1), 4),
    }


def replay(
    lines: list[dict[str, Any]],
    statements: dict[tuple[str, str], list[dict[str, Any]]],
    dataset: Any,
    taught: dict[tuple[str, str], list[dict[str, Any]]],
) -> dict[str, Any]:
    """Next-request accuracy: requests resolved with the store of what ``statements`` taught before
    them; over every preference-shaped request, and over those made after the person had taught that
    preference (per ``taught``, the gold), which is what a store can at best get right."""
    from teachable.selectors import reading_resolve
    from teachable.services import PreferenceInput, preference_learn

    right = total = right_after = total_after = 0
    known_keys: set[tuple[str, str]] = set()  # (user, key) taught so far, per the gold
    for data in sorted(lines, key=lambda d: (d.get("started_at") or "", d["id"])):
        labels = data.get("labels") or {}
        turn_labels = labels.get("turns") or {}
        truth_goals = (data.get("metadata") or {}).get("truth", {}).get("goals", [])
        for goal, truth in zip(labels.get("goals") or [], truth_goals, strict=False):
            implicit = truth.get("implicit")
            if not implicit:
                continue
            first = turn_labels.get(goal["turns"][0], {})
            intent = first.get("intent")
            said = [{"type": s["type"], "value": s.get("value", "")} for s in first.get("slots") or []]
            reading = reading_resolve(dataset, data["user_id"], intent, said)
            filled = [s["value"] for s in reading.slots if s.get("source") == "preference"]
            correct = int(bool(filled) and filled[0] == implicit)
            total += 1
            right += correct
            if (data["user_id"], IMPLICIT_KEY.get(intent or "")) in known_keys:
                total_after += 1
                right_after += correct
        for turn in data["turns"]:
            for item in taught.get((data["id"], turn["id"]), []):
                known_keys.add((data["user_id"], item["key"]))
            for item in statements.get((data["id"], turn["id"]), []):
                with contextlib.suppress(Exception):
                    preference_learn(
                        dataset=dataset,
                        user_key=data["user_id"],
                        data=PreferenceInput(
                            item["domain"], item["key"], item["value"], item.get("polarity") or "like"
                        ),
                        strict=False,
                    )
    return {
        "requests": total,
        "accuracy": round(right / total, 4) if total else 0.0,
        "requests_after_teaching": total_after,
        "accuracy_after_teaching": round(right_after / total_after, 4) if total_after else 0.0,
    }


def guided_sessions(lines: list[dict[str, Any]], dataset: Any, seed: int) -> dict[str, Any]:
    from simulator.catalogues import Catalogues
    from simulator.templates import ANSWERS
    from teachable.models import Preference
    from teachable.payload import guided_session_turn
    from teachable.selectors import question_set_get
    from teachable.services import guided_session_answer, guided_session_start

    rng = random.Random(seed)
    entities = {e.value: e for group in Catalogues().groups for e in group}
    people: dict[str, dict[str, str]] = {}
    for data in lines:
        people.setdefault(data["user_id"], (data.get("metadata") or {}).get("user_preferences", {}))
    question_set = question_set_get(dataset, "learn-my-preferences")
    succeeded = 0
    turns_taken: list[int] = []
    for user_key, truth in sorted(people.items()):
        Preference.objects.filter(dataset=dataset, user_key=user_key).delete()
        session = guided_session_start(dataset=dataset, user_key=user_key, question_set=question_set)
        want = {TRUTH_KEYS[name]: value for name, value in truth.items() if name in TRUTH_KEYS}
        turns = 0
        turn = guided_session_turn(session)
        while not turn["ended"] and turns < 30:
            key = turn["question"]["key"]
            entity = entities.get(want[key])
            if turn["status"] == "confirming":
                answer = "yes" if turn["understood"]["value"] == want[key] else "no"
            elif turn["choices"]:
                answer = entity.specific if entity else want[key]
            else:
                spoken = entity.spoken if entity else want[key]
                template = ANSWERS[key][int(rng.random() * len(ANSWERS[key]))]
                answer = template.format(**{key: spoken})
            session = guided_session_answer(session=session, answer=answer)
            turn = guided_session_turn(session)
            turns += 1
        stored = {
            (p.key, p.value)
            for p in Preference.objects.filter(dataset=dataset, user_key=user_key, active=True)
        }
        succeeded += int(turn["ended"] and stored == set(want.items()))
        turns_taken.append(turns)
    return {
        "sessions": len(people),
        "success_rate": round(succeeded / len(people), 4) if people else 0.0,
        "median_answers": statistics.median(turns_taken) if turns_taken else 0,
    }


def resolve_latency(users: int, requests: int, seed: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from annotations.models import Dataset, Membership, Role
    from teachable.models import Preference
    from teachable.services import teachable_dataset_prepare

    dataset = Dataset.objects.create(name=f"latency-{users}")
    teachable_dataset_prepare(dataset=dataset)
    rows = []
    for number in range(users):
        user_key = f"p{number:07d}"
        rows.append(
            Preference(
                dataset=dataset,
                user_key=user_key,
                domain="weather",
                key="city",
                value="Springfield, MO",
                source="import",
            )
        )
        rows.append(
            Preference(
                dataset=dataset,
                user_key=user_key,
                domain="sports",
                key="team",
                value="Chicago Bulls",
                source="import",
            )
        )
    Preference.objects.bulk_create(rows, batch_size=5000)
    viewer = get_user_model().objects.create_user(username=f"viewer-{users}")
    Membership.objects.create(dataset=dataset, user=viewer, role=Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    url = f"/api/datasets/{dataset.name}/resolve/"
    rng = random.Random(seed)
    times = []
    for number in range(requests + 50):
        body = {
            "user_id": f"p{rng.randrange(users):07d}",
            "intent": "weather_query",
            "slots": [{"type": "place_name", "value": "springfield"}],
        }
        started = time.perf_counter()
        response = client.post(url, json.dumps(body), content_type="application/json")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content
        if number >= 50:  # warm-up: the catalogue index, the connection
            times.append(elapsed)
    times.sort()
    return {
        "users": users,
        "requests": requests,
        "p50_ms": round(times[len(times) // 2], 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-dialogues", type=int, default=1200)
    parser.add_argument("--test-dialogues", type=int, default=600)
    parser.add_argument(
        "--max-minutes", type=float, default=4.0, help="cap on the extraction model's training"
    )
    parser.add_argument("--latency-users", type=int, nargs="*", default=[1000, 100_000])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--skip-model", action="store_true", help="no extraction model: gold statements only")
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "teachable"}
    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder, fresh_database():
        from django.conf import settings

        from annotations.models import Label, LabelKind
        from teachable.services import teachable_dataset_prepare

        settings.SELFLEARN_MODELS_DIR = Path(folder) / "models"
        result["database"] = database_backend()
        test_path = Path(folder) / "test.jsonl"
        _simulate(test_path, args.test_dialogues, max(10, args.test_dialogues // 8), seed=707)
        lines = [json.loads(line) for line in test_path.open(encoding="utf-8")]
        gold_statements: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for data in lines:
            for turn_id, entry in ((data.get("labels") or {}).get("turns") or {}).items():
                if entry.get("preferences"):
                    gold_statements[(data["id"], turn_id)] = entry["preferences"]

        datasets = {}
        for variant in ("none", "gold", "model"):
            datasets[variant] = _import(test_path, f"teach-test-{variant}")
            teachable_dataset_prepare(dataset=datasets[variant])
        accuracy = {
            "without_store": replay(lines, {}, datasets["none"], gold_statements),
            "store_from_gold_statements": replay(lines, gold_statements, datasets["gold"], gold_statements),
        }
        if not args.skip_model:
            from models_app.ml.config import TrainConfig
            from models_app.recipes.run import simulated_dataset
            from models_app.services import label_dataset, model_train

            config = TrainConfig.demo()
            config.max_seconds = args.max_minutes * 60
            started = time.perf_counter()
            train = simulated_dataset(
                "teach-train", args.train_dialogues, users=max(10, args.train_dialogues // 8), seed=101
            )
            model = model_train(name="teach-extractor", datasets=[train], train_config=config)
            result["extraction_model"] = {
                "train_dialogues": args.train_dialogues,
                "tasks": model.tasks,
                "seconds": round(time.perf_counter() - started, 1),
            }
            label_dataset(dataset=datasets["model"], model_version=model)
            found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
            proposals = Label.objects.filter(model_version=model, kind=LabelKind.PREFERENCES).values_list(
                "dialogue__external_id", "turn__external_id", "value"
            )
            for dialogue_id, turn_id, value in proposals:
                found[(dialogue_id, turn_id)].extend(value or [])
            keys = sorted({*gold_statements, *found})
            all_turns = [(d["id"], t["id"]) for d in lines for t in d["turns"]]
            result["statement_extraction"] = {
                **extraction_scores(
                    [_statement_set(gold_statements.get(k, [])) for k in all_turns],
                    [_statement_set(found.get(k, [])) for k in all_turns],
                ),
                "gold_statements": sum(len(v) for v in gold_statements.values()),
                "found_statements": sum(len(v) for v in found.values()),
                "turns_with_either": len(keys),
            }
            accuracy["store_from_model_statements"] = replay(
                lines, dict(found), datasets["model"], gold_statements
            )
        result["next_request_accuracy"] = accuracy
        result["guided_qa"] = guided_sessions(lines, datasets["none"], seed=11)
        result["resolve_latency"] = [
            resolve_latency(users, args.requests, seed=5) for users in args.latency_users
        ]
    result["peak_rss_mb"] = peak_rss_mb()
    emit(result)


if __name__ == "__main__":
    main()
