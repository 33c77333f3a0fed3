"""Production settings come from the environment and pass Django's deployment checklist; every
response carries a Content-Security-Policy."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "selflearn.example.org",
        "SELFLEARN_VAR_DIR": str(tmp_path / "var"),
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_turn_on_tls_and_hsts(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "selflearn.example.org",
        "SELFLEARN_VAR_DIR": str(tmp_path / "var"),
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    }
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(["
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, list(s.SECURE_PROXY_SSL_HEADER), "
        "s.SESSION_COOKIE_SECURE]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "selflearn_site.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert (
        result.stdout.strip().splitlines()[-1]
        == '[true, 31536000, ["HTTP_X_FORWARDED_PROTO", "https"], true]'
    )


@pytest.mark.django_db
def test_every_page_carries_a_content_security_policy(client, dataset_admin):
    client.force_login(dataset_admin)

    policy = client.get("/").headers["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy  # and the request's nonce, on a page that uses it
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
