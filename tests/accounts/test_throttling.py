"""Logins and API tokens are throttled (django-axes): past AXES_FAILURE_LIMIT failures from one
address, that username (or, for tokens, that address) is locked out until the cool-off, even with the
right password or a good key; a success before the limit starts the count again."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_FAILURE_LIMIT = 5


def log_in(client, password: str, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": "alice", "password": password}, REMOTE_ADDR=address)


def test_wrong_passwords_past_the_limit_lock_out_even_the_right_one(client, dataset_admin):
    for _ in range(200):
        log_in(client, "wrong")

    response = log_in(client, "pw-alice")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_address_and_username(client, dataset_admin):
    for _ in range(5):
        log_in(client, "wrong")

    response = log_in(client, "pw-alice", address="10.0.0.2")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(dataset_admin.pk)


def test_a_success_before_the_limit_starts_the_count_again(client, dataset_admin):
    for _ in range(4):
        log_in(client, "wrong")
    assert log_in(client, "pw-alice").status_code == 302
    client.logout()
    for _ in range(4):
        log_in(client, "wrong")

    assert log_in(client, "pw-alice").status_code == 302


def test_bad_api_tokens_past_the_limit_lock_out_the_address_even_with_a_good_key(dataset_admin):
    _, key = api_token_create(user=dataset_admin, name="script")
    guesser = APIClient(REMOTE_ADDR="10.0.0.9")
    answers = []
    for attempt in range(5):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token sl_guess{attempt}")
        answers.append(guesser.get("/api/datasets/").status_code)
    assert answers == [401, 401, 401, 401, 429]  # the attempt that reaches the limit locks out

    guesser.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert guesser.get("/api/datasets/").status_code == 401

    elsewhere = APIClient(REMOTE_ADDR="10.0.0.10")
    elsewhere.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert elsewhere.get("/api/datasets/").status_code == 200
