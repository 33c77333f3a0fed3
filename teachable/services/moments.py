"""Teachable moments: finding them in a dataset's logs (a job, in the workers), and confirming or
dismissing each. Confirming teaches the preference, with the moment's turn as its evidence."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotations.models import Dataset, Turn
from annotations.selectors import dialogue_records
from jobs.models import Job
from jobs.services import JobProgress, job_create, job_fail, job_start, job_succeed
from selflearn_site.exceptions import ApplicationError
from teachable.models import Source, TeachableMoment
from teachable.moments import MomentProposal, dialogue_moments, unanswered
from teachable.selectors import catalogue_index, liked_keys, resolution_rules
from teachable.services.preferences import PreferenceInput, preference_learn

BATCH = 500
FIND_MOMENTS_JOB = "find_moments"  # the kind of a moments job (registered in teachable.apps)


def find_moments_job_create(*, dataset: Dataset, user: User | None) -> Job:
    if not resolution_rules(dataset):
        raise ApplicationError(
            "This dataset has no resolution rules, so no request leans on a preference: set them on the "
            "Teaching page first.",
            status=409,
        )
    return job_create(kind=FIND_MOMENTS_JOB, dataset=dataset, user=user, params={})


def find_moments_job_run(*, job: Job) -> Job:
    """Read every dialogue (with its best labels: reviewed ones, else a model's) and keep each moment
    found once; a rerun adds only new ones and leaves decided ones as they were."""
    dataset = job.dataset
    assert dataset is not None  # a moments job is always filed under its dataset
    job_start(job=job, phase="reading the logs")
    progress = JobProgress(job)
    try:
        report = moments_find(dataset=dataset, progress=lambda done: progress("reading the logs", done, None))
    except ApplicationError as error:
        return job_fail(job=job, error=error.message)
    finally:
        progress.close()
    return job_succeed(job=job, result=report)


def moments_find(*, dataset: Dataset, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    rules = resolution_rules(dataset)
    catalogues = {
        rule.catalogue: index
        for rule in rules
        if rule.catalogue and (index := catalogue_index(rule.catalogue)) is not None
    }
    # What people stated already (resolved or kept as written): no moment asks it again.
    liked = liked_keys(dataset)
    found = created = dialogues = 0
    batch: list[MomentProposal] = []
    for record in dialogue_records(dataset, labels="best"):
        dialogues += 1
        batch.extend(unanswered(dialogue_moments(record.data, rules, catalogues), liked))
        if len(batch) >= BATCH:
            created += _save(dataset, batch)
            found += len(batch)
            batch = []
            if progress is not None:
                progress(dialogues)
    created += _save(dataset, batch)
    found += len(batch)
    return {"dialogues": dialogues, "moments_found": found, "moments_new": created}


def _save(dataset: Dataset, proposals: list[MomentProposal]) -> int:
    """Keep the new moments; one whose episode already has a moment of its key (found by an earlier
    run, perhaps on another of the episode's turns, before its labels changed) is not new."""
    if not proposals:
        return 0
    dialogue_ids = {p.dialogue_id for p in proposals}
    turns = {
        (dialogue_id, turn_id): pk
        for pk, dialogue_id, turn_id in Turn.objects.filter(
            dialogue__dataset=dataset, dialogue__external_id__in=dialogue_ids
        ).values_list("pk", "dialogue__external_id", "external_id")
    }
    known = set(
        TeachableMoment.objects.filter(
            dataset=dataset, turn__dialogue__external_id__in=dialogue_ids
        ).values_list("turn__dialogue__external_id", "turn__external_id", "key")
    )
    proposals = [
        p
        for p in proposals
        if not any((p.dialogue_id, turn_id, p.key) in known for turn_id in p.episode or (p.turn_id,))
    ]
    rows = [
        TeachableMoment(
            dataset=dataset,
            user_key=p.user_key,
            turn_id=turns[(p.dialogue_id, p.turn_id)],
            kind=p.kind,
            domain=p.domain,
            key=p.key,
            question=p.question[:500],
            proposed_value=p.proposed_value[:200],
            candidates=list(p.candidates),
            evidence=p.evidence,
        )
        for p in proposals
        if (p.dialogue_id, p.turn_id) in turns
    ]
    before = TeachableMoment.objects.filter(dataset=dataset).count()
    with transaction.atomic():
        TeachableMoment.objects.bulk_create(rows, ignore_conflicts=True)
    return TeachableMoment.objects.filter(dataset=dataset).count() - before


def moment_confirm(*, moment: TeachableMoment, value: str, actor: User) -> TeachableMoment:
    """Teach what the moment asked about: ``value`` (a candidate, the proposal, or the person's own
    answer, kept as written and unresolved where no catalogue knows it) becomes the person's
    preference; refused when the moment was decided already. The
    person's other open moments that the preference answers are settled with it: those about the same
    key that offer no choice, and those whose choice includes the value."""
    if moment.status != TeachableMoment.Status.OPEN:
        raise ApplicationError(f"This moment was {moment.status} already.", status=409)
    value = (value or moment.proposed_value).strip()
    if not value:
        raise ApplicationError("Give the value the person meant.", extra={"field": "value"})
    if moment.candidates and value not in moment.candidates:
        raise ApplicationError(
            f"value must be one of {', '.join(moment.candidates)}.", extra={"field": "value"}
        )
    with transaction.atomic():
        preference = preference_learn(
            dataset=moment.dataset,
            user_key=moment.user_key,
            data=PreferenceInput(moment.domain, moment.key, value, source=Source.MOMENT),
            turn=moment.turn,
            actor=actor,
        )
        now = timezone.now()
        moment.status = TeachableMoment.Status.CONFIRMED
        moment.preference = preference
        moment.decided_by, moment.decided_at = actor, now
        moment.save(update_fields=["status", "preference", "decided_by", "decided_at"])
        answered = [
            other.pk
            for other in TeachableMoment.objects.filter(
                dataset=moment.dataset,
                user_key=moment.user_key,
                domain=moment.domain,
                key=moment.key,
                status=TeachableMoment.Status.OPEN,
            ).only("pk", "candidates")
            if not other.candidates or preference.value in other.candidates
        ]
        TeachableMoment.objects.filter(pk__in=answered).update(
            status=TeachableMoment.Status.CONFIRMED, preference=preference, decided_by=actor, decided_at=now
        )
    return moment


def moment_dismiss(*, moment: TeachableMoment, actor: User) -> TeachableMoment:
    if moment.status != TeachableMoment.Status.OPEN:
        raise ApplicationError(f"This moment was {moment.status} already.", status=409)
    moment.status = TeachableMoment.Status.DISMISSED
    moment.decided_by, moment.decided_at = actor, timezone.now()
    moment.save(update_fields=["status", "decided_by", "decided_at"])
    return moment
