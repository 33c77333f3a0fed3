"""A login locked by wrong passwords (someone sharing the owner's address can cause it) never keeps
the owner out: the lockout page offers a password reset, and the emailed link sets a new password,
clears the lock from every address and logs the owner in. The reset page tells no one whether an
account has the address it was given."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db

ADDRESS = "10.0.0.1"
PHONE = "10.0.0.2"  # where the owner opens the emailed link


@pytest.fixture(autouse=True)
def quick_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_FAILURE_LIMIT = 5


@pytest.fixture
def owner(make_user):
    return make_user("alice", email="alice@example.org")


def log_in(client, password: str):
    return client.post("/login/", {"username": "alice", "password": password}, REMOTE_ADDR=ADDRESS)


def lock_out(client) -> None:
    for _ in range(6):
        log_in(client, "a wrong guess")


def reset_link(client, email: str) -> str:
    client.post(reverse("accounts:password-reset"), {"email": email}, REMOTE_ADDR=PHONE)
    assert len(mail.outbox) == 1
    return re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)


def test_the_lockout_page_offers_the_password_reset(client, owner):
    lock_out(client)

    response = log_in(client, "pw-alice")

    assert response.status_code == 429
    assert reverse("accounts:password-reset") in response.content.decode()


def test_the_owners_reset_link_clears_the_lock_everywhere_and_logs_them_in(client, owner):
    lock_out(client)
    assert log_in(client, "pw-alice").status_code == 429

    link = reset_link(client, "alice@example.org")
    form = client.get(link, follow=True, REMOTE_ADDR=PHONE)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a new long passphrase", "new_password2": "a new long passphrase"},
        REMOTE_ADDR=PHONE,
    )

    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)
    client.logout()
    assert log_in(client, "a new long passphrase").status_code == 302  # from the locked address


def test_the_reset_page_answers_the_same_for_an_address_no_account_has(client, owner):
    known = client.post(reverse("accounts:password-reset"), {"email": "alice@example.org"})
    unknown = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1
