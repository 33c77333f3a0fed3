"""The API tests' cast: the shared dataset and its people (tests/conftest.py), a client, and a small
labelled dataset to read."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.annotations.page_helpers import make_dialogue


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
