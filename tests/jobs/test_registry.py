"""The registry of job kinds: each app registers its kinds when it is ready, jobs runs them through
three Celery tasks named in one place (jobs.dispatch), and a kind nobody registered is refused where
the job would be made, not in a worker."""

from __future__ import annotations

import pytest
from celery import Task

from jobs.dispatch import BACKGROUND_TASK, CHUNK_TASK, JOB_TASK, task
from jobs.registry import UnknownJobKind, background_action, job_kind, job_kinds
from jobs.services import job_create


def test_each_app_registers_its_kinds_when_it_is_ready():
    kinds = {entry.kind: entry for entry in job_kinds()}
    assert set(kinds) == {"import", "label", "train", "evaluate", "find_moments", "mine_rewrite", "rewriter"}
    assert [kind for kind, entry in kinds.items() if entry.is_chunked] == ["label"]
    assert kinds["import"].start_role == kinds["train"].start_role == "admin"
    assert kinds["label"].start_role == "reviewer"


def test_every_kind_says_what_its_progress_counts_and_how_its_result_reads():
    for entry in job_kinds():
        assert entry.label and entry.rate_unit, entry.kind
        assert entry.summary is not None, f"{entry.kind} has no summary of its result"
        assert entry.notice is not None, f"{entry.kind} says nothing on its dataset's pages"
    assert job_kind("import").unit("validating") == "bytes"
    assert job_kind("import").unit("writing") == "dialogues"


def test_each_path_of_the_dispatch_names_a_celery_task():
    assert task(JOB_TASK).name == "jobs.run"
    assert task(CHUNK_TASK).name == "jobs.chunk"
    assert task(BACKGROUND_TASK).name == "jobs.background"
    assert all(isinstance(task(path), Task) for path in (JOB_TASK, CHUNK_TASK, BACKGROUND_TASK))


def test_a_kind_nobody_registered_is_refused_by_name():
    with pytest.raises(UnknownJobKind, match="'sculpt'"):
        job_kind("sculpt")


@pytest.mark.django_db
def test_a_job_of_an_unregistered_kind_is_refused_before_it_is_made():
    with pytest.raises(UnknownJobKind):
        job_create(kind="sculpt", params={})


def test_the_kept_counts_refresh_is_a_registered_background_action():
    assert callable(background_action("annotations.dataset_stats_refresh"))
    with pytest.raises(LookupError):
        background_action("annotations.nothing")


def test_a_kind_must_run_either_as_one_task_or_in_chunks():
    from jobs.registry import JobKind

    with pytest.raises(ValueError, match="exactly one of run and chunks"):
        JobKind(kind="both", label="Both")
