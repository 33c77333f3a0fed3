from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from annotations.models import Dataset
from jobs.models import Job
from models_app.job_services import TRAIN_JOB
from rewrites.models import RewritePair, RewriterVersion
from teachable.models import Preference, QuestionSet

pytestmark = pytest.mark.django_db


def test_the_demo_comes_with_teaching_and_rewriting_ready(settings, tmp_path, capsys):
    settings.SELFLEARN_REWRITERS_DIR = tmp_path / "rewriters"
    call_command("setup_demo", "--no-model", "--dialogues", "300")
    demo = Dataset.objects.get(name="demo")
    assert QuestionSet.objects.filter(dataset=demo, name="learn-my-preferences").exists()
    assert Preference.objects.filter(dataset=demo).exists()  # the demo people's imported statements
    assert RewritePair.objects.filter(dataset=demo).exists()
    assert RewriterVersion.objects.filter(dataset=demo, active=True).exists()
    out = capsys.readouterr().out
    assert "The preference store knows" in out and "rewrite pairs to review" in out
    call_command("setup_demo", "--no-model", "--dialogues", "300")  # idempotent
    assert RewriterVersion.objects.filter(dataset=demo, active=True).count() == 1


def test_the_demo_models_train_as_jobs_that_label_the_demo_and_the_pages_say_so(
    settings, tmp_path, client, monkeypatch, capsys
):
    settings.SELFLEARN_REWRITERS_DIR = tmp_path / "rewriters"
    # No worker here: the job stays pending, as it does until `make run`'s worker takes it.
    monkeypatch.setattr("jobs.services.job_enqueue_on_commit", lambda **kwargs: None)
    call_command("setup_demo", "--dialogues", "300")
    demo = Dataset.objects.get(name="demo")
    (job,) = Job.objects.filter(kind=TRAIN_JOB)
    assert job.dataset == demo and job.status == Job.Status.PENDING
    # A quick model first, time-boxed, then the full one once its labels are queued.
    assert (job.params["name"], job.params["preset"]) == ("demo-quick", "demo_quick")
    assert job.params["follow_up"] == {"name": "demo", "preset": "demo", "epochs": None}
    assert job.params["label_after"] == ["demo"]
    assert job.params["evaluate_after"] == ["demo"]  # held out: the model page shows its figures
    assert job.params["datasets"] == ["demo-training"]
    # The worker simulates the training dialogues: the site serves before they exist.
    # Other people, failing often so that the model sees every failure point; the demo itself is realistic.
    training = {"dialogues": 8000, "users": 800, "seed": 8, "profile": "failure_heavy"}
    assert job.params["simulate"] == {"demo-training": training}
    assert not Dataset.objects.get(name="demo-training").dialogues.exists()
    assert "a quick model first (3 minutes at most), then the full one (about" in capsys.readouterr().out
    call_command("setup_demo", "--dialogues", "300")  # idempotent: the waiting job is the one
    assert Job.objects.filter(kind=TRAIN_JOB).count() == 1
    client.force_login(User.objects.get(username="admin"))
    page = client.get(f"/datasets/{demo.name}/").content.decode()
    assert "A model is training for this dataset and will label demo when it ends" in page
    assert f'href="/jobs/{job.pk}/"' in page


def test_a_smaller_demo_comes_from_the_settings(settings, tmp_path, monkeypatch):
    settings.SELFLEARN_REWRITERS_DIR = tmp_path / "rewriters"
    settings.SELFLEARN_DEMO_TRAINING_DIALOGUES, settings.SELFLEARN_DEMO_EPOCHS = 120, 1
    monkeypatch.setattr("jobs.services.job_enqueue_on_commit", lambda **kwargs: None)
    call_command("setup_demo", "--dialogues", "300")
    (job,) = Job.objects.filter(kind=TRAIN_JOB)
    assert job.params["simulate"] == {
        "demo-training": {"dialogues": 120, "users": 12, "seed": 8, "profile": "failure_heavy"}
    }
    assert job.params["epochs"] == 1 and job.params["follow_up"]["epochs"] == 1
