"""Judging rewrites by the assistant that logged the requests, for the build and the mining jobs:
a second read of a simulated dataset's logs (``rewrites.engine.replay``), whose figures the Rewrites
page shows. Real logs carry no such truth, and are not judged this way."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from annotations.models import Dataset
from annotations.selectors import dialogue_records
from rewrites.engine.fitting import HeldOut
from rewrites.engine.replay import Tally, pair_tallies, verdicts
from simulator.judge import default_judge


def _dialogues(dataset: Dataset, labels: str) -> Iterator[Mapping[str, Any]]:
    return (record.data for record in dialogue_records(dataset, labels=labels))


def held_out_replay(
    *, dataset: Dataset, labels: str, held_out: Sequence[HeldOut]
) -> dict[str, dict[str, float | int | None]]:
    """The build's held-out decisions (each request rewritten by fold models that never saw its
    person), judged by the assistant: the global layer alone, and with the personal layer."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for item in held_out:
        texts = {text for text in (item.global_rewrite, item.rewrite) if text is not None}
        if texts:
            wanted[(item.attempt.dialogue_id, item.attempt.turn_id)] = texts
    served = verdicts(_dialogues(dataset, labels), wanted, default_judge())
    tallies = {"global": Tally(), "global_and_personal": Tally()}
    for item in held_out:
        attempt = item.attempt
        for view, text in (("global", item.global_rewrite), ("global_and_personal", item.rewrite)):
            judged = text is not None and served.get((attempt.dialogue_id, attempt.turn_id, text), False)
            tallies[view].add(failed=attempt.failed, rewritten=text is not None, served=judged)
    return {view: tally.figures() for view, tally in tallies.items()}


def pair_replays(*, dataset: Dataset, labels: str, targets: Mapping[str, str]) -> dict[str, Tally]:
    """Each pair (by source) served to every logged first attempt of its source, judged by the
    assistant."""
    return pair_tallies(_dialogues(dataset, labels), targets, default_judge())
