"""Import and export N dialogues of 6 turns with labels; print one JSON line.

    python bench/import_export.py [--dialogues 100000] [--labels every|intents] [--runs 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/import_export.py

Two shapes of labels: ``every`` kind on every turn (33 labels a dialogue, 3.3 M at 100,000: the export
benchmark's), or ``intents`` alone with one goal and its success (8 a dialogue, 800,000 at 100,000: the
shape compared with Label Studio's 153 s and doccano's 50 s). With ``--runs`` above one, each
run imports into a fresh database and the line gives every run's seconds and their medians.

The row floor (``floor_seconds``) is measured in the same run: the rows the import wrote, read back and
written again into an empty copy of the database with a bare ``executemany`` (SQLite) or ``COPY``
(PostgreSQL), only the writes timed (``bench/_floor.py``); ``import_over_floor`` is the ratio.

Targets (2-core machine): 100,000 dialogues with 3.3 M labels imported in at most 25 s on
SQLite and 40 s on PostgreSQL, each within 2.5x of the floor; exported in at most 8 s; peak RSS under
300 MB whatever N is.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _floor import copy_of_empty_database, measure_floor
from _setup import database_backend, emit, fresh_database, peak_rss_mb

WORDS = [
    "play",
    "the",
    "next",
    "song",
    "by",
    "queen",
    "turn",
    "on",
    "kitchen",
    "lights",
    "what",
    "is",
    "weather",
    "in",
    "paris",
    "tomorrow",
    "set",
    "an",
    "alarm",
]
INTENTS = ["PlayMusic", "GetWeather", "SetAlarm", "LightsOn", "AddToPlaylist"]
FAILURES = ["none", "none", "none", "asr", "nlu", "entity", "result", "false_wake"]


def write_dialogues(path: Path, count: int, turns: int, seed: int = 1, labels: str = "every") -> None:
    """Dialogues shaped like real logs: every turn with a response, confidences and the assistant's own
    reading, and labels of every kind (``labels="every"``) or intents and one goal (``"intents"``)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            turn_list, turn_labels = [], {}
            for position in range(turns):
                words = rng.choices(WORDS, k=rng.randint(3, 9))
                utterance = " ".join(words)
                start = len(words[0]) + 1
                span = {"start": start, "end": start + len(words[1]), "type": "item"}
                intent = rng.choice(INTENTS)
                turn_id = f"t{position + 1}"
                turn_list.append(
                    {
                        "id": turn_id,
                        "timestamp": f"2026-11-02T08:{position:02d}:00Z",
                        "utterance": utterance,
                        "response": "Okay, " + " ".join(rng.choices(WORDS, k=5)) + ".",
                        "asr_confidence": round(rng.random(), 3),
                        "nlu_confidence": round(rng.random(), 3),
                        "domain": "music",
                        "intent": intent,
                        "slots": [span],
                        "status": "SUCCESS",
                    }
                )
                turn_labels[turn_id] = {
                    "intent": intent,
                    "slots": [span],
                    "failure_point": rng.choice(FAILURES),
                    "rephrase_of": f"t{position}" if position and rng.random() < 0.2 else None,
                    "defect": rng.random() < 0.3,
                }
                if labels == "intents":
                    turn_labels[turn_id] = {"intent": intent}
            half = turns // 2
            goals = [
                {"turns": [f"t{i + 1}" for i in range(half)], "success": False},
                {"turns": [f"t{i + 1}" for i in range(half, turns)], "success": True},
            ]
            if labels == "intents":
                goals = [{"turns": [f"t{i + 1}" for i in range(turns)], "success": True}]
            line = {
                "id": f"dialogue-{number:07d}",
                "user_id": f"user-{rng.randint(1, 5000)}",
                "device": {"type": "speaker", "has_screen": False},
                "locale": "en-US",
                "started_at": "2026-11-02T08:00:00Z",
                "turns": turn_list,
                "labels": {"goals": goals, "turns": turn_labels},
            }
            out.write(json.dumps(line) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--labels", choices=("every", "intents"), default="every")
    parser.add_argument("--runs", type=int, default=1, help="each in a fresh process and database")
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)  # a run's file, from the parent
    args = parser.parse_args()

    if args.source is not None:
        _one_run(args.source)
        return
    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder:
        source_path = Path(folder) / "dialogues.jsonl"
        write_dialogues(source_path, args.dialogues, args.turns, labels=args.labels)
        runs = [_run_in_child(source_path) for _ in range(args.runs)]
    median = {
        key: statistics.median(run[key] for run in runs)
        for key in ("import_seconds", "floor_seconds", "export_seconds")
    }
    emit(
        {
            **runs[0],
            "labels_shape": args.labels,
            "runs": len(runs),
            "import_seconds": round(median["import_seconds"], 2),
            "import_seconds_each": [run["import_seconds"] for run in runs],
            "import_dialogues_per_s": round(runs[0]["dialogues"] / median["import_seconds"]),
            "floor_seconds": round(median["floor_seconds"], 2),
            "floor_seconds_each": [run["floor_seconds"] for run in runs],
            "import_over_floor": round(median["import_seconds"] / median["floor_seconds"], 2),
            "export_seconds": round(median["export_seconds"], 2),
            "export_seconds_each": [run["export_seconds"] for run in runs],
            "export_dialogues_per_s": round(runs[0]["dialogues"] / median["export_seconds"]),
            "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
        }
    )


def _run_in_child(source_path: Path) -> dict:
    """One import and export in a process of its own (Django's settings, and so the database, are
    fixed once per process)."""
    done = subprocess.run(
        [sys.executable, __file__, "--source", str(source_path)], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _one_run(source_path: Path) -> None:
    with fresh_database():
        from annotations.formats.exporting import LabelSelection, iter_export_lines
        from annotations.formats.importing import ImportSource, import_dialogues
        from annotations.models import Dataset, Dialogue, Label, Turn

        dataset = Dataset.objects.create(name="bench")
        floor = copy_of_empty_database()
        started, cpu_started = time.perf_counter(), time.process_time()
        report = import_dialogues(source=ImportSource.from_path(source_path), dataset=dataset)
        import_seconds = time.perf_counter() - started
        import_cpu_seconds = time.process_time() - cpu_started

        started = time.perf_counter()
        with source_path.with_suffix(".export.jsonl").open("w", encoding="utf-8") as out:
            for line in iter_export_lines(dataset=dataset, selection=LabelSelection.parse("gold")):
                out.write(line)
        export_seconds = time.perf_counter() - started
        peak_rss = peak_rss_mb()  # before the floor, which holds chunks of rows of its own
        floor_seconds = measure_floor(floor, [model._meta.db_table for model in (Dialogue, Turn, Label)])
        emit(
            {
                "benchmark": "import_export",
                "database": database_backend(),
                "dialogues": report.dialogues,
                "turns": report.turns,
                "labels": report.labels,
                "import_seconds": round(import_seconds, 2),
                # This process's CPU time for the import (PostgreSQL's own work is not in it).
                "import_cpu_seconds": round(import_cpu_seconds, 2),
                "floor_seconds": round(floor_seconds, 2),
                "export_seconds": round(export_seconds, 2),
                "peak_rss_mb": peak_rss,
            }
        )


if __name__ == "__main__":
    main()
