"""`python manage.py simulate ...`: the simulator's own CLI (simulator.cli.main) from inside the project."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from simulator.cli import main

# Flags passed through to the simulator as given; its own parser checks and explains them.
VALUE_FLAGS = ("dialogues", "users", "seed", "out", "config", "data_dir")


class Command(BaseCommand):
    help = (
        "Write simulated assistant logs with known truth (simulator/README.md); flags as python -m simulator."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--dialogues", help="how many dialogues")
        parser.add_argument("--users", help="how many people")
        parser.add_argument("--seed", help="random seed")
        parser.add_argument("--out", required=True, help="output file (.jsonl or .jsonl.gz), or - for stdout")
        parser.add_argument("--config", help="JSON file with simulator config fields")
        parser.add_argument("--data-dir", help="folder with snips/, hwu64/, slurp/")
        parser.add_argument("--stats", action="store_true", help="print the distribution generated on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        argv: list[str] = []
        for name in VALUE_FLAGS:
            if options.get(name) is not None:
                argv += [f"--{name.replace('_', '-')}", str(options[name])]
        if options.get("stats"):
            argv.append("--stats")
        try:
            code = main(argv)
        except SystemExit as exc:  # the simulator's parser rejected an argument; it printed why
            raise CommandError(f"simulate: bad arguments: {' '.join(argv)}") from exc
        if code:
            raise CommandError(f"simulate failed with exit code {code}")
