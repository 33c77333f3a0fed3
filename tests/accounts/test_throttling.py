"""Logins and API tokens are throttled (django-axes): past AXES_FAILURE_LIMIT failures from one
address, that username (or, for tokens, that key prefix) is locked out there until the cool-off, even
with the right password or a good key; a success before the limit starts the count again. The owner
of a locked username gets in at once through a password-reset link, which clears the lock; another
token from the same address is never held back by someone's bad ones."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import PREFIX_SHOWN, api_token_create

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


def guess(client: APIClient, key: str):
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/datasets/")


def test_bad_api_tokens_from_an_address_do_not_lock_out_good_tokens_from_it(dataset_admin):
    _, key = api_token_create(user=dataset_admin, name="script")
    shared_address = APIClient(REMOTE_ADDR="10.0.0.9")

    answers = [guess(shared_address, f"sl_guess{attempt}xyz").status_code for attempt in range(20)]

    assert answers == [401] * 20
    assert guess(shared_address, key).status_code == 200


def test_bad_api_tokens_with_one_prefix_lock_that_prefix_out_at_that_address_with_a_json_429(
    dataset_admin,
):
    _, key = api_token_create(user=dataset_admin, name="script")
    prefix = key[:PREFIX_SHOWN]
    guesser = APIClient(REMOTE_ADDR="10.0.0.9")

    answers = [guess(guesser, f"{prefix}wrong{attempt}") for attempt in range(5)]

    assert [answer.status_code for answer in answers] == [401, 401, 401, 401, 429]
    locked = guess(guesser, key)
    assert locked.status_code == 429
    for answer in (answers[-1], locked):
        assert answer["Content-Type"] == "application/json"
        assert "Too many failed attempts" in answer.json()["detail"]
        assert int(answer["Retry-After"]) == 15 * 60
    assert guess(APIClient(REMOTE_ADDR="10.0.0.10"), key).status_code == 200
