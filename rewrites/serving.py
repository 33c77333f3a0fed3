"""What ``POST .../rewrite/`` answers from, kept in the process under the dataset's serving revision
(``selflearn_site.revision_cache``): the served pairs by source, the blocklist, and which rewriter
version is active. A warm request reads none of them from the database; a change to any of them
(``annotations.services.dataset_serving_changed``, called by the services that make it) is read on the
next request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotations.models import Dataset
from rewrites.building import rewriter_load
from rewrites.engine.chains import normalise
from rewrites.engine.rewriter import Rewriter
from rewrites.models import RewriteBlock, RewritePair, RewriterVersion
from rewrites.selectors import SERVED
from selflearn_site.revision_cache import RevisionCache
from teachable.selectors import liked_values


@dataclass(frozen=True)
class ServedPair:
    pk: int
    target: str
    probability: float
    support: int
    users: int
    evidence: Any


@dataclass(frozen=True)
class ServingState:
    dataset_pk: int
    pairs: dict[str, ServedPair]  # by (normalised) source; a blocked source or target is left out
    blocked: frozenset[str]
    rewriter_version: tuple[int, str] | None  # (pk, path) of the active version

    def rewriter(self, dataset: Dataset) -> Rewriter | None:
        if self.rewriter_version is None:
            return None
        return rewriter_load(*self.rewriter_version, dataset=dataset)


# A process serves a handful of datasets; the state of each is small beside its rewriter.
_states: RevisionCache[ServingState] = RevisionCache(size=64)


def serving_state(dataset: Dataset) -> ServingState:
    """The dataset's serving state at its revision: three queries when it changed, none otherwise."""
    return _states.get(dataset.pk, dataset.serving_revision, lambda: _load(dataset))


def _load(dataset: Dataset) -> ServingState:
    blocked = frozenset(RewriteBlock.objects.filter(dataset=dataset).values_list("utterance", flat=True))
    rows = RewritePair.objects.filter(dataset=dataset, status__in=SERVED).values_list(
        "pk", "source", "target", "probability", "support", "users", "evidence"
    )
    pairs = {
        source: ServedPair(pk, target, probability, support, users, evidence)
        for pk, source, target, probability, support, users, evidence in rows
        if source not in blocked and target not in blocked
    }
    version = RewriterVersion.objects.filter(dataset=dataset, active=True).values_list("pk", "path").first()
    return ServingState(dataset.pk, pairs, blocked, version)


# What each person taught that they like, for the personal layer: one entry per person met lately.
_likes: RevisionCache[list[str]] = RevisionCache(size=100_000)


def liked_values_served(dataset: Dataset, user_key: str) -> list[str]:
    """The person's liked values (``teachable.selectors.liked_values``), normalised as the rewriter
    reads words, at the dataset's serving revision: one query the first time a person is met after a
    change, none after."""
    return _likes.get(
        (dataset.pk, user_key),
        dataset.serving_revision,
        lambda: [normalise(value) for value in liked_values(dataset, user_key)],
    )


def serving_forget() -> None:
    """Forget every kept state (tests that change rows behind the services' back)."""
    _states.clear()
    _likes.clear()
