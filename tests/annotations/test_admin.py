"""The Django admin pages of every model render for a superuser."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.services import IMPORT_JOB
from jobs.models import Job
from tests.annotations.page_helpers import make_dialogue

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "annotations_dataset",
    "annotations_dialogue",
    "annotations_turn",
    "annotations_label",
    "annotations_reviewevent",
    "jobs_job",
    "models_app_modelversion",
]


def test_admin_lists_render_for_a_superuser(client, dataset, make_user):
    make_dialogue(dataset, "d1", ["hello there"])
    Job.objects.create(kind=IMPORT_JOB, dataset=dataset)
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    for name in CHANGELISTS:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:annotations_dataset_change", args=[dataset.pk])).status_code == 200


def test_review_events_cannot_be_added_in_the_admin(client, make_user):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    assert client.get(reverse("admin:annotations_reviewevent_add")).status_code == 403
