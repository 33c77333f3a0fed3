"""`python -m simulator` and `python manage.py simulate`: one entry point, `main(argv)`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from simulator.config import PROFILES, ConfigError, SimConfig
from simulator.dialogues import Simulator, default_data_dir
from simulator.output import write_jsonl
from simulator.stats import Stats


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Write simulated assistant logs with known truth, one FORMAT.md dialogue per line.",
    )
    parser.add_argument("--dialogues", type=_positive_int, help="how many dialogues (default: config, 300)")
    parser.add_argument("--users", type=_positive_int, help="how many people (default: config, 40)")
    parser.add_argument("--seed", type=_int, help="random seed (default: config, 7)")
    parser.add_argument("--out", required=True, help="output file (.jsonl or .jsonl.gz), or - for stdout")
    parser.add_argument("--config", type=Path, help="JSON file with SimConfig fields to override")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        help="a named set of error rates under the config's own (default: the config's own, realistic)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help=f"folder with snips/, hwu64/, slurp/ (default: {default_data_dir()})"
    )
    parser.add_argument(
        "--stats", action="store_true", help="print the distribution generated, as JSON, on stderr"
    )
    return parser


def make_config(args: argparse.Namespace) -> SimConfig:
    config = SimConfig.from_json(args.config) if args.config else SimConfig()
    if args.profile:
        rates = PROFILES[args.profile]
        config = SimConfig.from_dict({**config.to_dict(), **rates})
    for name in ("dialogues", "users", "seed"):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    config.validate()
    return config


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = make_config(args)
    except ConfigError as exc:
        parser.error(str(exc))
    data_dir = args.data_dir
    if data_dir is not None and not data_dir.is_dir():
        parser.error(f"--data-dir {data_dir} is not a folder")
    if args.out != "-" and Path(args.out).is_dir():
        parser.error(f"--out {args.out} is a folder; give a file name ending in .jsonl or .jsonl.gz")
    try:
        simulator = Simulator(config, data_dir)
    except (FileNotFoundError, ValueError) as exc:
        print(f"simulator: cannot load the utterance pools: {exc}", file=sys.stderr)
        return 2
    stats = Stats() if args.stats else None

    def dialogues() -> Iterator[dict[str, Any]]:
        for dialogue in simulator:
            if stats is not None:
                stats.add(dialogue)
            yield dialogue

    try:
        count = write_jsonl(dialogues(), args.out)
    except OSError as exc:
        print(f"simulator: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if stats is not None:
        print(json.dumps(stats.summary(simulator.stage_counts), indent=2), file=sys.stderr)
    if args.out != "-":
        print(f"wrote {count} dialogues to {args.out}", file=sys.stderr)
    return 0
