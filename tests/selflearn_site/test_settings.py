"""Settings come from the environment: each check starts a fresh interpreter with its own variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = """
import django, json
from django.conf import settings
django.setup()
database = settings.DATABASES["default"]
print(json.dumps({
    "db": database["ENGINE"], "name": str(database["NAME"]), "broker": settings.CELERY_BROKER_URL,
    "debug": settings.DEBUG, "key": settings.SECRET_KEY,
}))
"""


def settings_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}
    }
    clean.update(
        {"DJANGO_SETTINGS_MODULE": "selflearn_site.settings", "SELFLEARN_VAR_DIR": str(tmp_path)}, **env
    )
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_defaults_need_no_server(tmp_path):
    result = settings_with(tmp_path)

    values = json.loads(result.stdout)
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "selflearn.sqlite3")
    assert values["broker"] == f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"


def test_a_local_secret_key_is_generated_once_and_kept(tmp_path):
    first = json.loads(settings_with(tmp_path).stdout)["key"]
    second = json.loads(settings_with(tmp_path).stdout)["key"]

    assert first == second == (tmp_path / "secret_key").read_text()
    assert len(first) >= 50


def test_urls_switch_to_postgresql_and_redis_without_code_changes(tmp_path):
    result = settings_with(
        tmp_path,
        DATABASE_URL="postgres://u@db.example:5432/selflearn",
        CELERY_BROKER_URL="redis://cache.example:6379/0",
    )

    values = json.loads(result.stdout)
    assert (values["db"], values["name"]) == ("django.db.backends.postgresql", "selflearn")
    assert values["broker"] == "redis://cache.example:6379/0"


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = settings_with(tmp_path, DEBUG="0")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert json.loads(settings_with(tmp_path, DEBUG="0", SECRET_KEY="s" * 50).stdout)["debug"] is False


def test_a_malformed_boolean_is_refused(tmp_path):
    result = settings_with(tmp_path, DEBUG="maybe")

    assert "DEBUG must be a boolean" in result.stderr
