"""The job page in a real browser: its module polls the job's status and shows the end in place,
with the result in the kind's words, without a reload or a script error."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.models import Dataset, Membership, Role
from jobs.models import Job
from models_app.job_services import LABEL_JOB

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_job_page_follows_a_job_to_its_end(page_as, make_user):
    dataset = Dataset.objects.create(name="assistant-logs")
    ada = make_user("ada")
    Membership.objects.create(dataset=dataset, user=ada, role=Role.ADMIN)
    job = Job.objects.create(
        kind=LABEL_JOB,
        dataset=dataset,
        created_by=ada,
        status=Job.Status.RUNNING,
        phase="labelling",
        started_at=timezone.now(),
        progress_done=40,
        progress_total=80,
    )
    page = page_as(ada)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(reverse("jobs:job-detail", args=[job.pk]))
    assert page.locator('[data-field="progress"]').inner_text() == "50.0% · 40 of 80 turns"

    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED,
        finished_at=timezone.now(),
        progress_done=80,
        result={"turns_labelled": 80, "labels_written": 480, "seconds_in_chunks": 12.0},
    )

    page.locator('[data-key="labels_written"]').wait_for()
    assert page.locator('[data-field="status"]').inner_text() == "Succeeded"
    assert page.locator('[data-key="labels_written"] dd').inner_text() == "480"
    assert page.locator('[data-field="progress"]').inner_text() == "480 labels written on 80 turns"
    assert page.locator("#job-progress").evaluate("bar => bar.value") == 100
    assert problems == []
