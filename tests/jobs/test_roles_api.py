"""Jobs and model versions are governed by the roles of every dataset they read: training needs an
admin of the dataset it is filed under and at least a reviewer of each dataset it reads; a person sees
a job or a model only while they belong to all of them, and a member removed from a dataset loses its
jobs, even those they started."""

from __future__ import annotations

import pytest

from annotations.models import Dataset, Membership, Role
from annotations.services import membership_remove
from jobs.models import Job
from models_app import job_services
from models_app.job_services import LABEL_JOB
from models_app.models import ModelVersion

pytestmark = pytest.mark.django_db

URL = "/api/datasets/assistant-logs/"


@pytest.fixture
def own_dataset(reviewer) -> Dataset:
    """A dataset the reviewer made, so they are its admin."""
    own = Dataset.objects.create(name="mine")
    Membership.objects.create(dataset=own, user=reviewer, role=Role.ADMIN)
    return own


def test_a_reviewer_training_on_another_dataset_files_the_job_under_their_own(
    api, dataset, reviewer, own_dataset
):
    api.force_authenticate(reviewer)
    response = api.post(
        "/api/datasets/mine/training-jobs/", {"name": "stolen", "datasets": ["assistant-logs"]}, format="json"
    )
    # Allowed (they review the other), but the job is theirs: filed under their own dataset, where
    # the other's admins neither see nor answer for it.
    assert response.status_code == 202
    job = Job.objects.get()
    assert job.dataset == own_dataset
    assert set(job.reads.all()) == {own_dataset, dataset}
    assert not Job.objects.filter(dataset=dataset).exists()


def test_training_needs_at_least_a_reviewer_of_every_dataset_it_reads(dataset, dataset_admin, viewer):
    other = Dataset.objects.create(name="other")
    Membership.objects.create(dataset=other, user=dataset_admin, role=Role.VIEWER)

    with pytest.raises(job_services.PermissionDenied):
        job_services.train_job_create(name="m", dataset=dataset, datasets=[other], user=dataset_admin)
    with pytest.raises(job_services.PermissionDenied):
        job_services.train_job_create(name="m", dataset=other, datasets=[dataset], user=dataset_admin)
    assert not Job.objects.exists()


def test_a_training_job_is_filed_under_the_dataset_whose_admin_starts_it(dataset, reviewer, own_dataset):
    job = job_services.train_job_create(name="m", dataset=own_dataset, datasets=[dataset], user=reviewer)

    assert job.dataset == own_dataset
    assert set(job.reads.all()) == {own_dataset, dataset}


def test_a_job_is_hidden_from_those_who_do_not_belong_to_every_dataset_it_reads(
    api, dataset, reviewer, own_dataset, make_user
):
    job = job_services.train_job_create(name="m", dataset=own_dataset, datasets=[dataset], user=reviewer)
    only_mine = make_user("olga")
    Membership.objects.create(dataset=own_dataset, user=only_mine, role=Role.ADMIN)

    api.force_authenticate(only_mine)
    assert api.get(f"/api/jobs/{job.pk}/").status_code == 404
    assert api.post(f"/api/jobs/{job.pk}/cancel/").status_code == 404
    assert api.get("/api/jobs/").json()["count"] == 0
    api.force_authenticate(reviewer)
    assert api.get(f"/api/jobs/{job.pk}/").status_code == 200


def test_a_member_removed_from_a_dataset_can_no_longer_read_cancel_or_retry_its_jobs(
    api, dataset, dataset_admin, reviewer
):
    job = Job.objects.create(kind=LABEL_JOB, dataset=dataset, created_by=reviewer, status="failed")
    job.reads.set([dataset])
    membership_remove(dataset=dataset, user=reviewer)

    api.force_authenticate(reviewer)
    assert api.get(f"/api/jobs/{job.pk}/").status_code == 404
    assert api.post(f"/api/jobs/{job.pk}/cancel/").status_code == 404
    assert api.post(f"/api/jobs/{job.pk}/retry/").status_code == 404
    assert api.get("/api/jobs/").json()["count"] == 0
    job.refresh_from_db()
    assert job.status == "failed"


def test_a_member_demoted_below_the_role_a_job_needs_can_no_longer_cancel_the_job_they_started(
    api, dataset, dataset_admin, reviewer
):
    job = Job.objects.create(kind=LABEL_JOB, dataset=dataset, created_by=reviewer)
    job.reads.set([dataset])
    Membership.objects.filter(dataset=dataset, user=reviewer).update(role=Role.VIEWER)

    api.force_authenticate(reviewer)
    assert api.get(f"/api/jobs/{job.pk}/").status_code == 200
    assert api.post(f"/api/jobs/{job.pk}/cancel/").status_code == 403


def test_strangers_do_not_see_model_versions_of_other_datasets(api, dataset, reviewer, stranger, viewer):
    model = ModelVersion.objects.create(name="assistant-v1", inventories={"intent": ["SecretIntent"]})
    model.trained_on.set([dataset])

    api.force_authenticate(stranger)
    assert api.get("/api/models/").json()["count"] == 0
    assert api.get(f"/api/models/{model.pk}/").status_code == 404
    assert api.post("/api/datasets/x/labelling-jobs/", {"model": "assistant-v1"}).status_code == 404
    api.force_authenticate(viewer)
    assert api.get(f"/api/models/{model.pk}/").json()["inventories"] == {"intent": ["SecretIntent"]}


def test_a_model_learned_from_two_datasets_is_seen_only_by_members_of_both(
    api, dataset, reviewer, own_dataset
):
    model = ModelVersion.objects.create(name="both")
    model.trained_on.set([dataset, own_dataset])

    api.force_authenticate(reviewer)
    assert api.get(f"/api/models/{model.pk}/").status_code == 200
    Membership.objects.filter(dataset=own_dataset, user=reviewer).delete()
    assert api.get(f"/api/models/{model.pk}/").status_code == 404
    response = api.post(URL + "labelling-jobs/", {"model": "both"}, format="json")
    assert response.status_code == 400
    assert "model" in response.json()


def test_a_trained_model_records_the_datasets_it_learned_from(simulated_dataset, model):
    assert list(model.trained_on.all()) == [simulated_dataset]
