"""Server time of reviewing on a big dataset: the queue, the review page of a 20-turn dialogue, a save.

    python bench/review_pages.py [--dialogues 100000] [--requests 300]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/review_pages.py

Fills a fresh database with N simulated dialogues (the simulator, through the bulk importer: their own
labels become imported gold) plus one of 20 turns, writes a model's proposal for every label (the gold
with some of it changed, through the bulk SQL helper, as a labelling job writes them), refreshes the
queue state with the services' own function and updates the database's statistics (ANALYZE). Then it
times requests through Django's test Client, so the whole server side counts (middleware, session,
view, template or JSON) and no network:

- queue: "next dialogue" (POST, moving on from the previous one: a skip plus a claim), by each policy,
  with 20 reviewers taking turns;
- page: the review page of the 20-turn dialogue (GET);
- save: one decision on one label of that dialogue through the review API (POST).

Then reviewers give a few thousand verdicts (through the review service, as the review page's saves
do), the workers' kept counts are refreshed, and it times the reading pages as the reviewer of a page
sees them:

- datasets: the datasets list;
- overview: the dataset's page (its overview and the first page of dialogues);
- filtered: the dialogue list with the label filters of the page, in three combinations (a model's
  unsure intents; the proposals that say the ASR failed; one reviewer's corrections);
- search: the dialogue list searching for a word (its matching turns shown);
- quality: the Quality page (agreement, the model against reviewers, reviewers by day, failures).

Prints one JSON line with p50 and p95 in milliseconds (for the reading pages also of the CPU time the
serving thread spent, ``pages_cpu_ms``: on a machine shared with other work the wall time's p95 is the
scheduler's). Targets (2-core machine, SQLite and PostgreSQL):
p95 at most 50 ms for every page and the queue, 30 ms for a save.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, database_backend, emit, fresh_database, peak_rss_mb

sys.path.insert(0, str(ROOT))  # the simulator runs before Django is set up

REVIEWERS = 20
WARM_UP = 10
# Dialogues whose every model proposal a reviewer decides before the reading pages are timed: with
# about 11 proposals a dialogue, a few thousand verdicts for the Quality page.
REVIEWED_DIALOGUES = 400
# The dialogue list's filters timed (the query string of the dataset page).
FILTERS = {
    "unsure_intents": {"status": "proposed", "kind": "intent", "confidence_max": "0.6"},
    "asr_failures": {"status": "proposed", "failure_point": "asr"},
    "one_reviewers_corrections": {"status": "corrected", "reviewer": "reviewer3"},
}
SEARCH = "weather"
LONG_TURNS = 20
# How often a proposal differs from the gold it was made from, as a model's mistakes would.
WRONG = 0.15


def simulate(path: Path, dialogues: int, seed: int) -> dict[str, list[str]]:
    """Write N simulated dialogues and one of 20 turns (the first dialogues' turns, joined) to ``path``;
    returns the intents and slot types seen (the model's inventory)."""
    from simulator.cli import main as simulator

    raw = path.with_suffix(".raw.jsonl")
    users = str(max(10, dialogues // 8))
    with contextlib.redirect_stdout(sys.stderr):  # stdout is for the one JSON line
        simulator(["--dialogues", str(dialogues), "--users", users, "--seed", str(seed), "--out", str(raw)])
    intents: set[str] = set()
    slot_types: set[str] = set()
    pieces: list[dict[str, Any]] = []
    with raw.open(encoding="utf-8") as source, path.open("w", encoding="utf-8") as out:
        for line in source:
            out.write(line)
            data = json.loads(line)
            for entry in ((data.get("labels") or {}).get("turns") or {}).values():
                if entry.get("intent"):
                    intents.add(entry["intent"])
                slot_types.update(span["type"] for span in entry.get("slots") or [])
            if sum(len(piece["turns"]) for piece in pieces) < LONG_TURNS:
                pieces.append(data)
        out.write(json.dumps(_joined(pieces)) + "\n")
    raw.unlink()
    return {"intents": sorted(intents), "slot_types": sorted(slot_types)}


def _joined(pieces: list[dict[str, Any]]) -> dict[str, Any]:
    """One dialogue of exactly 20 turns made of several, their labels carried over (turn ids renamed)."""
    turns, goals, turn_labels = [], [], {}
    for piece in pieces:
        rename = {}
        for turn in piece["turns"]:
            if len(turns) == LONG_TURNS:
                break
            new_id = f"t{len(turns) + 1}"
            rename[turn.get("id", f"t{len(rename) + 1}")] = new_id
            turns.append({**turn, "id": new_id})
        labels = piece.get("labels") or {}
        for goal in labels.get("goals") or []:
            if all(turn_id in rename for turn_id in goal["turns"]):  # the last piece may be cut short
                goals.append({**goal, "turns": [rename[turn_id] for turn_id in goal["turns"]]})
        for turn_id, entry in (labels.get("turns") or {}).items():
            if turn_id in rename:
                rephrase = entry.get("rephrase_of")
                turn_labels[rename[turn_id]] = {
                    **entry,
                    "rephrase_of": rename.get(rephrase) if rephrase else None,
                }
    return {
        "id": "bench-20-turns",
        "user_id": "bench",
        "turns": turns,
        "labels": {"goals": goals, "turns": turn_labels},
    }


def propose(
    dataset: Any, inventory: dict[str, list[str]], seed: int, limit: int | None = None
) -> tuple[int, Any]:
    """A model's proposal for every gold label (of the first ``limit`` dialogues when given), in batches
    of dialogues, then the queue state."""
    from django.db import transaction
    from django.utils import timezone

    from annotations.formats.bulk_sql import datetime_value, insert_rows, json_value
    from annotations.models import Dialogue, Label
    from models_app.models import ModelVersion
    from review.services.state import REFRESH_BATCH_SIZE, review_state_refresh

    rng = random.Random(seed)
    model = ModelVersion.objects.create(name="bench-model", tasks=[], inventories=inventory)
    columns = ("dialogue_id", "turn_id", "kind", "value", "confidence", "status", "source_type")
    columns += ("model_version_id", "revision", "created_at", "updated_at")
    now = datetime_value(timezone.now())
    ids = list(Dialogue.objects.filter(dataset=dataset).order_by("pk").values_list("pk", flat=True)[:limit])
    written = 0
    for start in range(0, len(ids), REFRESH_BATCH_SIZE):
        batch = ids[start : start + REFRESH_BATCH_SIZE]
        gold = Label.objects.filter(dialogue_id__gte=batch[0], dialogue_id__lte=batch[-1])
        fixed = ("proposed", "model", model.pk, 1, now, now)
        rows = [
            (
                dialogue_id,
                turn_id,
                kind,
                json_value(_model_value(rng, kind, value, inventory)),
                _confidence(rng),
                *fixed,
            )
            for dialogue_id, turn_id, kind, value in gold.values_list(
                "dialogue_id", "turn_id", "kind", "value"
            )
        ]
        with transaction.atomic():
            insert_rows(Label, columns, rows)
            review_state_refresh(dialogue_ids=batch)
        written += len(rows)
    return written, model


def _confidence(rng: random.Random) -> float:
    return round(1 - rng.random() ** 3 * 0.7, 4)  # most proposals sure, a tail of unsure ones


def _model_value(rng: random.Random, kind: str, value: Any, inventory: dict[str, list[str]]) -> Any:
    if rng.random() >= WRONG:
        return value
    if kind == "intent":
        return rng.choice(inventory["intents"])
    if kind == "failure_point":
        return rng.choice(["none", "asr", "nlu", "entity", "result", "false_wake"])
    if kind in ("defect", "goal_success"):
        return not value
    if kind == "slots":
        return (value or [])[1:]
    return value


def review_some(dataset: Any, reviewers: list[Any], count: int) -> int:
    """Reviewers take turns deciding every model proposal of ``count`` dialogues: accepted when it
    says what the gold says, corrected to the gold otherwise (as review_decide receives a page's
    "accept all" with its corrections). Returns the verdicts given."""
    from annotations.models import Dialogue, Label, LabelSource
    from review.services.decisions import DecisionInput, review_decide

    given = 0
    dialogues = Dialogue.objects.filter(dataset=dataset).exclude(external_id="bench-20-turns")
    for number, dialogue in enumerate(dialogues.order_by("pk")[:count]):
        labels = list(Label.objects.filter(dialogue=dialogue))
        gold = {(g.turn_id, g.kind): g.value for g in labels if g.source_type == LabelSource.IMPORT}
        decisions = []
        for label in labels:
            if label.source_type != LabelSource.MODEL or (label.turn_id, label.kind) not in gold:
                continue
            right = gold[(label.turn_id, label.kind)]
            if right == label.value:
                decisions.append(DecisionInput(label.pk, "accept", label.revision))
            else:
                decisions.append(DecisionInput(label.pk, "correct", label.revision, right))
        if decisions:
            review_decide(dialogue=dialogue, reviewer=reviewers[number % len(reviewers)], decisions=decisions)
            given += len(decisions)
    return given


def percentiles(samples: list[float]) -> dict[str, float]:
    import numpy as np

    kept = np.array(samples[WARM_UP:]) * 1000
    return {
        "p50": round(float(np.percentile(kept, 50)), 2),
        "p95": round(float(np.percentile(kept, 95)), 2),
        "n": len(kept),
    }


def timed(
    request: Callable[[], Any], count: int, check: Callable[[Any], None], cpu: list[float] | None = None
) -> list[float]:
    """Wall seconds of each request; ``cpu`` gets the CPU seconds this thread spent on each (on SQLite
    the database's work too: it runs in the process), which a busy machine's scheduler does not stretch."""
    seconds = []
    for _ in range(count + WARM_UP):
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = request()
        seconds.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.thread_time() - started_cpu)
        check(response)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests of each kind")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder:
        path = Path(folder) / "dialogues.jsonl"
        started = time.perf_counter()
        inventory = simulate(path, args.dialogues, args.seed)
        simulate_seconds = time.perf_counter() - started
        with fresh_database():
            from django.conf import settings
            from django.db import connection
            from django.test.utils import CaptureQueriesContext
            from django.urls import reverse

            from annotations.formats.importing import ImportSource, import_dialogues
            from annotations.models import Dataset, Dialogue
            from annotations.services import dataset_stats_refresh

            settings.DEBUG = False  # as in production: no query log kept per request
            dataset = Dataset.objects.create(name="bench")
            started = time.perf_counter()
            report = import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
            import_seconds = time.perf_counter() - started
            started = time.perf_counter()
            proposals, _ = propose(dataset, inventory, args.seed)
            with connection.cursor() as cursor:
                # Statistics as autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would soon have
                # them after a bulk load: without them PostgreSQL guesses thousands of labels per
                # dialogue and plans a parallel scan for a page of two hundred.
                cursor.execute("ANALYZE")
            propose_seconds = time.perf_counter() - started

            reviewers, clients = _reviewers_logged_in(dataset)
            results: dict[str, Any] = {"queue_ms": _queue_ms(dataset, clients, args.requests)}
            long = Dialogue.objects.get(dataset=dataset, external_id="bench-20-turns")
            page_url = reverse("review:review-dialogue", args=[dataset.name, long.pk])
            reader = clients[0]
            results["page_ms"] = percentiles(
                timed(lambda: reader.get(page_url), args.requests, lambda r: _expect(r, 200))
            )
            save = _saver(dataset, reader, long, inventory)
            results["save_ms"] = percentiles(timed(save, args.requests, lambda r: _expect(r, 200)))
            started = time.perf_counter()
            verdicts = review_some(dataset, reviewers, REVIEWED_DIALOGUES)
            verdict_seconds = time.perf_counter() - started
            started = time.perf_counter()
            dataset_stats_refresh(dataset_id=dataset.pk)  # as the worker does after the changes
            stats_seconds = time.perf_counter() - started

            listed, reading_queries = _reading_pages(dataset, reader, args.requests, results)
            with CaptureQueriesContext(connection) as page_queries:
                reader.get(page_url)
            with CaptureQueriesContext(connection) as save_queries:
                save()
            emit(
                {
                    "benchmark": "review_pages",
                    "database": database_backend(),
                    "dialogues": report.dialogues,
                    "turns": report.turns,
                    "labels": report.labels + proposals,
                    "page_turns": long.turns.count(),
                    "fill_seconds": {
                        "simulate": round(simulate_seconds, 1),
                        "import": round(import_seconds, 1),
                        "proposals_and_queue_state": round(propose_seconds, 1),
                        "verdicts": round(verdict_seconds, 1),
                        "kept_counts": round(stats_seconds, 1),
                    },
                    "verdicts": verdicts,
                    "listed": listed,
                    **results,
                    "queries": {"page": len(page_queries), "save": len(save_queries), **reading_queries},
                    "targets_ms": {"queue_p95": 50, "page_p95": 50, "save_p95": 30, "pages_p95": 50},
                    "peak_rss_mb": peak_rss_mb(),
                }
            )


def _reviewers_logged_in(dataset: Any) -> tuple[list[Any], list[Any]]:
    """REVIEWERS reviewers of the dataset, each with a client logged in."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from annotations.models import Membership, Role

    users = get_user_model().objects
    reviewers = [users.create_user(f"reviewer{number}") for number in range(REVIEWERS)]
    Membership.objects.bulk_create(
        Membership(dataset=dataset, user=user, role=Role.REVIEWER) for user in reviewers
    )
    clients = []
    for user in reviewers:
        client = Client()
        client.force_login(user)
        clients.append(client)
    return reviewers, clients


def _queue_ms(dataset: Any, clients: list[Any], requests: int) -> dict[str, Any]:
    """ "Next dialogue" by each policy, the reviewers taking turns, each moving on from the one before."""
    from django.urls import reverse

    found = {}
    for policy in ("least_confident", "disagreement", "random"):
        current: dict[int, int] = {}
        turn = iter(range(10**9))

        def next_dialogue(policy: str = policy, current: dict = current, turn: Any = turn) -> Any:
            number = next(turn) % REVIEWERS
            body = {"policy": policy, **({"leave": current[number]} if number in current else {})}
            response = clients[number].post(reverse("review:review-next", args=[dataset.name]), body)
            current[number] = int(response["Location"].split("/review/")[1].split("/")[0])
            return response

        found[policy] = percentiles(timed(next_dialogue, requests, lambda r: _expect(r, 302)))
    return found


def _saver(dataset: Any, reader: Any, long: Any, inventory: dict[str, Any]) -> Any:
    """One correction through the review API at a time, each on the label's current revision."""
    from django.urls import reverse

    from annotations.models import Label

    intents = list(
        Label.objects.filter(dialogue=long, kind="intent", source_type="model").values_list("pk", "revision")
    )
    revision = dict(intents)
    saves = iter(range(10**9))

    def save() -> Any:
        number = next(saves)
        label_id = intents[number % len(intents)][0]
        value = inventory["intents"][number % len(inventory["intents"])]
        url = reverse("api-review-decision", args=[dataset.name, label_id])
        body = {"action": "correct", "revision": revision[label_id], "value": value}
        response = reader.post(url, body, content_type="application/json")
        for label in response.json().get("labels", []):
            revision[label["id"]] = label["revision"]
        return response

    return save


def _reading_pages(
    dataset: Any, reader: Any, requests: int, results: dict[str, Any]
) -> tuple[dict[str, int], dict[str, int]]:
    """The reading pages' wall and CPU percentiles (into ``results``); the rows each dataset page
    listed and the queries of each page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    detail_url = reverse("annotations:dataset-detail", args=[dataset.name])
    reading = {
        "datasets": (reverse("annotations:dataset-list"), {}),
        "overview": (detail_url, {}),
        **{f"filtered_{name}": (detail_url, params) for name, params in FILTERS.items()},
        "search": (detail_url, {"q": SEARCH}),
        "quality": (reverse("review:agreement", args=[dataset.name]), {}),
    }
    # A served process freezes what it loaded at start (selflearn_site/wsgi.py), so that full
    # garbage collections do not walk it during requests; the fill's objects are as long-lived.
    gc.collect()
    gc.freeze()
    results["pages_ms"], results["pages_cpu_ms"] = {}, {}
    listed: dict[str, int] = {}
    for name, (url, params) in reading.items():
        cpu: list[float] = []
        results["pages_ms"][name] = percentiles(
            timed(
                lambda url=url, params=params: reader.get(url, params),
                requests,
                lambda r: _expect(r, 200),
                cpu,
            )
        )
        results["pages_cpu_ms"][name] = percentiles(cpu)
        if url == detail_url:  # the rows of the page's dialogue table
            listed[name] = reader.get(url, params).content.count(b'<th scope="row"><a href=')
    queries = {}
    for name, (url, params) in reading.items():
        with CaptureQueriesContext(connection) as captured:
            reader.get(url, params)
        queries[name] = len(captured)
    return listed, queries


def _expect(response: Any, status: int) -> None:
    if response.status_code != status:
        raise SystemExit(f"expected {status}, got {response.status_code}: {response.content[:300]!r}")


if __name__ == "__main__":
    main()
