"""Writes of the rewrites app: mining a dataset's rephrases into rewrite pairs (a job, in the workers),
reviewing pairs, the blocklist, and answering a rewrite request (which logs every answer)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotations.formats.exporting import LabelSelection
from annotations.models import Dataset, LabelKind
from annotations.selectors import dialogue_pks_by_external_id, dialogue_records, dialogue_turns
from annotations.services import dataset_serving_changed
from jobs.models import Job
from jobs.services import JobProgress, job_cancelled, job_create, job_fail, job_start, job_succeed
from review.services import ReviewConflict, review_label_create
from rewrites.building import (
    BUILD_REWRITER_JOB,
    build_rewriter_job_create,
    build_rewriter_job_run,
    rewriter_build,
)
from rewrites.engine.chains import DEFAULT_WINDOW, dialogue_chains, normalise
from rewrites.engine.logs import device_kind
from rewrites.engine.markov import RephraseGraph, Rewrite, solve
from rewrites.engine.replay import Tally, has_truth
from rewrites.judging import pair_replays
from rewrites.models import UTTERANCE_LENGTH, RewriteBlock, RewriteLog, RewritePair
from rewrites.selectors import blocked_utterances
from rewrites.serving import liked_values_served, serving_state
from rewrites.serving_log import serving_log_record
from selflearn_site.exceptions import ApplicationError

EVIDENCE_DIALOGUES = 5
# Building the online rewriter lives in rewrites.building; other apps reach it through this module.
__all__ = [
    "BUILD_REWRITER_JOB",
    "MINE_REWRITES_JOB",
    "MiningOptions",
    "RewriteAnswer",
    "build_rewriter_job_create",
    "build_rewriter_job_run",
    "mine_rewrites_job_create",
    "mine_rewrites_job_run",
    "rewrite_block_add",
    "rewrite_block_remove",
    "rewrite_pair_decide",
    "rewrite_request",
    "rewriter_build",
    "rewrites_mine",
]


@dataclass(frozen=True)
class MiningOptions:
    labels: str = "best"  # which rephrase and outcome labels: gold, reviewed, best, model:NAME
    min_probability: float = 0.5
    min_support: int = 2
    # How much likelier the rewrite must serve than the utterance as it is (its own success rate).
    min_margin: float = 0.1
    window_seconds: float = DEFAULT_WINDOW

    def validated(self) -> MiningOptions:
        LabelSelection.parse(self.labels)  # 400 naming "labels" when unknown
        if not 0.0 < self.min_probability <= 1.0:
            raise ApplicationError("min_probability must be in (0, 1].", extra={"field": "min_probability"})
        if not 0.0 <= self.min_margin < 1.0:
            raise ApplicationError("min_margin must be in [0, 1).", extra={"field": "min_margin"})
        if self.min_support < 1:
            raise ApplicationError("min_support must be at least 1.", extra={"field": "min_support"})
        if self.window_seconds <= 0:
            raise ApplicationError("window_seconds must be positive.", extra={"field": "window_seconds"})
        return self


MINE_REWRITES_JOB = "mine_rewrite"  # the kind of a mining job (registered in rewrites.apps)


def mine_rewrites_job_create(*, dataset: Dataset, user: User | None, options: MiningOptions) -> Job:
    return job_create(kind=MINE_REWRITES_JOB, dataset=dataset, user=user, params=asdict(options.validated()))


def mine_rewrites_job_run(*, job: Job) -> Job:
    dataset = job.dataset
    assert dataset is not None  # a mining job is always filed under its dataset
    job_start(job=job, phase="reading rephrase chains")
    progress = JobProgress(job)
    try:
        report = rewrites_mine(
            dataset=dataset,
            options=MiningOptions(**job.params),
            job=job,
            progress=lambda phase, done: progress(phase, done, None),
        )
    except ApplicationError as error:
        return job_fail(job=job, error=error.message)
    except MiningCancelled as cancelled:
        return job_cancelled(job=job, result={"dialogues_read": cancelled.dialogues, "pairs_written": 0})
    finally:
        progress.close()
    return job_succeed(job=job, result=report)


CHECK_EVERY = 1000  # dialogues read between progress reports and looks for a cancel


class MiningCancelled(Exception):
    """Someone cancelled the mining job: it stops before writing any pair."""

    def __init__(self, dialogues: int) -> None:
        super().__init__(f"cancelled after {dialogues} dialogues")
        self.dialogues = dialogues


def rewrites_mine(
    *, dataset: Dataset, options: MiningOptions, job: Job | None = None, progress: Any = None
) -> dict[str, Any]:
    """Chains from every dialogue, the Markov solve, and the pairs that pass both thresholds.

    Reviewed pairs keep their decision and target (their figures are refreshed); proposed pairs that
    no longer pass are dropped; blocked utterances are never a source or a target."""
    # Long: reading the chains, solving and writing the pairs in one transaction; the rewriting engine
    # is being reworked now, and the read and write halves split out with it.
    started = time.perf_counter()
    graph = RephraseGraph()
    evidence: defaultdict[str, list[str]] = defaultdict(list)
    dialogues = chains = 0
    simulated = False
    for record in dialogue_records(dataset, labels=options.labels):
        dialogues += 1
        simulated = simulated or has_truth(record.data)
        for chain in dialogue_chains(record.data, options.window_seconds, single_turns=True):
            graph.add(chain)
            if len(chain.utterances) < 2:
                continue
            chains += 1
            for utterance in set(chain.utterances[:-1]):
                if len(evidence[utterance]) < EVIDENCE_DIALOGUES:
                    evidence[utterance].append(chain.dialogue_id)
        if dialogues % CHECK_EVERY == 0:
            if progress is not None:
                progress("reading rephrase chains", dialogues)
            if job is not None and Job.objects.filter(pk=job.pk, cancel_requested=True).exists():
                raise MiningCancelled(dialogues)
    if chains == 0:
        raise ApplicationError(
            "No rephrase chains in this dataset: it has no rephrase_of labels (import them, or label the "
            "dataset with a model and choose labels=best).",
            extra={"field": "labels"},
        )
    if progress is not None:
        progress("solving", dialogues)
    rewrites, solved = solve(graph)
    blocked = blocked_utterances(dataset)
    chosen = {
        rewrite.source: rewrite
        for rewrite in rewrites
        if rewrite.probability >= options.min_probability
        and rewrite.probability > rewrite.stay + options.min_margin
        and rewrite.support >= options.min_support
        and rewrite.source not in blocked
        and rewrite.target not in blocked
        and len(rewrite.source) <= UTTERANCE_LENGTH
        and len(rewrite.target) <= UTTERANCE_LENGTH
    }
    judged = _judged(dataset, options.labels, chosen) if simulated else {}
    with transaction.atomic():
        existing = {
            pair.source: pair for pair in RewritePair.objects.filter(dataset=dataset).select_for_update()
        }
        stale = [
            pair.pk
            for source, pair in existing.items()
            if source not in chosen and pair.status == RewritePair.Status.PROPOSED
        ]
        RewritePair.objects.filter(pk__in=stale).delete()
        updates, creates = [], []
        for source, rewrite in chosen.items():
            pair = existing.get(source)
            if pair is None:
                pair = RewritePair(
                    dataset=dataset,
                    source=source,
                    target=rewrite.target,
                    proposed_target=rewrite.target,
                    probability=rewrite.probability,
                    support=rewrite.support,
                    users=rewrite.users,
                    evidence=evidence[source],
                    mined_by_job=job,
                )
                _replayed(pair, judged)
                creates.append(pair)
                continue
            _replayed(pair, judged)
            pair.probability, pair.support, pair.users = rewrite.probability, rewrite.support, rewrite.users
            pair.proposed_target, pair.evidence, pair.mined_by_job = rewrite.target, evidence[source], job
            if pair.status == RewritePair.Status.PROPOSED:
                pair.target = rewrite.target
            pair.updated_at = timezone.now()
            updates.append(pair)
        RewritePair.objects.bulk_create(creates, batch_size=1000)
        RewritePair.objects.bulk_update(
            updates,
            [
                "target",
                "proposed_target",
                "probability",
                "support",
                "users",
                "evidence",
                "mined_by_job",
                "assistant_attempts",
                "assistant_wins",
                "assistant_losses",
                "updated_at",
            ],
            batch_size=1000,
        )
        dataset_serving_changed(dataset=dataset)
    return {
        "dialogues": dialogues,
        "chains": chains,
        "transitions": solved.transitions,
        "states": solved.states,
        "iterations": solved.iterations,
        "pairs": len(chosen),
        "judged_by_the_assistant": bool(judged),
        "new_pairs": len(creates),
        "dropped_pairs": len(stale),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _judged(dataset: Dataset, labels: str, chosen: Mapping[str, Rewrite]) -> dict[str, Tally]:
    """Each chosen pair judged by the assistant, with the target it will serve: a reviewer's where a
    reviewer decided (read without a lock: the next mining refreshes a figure a decision overtook)."""
    reviewed = dict(
        RewritePair.objects.filter(dataset=dataset, source__in=list(chosen))
        .exclude(status=RewritePair.Status.PROPOSED)
        .values_list("source", "target")
    )
    targets = {source: reviewed.get(source, rewrite.target) for source, rewrite in chosen.items()}
    return pair_replays(dataset=dataset, labels=labels, targets=targets)


def _replayed(pair: RewritePair, judged: Mapping[str, Tally]) -> None:
    tally = judged.get(pair.source)
    pair.assistant_attempts = tally.attempts if tally else None
    pair.assistant_wins = tally.wins if tally else None
    pair.assistant_losses = tally.losses if tally else None


def rewrite_pair_decide(
    *, pair: RewritePair, action: str, actor: User, target: str | None = None
) -> RewritePair:
    """Accept, reject or edit (a new target) a pair, like a label."""
    if action not in ("accept", "reject", "edit"):
        raise ApplicationError("action must be accept, reject or edit.", extra={"field": "action"})
    if action == "edit":
        cleaned = normalise(target or "")
        if not cleaned or len(cleaned) > UTTERANCE_LENGTH:
            raise ApplicationError(
                f"target must be 1 to {UTTERANCE_LENGTH} characters of words.", extra={"field": "target"}
            )
        if cleaned == pair.source:
            raise ApplicationError("A rewrite must differ from what it rewrites.", extra={"field": "target"})
        pair.target = cleaned
    status = {
        "accept": RewritePair.Status.ACCEPTED,
        "reject": RewritePair.Status.REJECTED,
        "edit": RewritePair.Status.EDITED,
    }
    with transaction.atomic():
        pair.status = status[action]
        pair.reviewed_by, pair.reviewed_at = actor, timezone.now()
        pair.save(update_fields=["target", "status", "reviewed_by", "reviewed_at", "updated_at"])
        dataset_serving_changed(dataset=pair.dataset_id)
        if pair.status != RewritePair.Status.REJECTED:
            rewrite_labels_write(pair=pair, actor=actor)
    return pair


def rewrite_labels_write(*, pair: RewritePair, actor: User) -> int:
    """An accepted pair is a label too: each evidence turn that said the source gets a FORMAT.md
    ``rewrite`` label with the target, as the reviewer's own (exported like any reviewed label).
    A turn that already has a rewrite label keeps it: the reviewer decides on that one in review."""
    pks = dialogue_pks_by_external_id(pair.dataset, pair.evidence)
    written = 0
    for turn in dialogue_turns(pair.dataset, pks.values()):
        if normalise(turn.utterance) != pair.source:
            continue
        try:
            review_label_create(
                dialogue=turn.dialogue,
                reviewer=actor,
                kind=LabelKind.REWRITE,
                turn_external_id=turn.external_id,
                value=pair.target,
            )
        except ReviewConflict:
            continue
        written += 1
    return written


def rewrite_block_add(*, dataset: Dataset, utterance: str, actor: User) -> RewriteBlock:
    cleaned = normalise(utterance or "")
    if not cleaned or len(cleaned) > UTTERANCE_LENGTH:
        raise ApplicationError(
            f"utterance must be 1 to {UTTERANCE_LENGTH} characters of words.", extra={"field": "utterance"}
        )
    with transaction.atomic():
        block, _ = RewriteBlock.objects.get_or_create(
            dataset=dataset, utterance=cleaned, defaults={"created_by": actor}
        )
        dataset_serving_changed(dataset=dataset)
    return block


@transaction.atomic
def rewrite_block_remove(*, block: RewriteBlock) -> None:
    block.delete()
    dataset_serving_changed(dataset=block.dataset_id)


@dataclass(frozen=True)
class RewriteAnswer:
    utterance: str
    rewrite: str | None
    layer: str | None  # "global" (a served pair) or None when passed through
    score: float | None
    reason: str
    evidence: dict[str, Any]


def rewrite_request(
    *, dataset: Dataset, user_key: str, utterance: str, device: Mapping[str, Any] | None = None
) -> RewriteAnswer:
    """The served rewrite of the utterance, or a pass-through with its reason; logged either way.
    ``device`` is the FORMAT.md device of the request (its type and screen are the ranker's context)."""
    if not isinstance(utterance, str) or not utterance.strip():
        raise ApplicationError("utterance must be a non-empty string.", extra={"field": "utterance"})
    if len(utterance) > UTTERANCE_LENGTH:
        raise ApplicationError(
            f"utterance is longer than {UTTERANCE_LENGTH} characters.", extra={"field": "utterance"}
        )
    source = normalise(utterance)
    # The pairs, the blocklist and the rewriter as of the dataset's serving revision (no query when
    # nothing changed since this process read them).
    state = serving_state(dataset)
    pair = state.pairs.get(source)
    if pair is None:
        rewriter = state.rewriter(dataset)
        if rewriter is None:
            answer = RewriteAnswer(utterance, None, None, None, "no served rewrite for this utterance", {})
        else:
            likes = liked_values_served(dataset, user_key) if user_key else []
            decision = rewriter.decide(source, user_key, device_kind(device), likes)
            blocked = decision.rewrite is not None and decision.rewrite in state.blocked
            answer = RewriteAnswer(
                utterance,
                None if blocked else decision.rewrite,
                None if blocked else decision.layer,
                round(decision.score, 4),
                "the rewrite is blocked" if blocked else decision.reason,
                {"threshold": rewriter.threshold},
            )
    else:
        answer = RewriteAnswer(
            utterance,
            pair.target,
            "global",
            pair.probability,
            "a reviewed rewrite mined from people's rephrases",
            {"pair": pair.pk, "support": pair.support, "users": pair.users, "dialogues": pair.evidence},
        )
    # Written in batches, off the request's path (rewrites.serving_log).
    serving_log_record(
        RewriteLog(
            dataset_id=dataset.pk,
            user_key=user_key[:200],
            utterance=utterance[:UTTERANCE_LENGTH],
            rewrite=answer.rewrite or "",
            layer=answer.layer or "",
            score=answer.score,
            reason=answer.reason,
        )
    )
    return answer
