"""The personal layer: what each person's own past says about their requests.

People repeat themselves (the same playlist, the same team, a name the recogniser keeps mis-hearing
from them), and the same words can mean one thing from one person and another from the next
("springfield" is home for both, in different states). The global layer cannot tell them apart; a
person's own history can: the wordings that served them, what served them after each request of theirs
that failed, and how often each of their requests failed them. ``observe`` adds a request as it is
logged, so the layer learns online; a person's history is only ever what came before.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rewrites.engine.logs import Attempt

FEATURES = ("personal_pair", "personal_said", "personal_failed")


@dataclass
class PersonHistory:
    served: dict[str, int] = field(default_factory=dict)  # wording -> times it served them
    said: dict[str, int] = field(default_factory=dict)  # request -> times they said it first
    failed: dict[str, int] = field(default_factory=dict)  # request -> times it failed them
    fixed: dict[str, dict[str, int]] = field(default_factory=dict)  # failed request -> what served
    likes: list[str] = field(default_factory=list)  # values they said they like

    def __bool__(self) -> bool:
        return bool(self.said or self.likes)


EMPTY = PersonHistory()


@dataclass
class PersonalLayer:
    people: dict[str, PersonHistory] = field(default_factory=dict)

    @classmethod
    def from_logs(
        cls, attempts: Iterable[Attempt], likes: dict[str, Sequence[str]] | None = None
    ) -> PersonalLayer:
        layer = cls()
        for attempt in sorted(attempts, key=lambda a: a.time):
            layer.observe(attempt)
        for user, values in (likes or {}).items():
            layer.like(user, values)
        return layer

    def of(self, user: str) -> PersonHistory:
        return self.people.get(user, EMPTY) if user else EMPTY

    def observe(self, attempt: Attempt) -> None:
        """A logged request of a person: what they said, whether it failed, what served them."""
        if not attempt.user_key:
            return
        person = self.people.setdefault(attempt.user_key, PersonHistory())
        said = attempt.utterance
        person.said[said] = person.said.get(said, 0) + 1
        wording = attempt.served_by if attempt.failed else said
        if attempt.failed:
            person.failed[said] = person.failed.get(said, 0) + 1
            if wording:
                fixed = person.fixed.setdefault(said, {})
                fixed[wording] = fixed.get(wording, 0) + 1
        if wording:
            person.served[wording] = person.served.get(wording, 0) + 1

    def like(self, user: str, values: Iterable[str]) -> None:
        if not user:
            return
        person = self.people.setdefault(user, PersonHistory())
        person.likes = list(dict.fromkeys([*person.likes, *values]))


def features(person: PersonHistory, utterance: str, candidate: str, base_failure: float) -> list[float]:
    """How often the person's own request was served by this candidate when it failed them, how often
    they said it, and how often it failed them (pulled toward ``base_failure``)."""
    said = person.said.get(utterance, 0)
    fixed = person.fixed.get(utterance, {}).get(candidate, 0)
    failed = (person.failed.get(utterance, 0) + base_failure) / (said + 1.0)
    return [fixed / said if said else 0.0, math.log1p(said), failed]
