"""The cast every test can ask for: a dataset with an admin, a reviewer, a viewer and a stranger; an API
client, and a small labelled dataset to read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from annotations.models import Dataset, Membership, Role
from selflearn_site.celery import app as celery_app
from tests.annotations.page_helpers import make_dialogue

pytest_plugins = ["tests.model_fixtures"]


@pytest.fixture(autouse=True)
def celery_runs_tasks_in_process(settings, tmp_path: Path) -> Iterator[None]:
    """Unit tests run Celery tasks eagerly; the integration tests start a real worker instead.
    Uploaded files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def served_state_forgotten(settings) -> Iterator[None]:
    """Each test starts with the served endpoints' memory empty (a rolled-back dataset's id comes back
    with revision 0 in the next test), and their logs written with each request (the batching tests
    ask for batches)."""
    from rewrites.serving import serving_forget as rewrites_forget
    from rewrites.serving_log import serving_log_discard
    from teachable.selectors import serving_forget as teachable_forget

    settings.SELFLEARN_SERVING_LOG_SECONDS = 0
    rewrites_forget()
    teachable_forget()
    yield
    serving_log_discard()


@pytest.fixture
def make_user(db) -> Callable[..., Any]:
    def make(username: str, **extra: Any) -> Any:
        return get_user_model().objects.create_user(username=username, password="pw-" + username, **extra)

    return make


@pytest.fixture
def dataset(db) -> Dataset:
    return Dataset.objects.create(name="assistant-logs")


@pytest.fixture
def dataset_admin(make_user, dataset):
    user = make_user("alice")
    Membership.objects.create(dataset=dataset, user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def reviewer(make_user, dataset):
    user = make_user("rita")
    Membership.objects.create(dataset=dataset, user=user, role=Role.REVIEWER)
    return user


@pytest.fixture
def viewer(make_user, dataset):
    user = make_user("victor")
    Membership.objects.create(dataset=dataset, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def stranger(make_user):
    return make_user("sam")


@pytest.fixture(autouse=True)
def quick_password_hashing(settings) -> None:
    """The cast's passwords are hashed with a fast hasher: PBKDF2 would make each test's setup take a
    second (autouse fixtures run before the cast is made)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def labelled(dataset, reviewer):
    """Two dialogues of the shared dataset, each turn with an imported (gold) intent, a model's slots
    (confidence 0.7, proposed) and a person's defect label (accepted, by the reviewer)."""
    return [
        make_dialogue(dataset, "d1", ["play purple haze", "louder please"], author=reviewer),
        make_dialogue(dataset, "d2", ["what is the weather in paris"], author=reviewer),
    ]
