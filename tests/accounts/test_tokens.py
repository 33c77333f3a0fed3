"""API tokens: a person creates named tokens in the browser, sees each key once, uses it as
``Authorization: Token <key>``, and revokes one without touching the others."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create, key_digest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def authenticated(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_a_key_works_and_only_its_digest_is_stored(dataset, dataset_admin):
    token, key = api_token_create(user=dataset_admin, name="pipeline")
    assert key.startswith("sl_") and len(key) > 40
    assert token.key_digest == key_digest(key) and key not in token.key_digest
    response = authenticated(key).get("/api/datasets/")
    assert response.status_code == 200
    assert response.json()["results"][0]["name"] == "assistant-logs"


def test_a_wrong_or_malformed_key_is_a_401(dataset):
    for header in ("Token sl_nope", "Token", "Token a b"):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=header)
        response = api.get("/api/datasets/")
        assert response.status_code == 401, header
        assert "detail" in response.json()


def test_a_token_of_a_deactivated_person_stops_working(dataset_admin):
    _, key = api_token_create(user=dataset_admin, name="pipeline")
    dataset_admin.is_active = False
    dataset_admin.save()
    assert authenticated(key).get("/api/datasets/").status_code == 401


def test_revoking_one_token_leaves_the_others_working(dataset_admin):
    first, first_key = api_token_create(user=dataset_admin, name="training")
    _, second_key = api_token_create(user=dataset_admin, name="metrics")
    client = APIClient()
    client.force_login(dataset_admin)
    assert client.post(f"/account/tokens/{first.pk}/revoke/").status_code == 302
    assert authenticated(first_key).get("/api/datasets/").status_code == 401
    assert authenticated(second_key).get("/api/datasets/").status_code == 200


def test_a_person_cannot_revoke_someone_elses_token(dataset_admin, stranger):
    token, key = api_token_create(user=dataset_admin, name="training")
    client = APIClient()
    client.force_login(stranger)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert authenticated(key).get("/api/datasets/").status_code == 200


def test_the_page_shows_a_new_key_once_and_lists_tokens_by_name(client, dataset_admin):
    client.force_login(dataset_admin)
    created = client.post("/account/tokens/", {"name": "training pipeline"})
    assert created.status_code == 200
    key = re.search(r'<code id="new-key"[^>]*>(sl_[^<]+)</code>', created.content.decode()).group(1)
    assert authenticated(key).get("/api/datasets/").status_code == 200
    listing = client.get("/account/tokens/").content.decode()
    assert "training pipeline" in listing and key[:10] in listing
    assert key not in listing


def test_two_tokens_of_one_person_may_not_share_a_name(client, dataset_admin):
    api_token_create(user=dataset_admin, name="training")
    client.force_login(dataset_admin)
    response = client.post("/account/tokens/", {"name": "training"})
    assert response.status_code == 400
    assert "already have a token named" in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_the_token_page_needs_a_login(client):
    assert client.get("/account/tokens/").status_code == 302


def test_use_is_recorded_at_most_once_a_minute(dataset_admin):
    token, key = api_token_create(user=dataset_admin, name="training")
    authenticated(key).get("/api/datasets/")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    authenticated(key).get("/api/datasets/")
    token.refresh_from_db()
    assert token.last_used_at == first_use
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=2))
    authenticated(key).get("/api/datasets/")
    token.refresh_from_db()
    assert token.last_used_at > first_use


def test_the_command_prints_a_working_key(dataset_admin):
    out = io.StringIO()
    call_command("create_api_token", "alice", "--name", "ci", stdout=out)
    assert authenticated(out.getvalue().strip()).get("/api/datasets/").status_code == 200
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("create_api_token", "nobody")
