"""Replaying rewrites through the assistant that logged the requests, where the logs carry its truth.

Simulated logs (``simulator``) say what every request meant and which assistant read it, so a rewrite
can be judged the way production judges one: by asking the assistant (``simulator.judge``). A rewrite
*wins* when the request failed and the assistant, hearing the rewrite instead, would have served the
person's goal; it *loses* when the request had worked and the rewrite would not have. Logs without that
truth (real ones) cannot be replayed this way: ``has_truth`` says which are which.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rewrites.engine.chains import normalise
from rewrites.engine.logs import logged_attempts
from simulator.judge import Judge, logged_requests

Key = tuple[str, str]  # (dialogue id, turn id)


def has_truth(dialogue: Mapping[str, Any]) -> bool:
    """Whether a FORMAT.md dialogue carries the simulated assistant's truth."""
    truth = (dialogue.get("metadata") or {}).get("truth") or {}
    return isinstance(truth, Mapping) and isinstance(truth.get("assistant"), Mapping)


class TruthWatch:
    """Passes dialogues on, noting whether any carried the assistant's truth (one read of the logs
    serves the build, and says whether a replay can follow)."""

    def __init__(self, dialogues: Iterable[Mapping[str, Any]]) -> None:
        self._dialogues = dialogues
        self.seen = False

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        for dialogue in self._dialogues:
            if not self.seen and has_truth(dialogue):
                self.seen = True
            yield dialogue


@dataclass
class Tally:
    """Wins, losses and coverage of rewrites over logged requests, and the defect rates they give."""

    attempts: int = 0
    defects: int = 0
    rewritten: int = 0
    wins: int = 0
    losses: int = 0

    def add(self, *, failed: bool, rewritten: bool, served: bool) -> None:
        self.attempts += 1
        self.defects += failed
        self.rewritten += rewritten
        self.wins += rewritten and failed and served
        self.losses += rewritten and not failed and not served

    def figures(self) -> dict[str, float | int | None]:
        after = self.defects - self.wins + self.losses
        return {
            "attempts": self.attempts,
            "wins": self.wins,
            "losses": self.losses,
            "win_loss": round(self.wins / self.losses, 2) if self.losses else None,
            "coverage": round(self.rewritten / self.attempts, 4) if self.attempts else 0.0,
            "defect_rate_before": round(self.defects / self.attempts, 4) if self.attempts else 0.0,
            "defect_rate_after": round(after / self.attempts, 4) if self.attempts else 0.0,
            "defects_cut": round(1 - after / self.defects, 4) if self.defects else 0.0,
        }


def verdicts(
    dialogues: Iterable[Mapping[str, Any]], wanted: Mapping[Key, Iterable[str]], judge: Judge
) -> dict[tuple[str, str, str], bool]:
    """Whether the assistant would have served each logged request (by dialogue and turn id) in each
    of the words wanted for it."""
    dialogue_ids = {dialogue_id for dialogue_id, _ in wanted}
    found: dict[tuple[str, str, str], bool] = {}
    for dialogue in dialogues:
        dialogue_id = str(dialogue.get("id") or "")
        if dialogue_id not in dialogue_ids:
            continue
        for turn_id, request in logged_requests(dialogue).items():
            for text in wanted.get((dialogue_id, turn_id), ()):
                found[(dialogue_id, turn_id, text)] = judge.serves(request, text).served
    return found


def pair_tallies(
    dialogues: Iterable[Mapping[str, Any]], targets: Mapping[str, str], judge: Judge
) -> dict[str, Tally]:
    """For each rewrite pair (a failing utterance and its target, normalised), what serving it to every
    logged first attempt that said the source would have done, judged by the assistant."""
    tallies: dict[str, Tally] = {}
    for dialogue in dialogues:
        if not has_truth(dialogue):
            continue
        attempts = [a for a in logged_attempts([dialogue]).attempts if a.utterance in targets]
        if not attempts:
            continue
        requests = logged_requests(dialogue)
        for attempt in attempts:
            request = requests.get(attempt.turn_id)
            if request is None:
                continue
            served = judge.serves(request, normalise(targets[attempt.utterance])).served
            tally = tallies.setdefault(attempt.utterance, Tally())
            tally.add(failed=attempt.failed, rewritten=True, served=served)
    return tallies
