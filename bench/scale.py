"""Selflearn at a million dialogues (PostgreSQL): import, a labelled part, export, and the pages a
reviewer opens, timed on the same database; print one JSON line.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/scale.py [--dialogues 1000000]
    python bench/scale.py --dialogues 50000            # a reduced run (SQLite by default)

Steps, each timed (and the process's peak RSS at the end, which must not grow with N):

1. write N six-turn dialogues with labels of every kind (``import_export.write_dialogues``) and import
   them (the service the CLI and the jobs call): their labels become gold;
2. "label" a part of them (``--labelled``, a share of the dialogues): a model's proposal for each of
   their gold labels, some of them wrong, written as a labelling job writes them, then their queue
   state (``review_pages.propose``): the model itself is ``bench/label_throughput.py``'s business;
3. the dataset's kept counts (``dataset_stats_refresh``, which the import and labelling jobs run in the
   worker when they end) and ``ANALYZE``, as autovacuum would soon after such a load;
4. export every dialogue's gold labels (``iter_export_lines``, as the REST export streams it);
5. server time through Django's test client (middleware, session, view, rendering) of: the review
   queue's "next dialogue" (least confident), a dialogue page, the datasets list, a search of the
   dataset's dialogues (``?q=``: two words, one common word, a rare word or none), the dataset page's
   list (its first page and one 90% of the way in) and each of its filters with a common and a rare
   value (intent, failure point, defect, status, a reviewer's corrections; the rare ones are given to
   5 dialogues spread over the dataset): p50 and p95 over ``--requests`` requests after 10 to warm up.

Targets (issues 17 and 29, 1,000,000 dialogues on PostgreSQL, 100,000 on SQLite): p95 at most 50 ms
for each page, memory flat. The lead's run at a million (about an hour on a 2-core machine):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/scale.py --dialogues 1000000
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import database_backend, emit, fresh_database, peak_rss_mb
from import_export import INTENTS, WORDS, write_dialogues
from review_pages import percentiles, propose, timed

SEARCH_WORDS = ("kitchen", "paris", "queen", "alarm")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=1_000_000)
    parser.add_argument("--labelled", type=float, default=0.1, help="share of dialogues a model labels")
    parser.add_argument("--requests", type=int, default=100, help="timed requests of each kind")
    parser.add_argument("--seed", type=int, default=17)
    return parser.parse_args()


def main() -> None:
    args = arguments()

    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder:
        path = Path(folder) / "dialogues.jsonl"
        started = time.perf_counter()
        write_dialogues(path, args.dialogues, 6, seed=args.seed)
        timings["write_file"] = time.perf_counter() - started
        with fresh_database():
            from django.conf import settings
            from django.db import connection

            from annotations.formats.exporting import LabelSelection, iter_export_lines
            from annotations.formats.importing import ImportSource, import_dialogues
            from annotations.models import Dataset
            from annotations.services import dataset_stats_refresh

            settings.DEBUG = False  # as in production: no query log kept per request
            dataset = Dataset.objects.create(name="scale")
            started = time.perf_counter()
            report = import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
            timings["import"] = time.perf_counter() - started
            path.unlink()

            labelled = int(args.dialogues * args.labelled)
            inventory = {"intents": INTENTS, "slot_types": ["item"]}
            started = time.perf_counter()
            proposals, _ = propose(dataset, inventory, args.seed, limit=labelled)
            timings["proposals_and_queue_state"] = time.perf_counter() - started
            # Before the counts: a label changed after them would send every page to recount.
            rare_labels(dataset, args.seed)
            started = time.perf_counter()
            dataset_stats_refresh(dataset_id=dataset.pk)
            timings["kept_counts"] = time.perf_counter() - started
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            timings["analyze"] = time.perf_counter() - started

            started = time.perf_counter()
            exported_bytes = 0
            for line in iter_export_lines(dataset=dataset, selection=LabelSelection.parse("gold")):
                exported_bytes += len(line)
            timings["export_gold"] = time.perf_counter() - started

            requests = page_requests(dataset, args.seed)
            pages_ms = {
                name: percentiles(timed(request, args.requests, _expecting(status)))
                for name, (request, status) in requests.items()
            }
            emit(
                {
                    "benchmark": "scale",
                    "database": database_backend(),
                    "dialogues": report.dialogues,
                    "turns": report.turns,
                    "labels": report.labels + proposals,
                    "labelled_dialogues": labelled,
                    "seconds": {name: round(value, 1) for name, value in timings.items()},
                    "export_mb": round(exported_bytes / 1e6, 1),
                    "pages_ms": pages_ms,
                    "targets_ms": {"p95": 50},
                    "peak_rss_mb": peak_rss_mb(),
                }
            )


def page_requests(dataset: Any, seed: int) -> dict[str, tuple[Any, int]]:
    """Each page timed, as a request through Django's test client with the status it answers, as the
    dataset's reviewer."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from annotations.models import Dialogue, Membership, Role

    reviewer = get_user_model().objects.get(username=REVIEWER)
    Membership.objects.create(dataset=dataset, user=reviewer, role=Role.REVIEWER)
    client = Client()
    client.force_login(reviewer)
    rng = random.Random(seed)
    ids = list(
        Dialogue.objects.filter(dataset=dataset).order_by("?").values_list("external_id", flat=True)[:500]
    )
    current: dict[str, int] = {}
    deep_after = ids_after(dataset, share=0.9)

    def next_dialogue() -> Any:
        body = {"policy": "least_confident", **({"leave": current["id"]} if current else {})}
        response = client.post(reverse("review:review-next", args=[dataset.name]), body)
        current["id"] = int(response["Location"].split("/review/")[1].split("/")[0])
        return response

    def dialogue_page() -> Any:
        return client.get(reverse("annotations:dialogue-detail", args=[dataset.name, rng.choice(ids)]))

    def search() -> Any:
        words = " ".join(rng.sample(SEARCH_WORDS, 1) + rng.sample(WORDS, 1))
        return client.get(reverse("annotations:dataset-detail", args=[dataset.name]), {"q": words})

    def listed(**params: str) -> Any:
        return lambda: client.get(reverse("annotations:dataset-detail", args=[dataset.name]), params)

    def search_one(words: list[str]) -> Any:
        return lambda: client.get(
            reverse("annotations:dataset-detail", args=[dataset.name]), {"q": rng.choice(words)}
        )

    return {
        "queue_next": (next_dialogue, 302),
        "dialogue_page": (dialogue_page, 200),
        "datasets_list": (lambda: client.get(reverse("annotations:dataset-list")), 200),
        "search": (search, 200),
        # Issue 29: a rare value must not walk the dataset, a common one must stop at the page.
        "search_common_word": (search_one(list(SEARCH_WORDS)), 200),
        "search_rare_word": (search_one([RARE_WORD, "no such words"]), 200),
        "list": (listed(), 200),
        "list_page_deep": (listed(after=str(deep_after)), 200),
        "filter_intent_common": (listed(intent=INTENTS[0]), 200),
        "filter_intent_rare": (listed(intent=RARE_INTENT), 200),
        "filter_failure_point": (listed(failure_point="false_wake"), 200),
        "filter_defect": (listed(defect="yes"), 200),
        "filter_status_common": (listed(status="proposed"), 200),
        "filter_status_rare": (listed(status="corrected"), 200),
        "filter_reviewer": (listed(reviewer=reviewer.username), 200),
    }


REVIEWER = "scale-reviewer"
RARE_INTENT = "CancelTimer"
RARE_WORD = "xylophone"
RARE_COUNT = 5  # dialogues with the rare intent, the rare word, a reviewer's correction


def rare_labels(dataset: Any, seed: int) -> None:
    """A few dialogues spread over the dataset get what nothing else has: an intent, a word in a turn,
    a correction by the reviewer (the filters' rare values)."""
    from django.contrib.auth import get_user_model

    from annotations.models import Dialogue, Label, LabelStatus, Turn

    reviewer = get_user_model().objects.create_user(REVIEWER)

    pks = list(Dialogue.objects.filter(dataset=dataset).order_by("pk").values_list("pk", flat=True))
    chosen = random.Random(seed).sample(pks, RARE_COUNT)
    for pk in chosen:
        label = Label.objects.filter(dialogue_id=pk, kind="intent").order_by("pk").first()
        if label is not None:
            Label.objects.filter(pk=label.pk).update(
                value=RARE_INTENT, status=LabelStatus.CORRECTED, author=reviewer
            )
        turn = Turn.objects.filter(dialogue_id=pk).order_by("position").first()
        if turn is not None:
            Turn.objects.filter(pk=turn.pk).update(utterance=f"{turn.utterance} {RARE_WORD}")


def ids_after(dataset: Any, share: float) -> int:
    """The id of the dialogue ``share`` of the way through the dataset (a deep page's ``after``)."""
    from annotations.models import Dialogue

    dialogues = Dialogue.objects.filter(dataset=dataset).order_by("pk").values_list("pk", flat=True)
    return int(dialogues[int(dialogues.count() * share)])


def _expecting(status: int) -> Any:
    def check(response: Any) -> None:
        if response.status_code != status:
            raise SystemExit(f"expected {status}, got {response.status_code}: {response.content[:300]!r}")

    return check


if __name__ == "__main__":
    main()
