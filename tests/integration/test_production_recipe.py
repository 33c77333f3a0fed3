"""The production recipe of docs/OPERATIONS.md, run as written: its settings (DEBUG off), `migrate`,
`collectstatic`, `check --deploy`, gunicorn and a Celery worker, behind a TLS-terminating proxy that
sets X-Forwarded-Proto. Chromium then logs in over HTTPS, creates a dataset, imports a file (the
worker runs the job) and opens the pages; each must serve, with its static files.

The commands come from the recipe's block itself, so the documentation cannot drift from what is
tested. Only what names this machine is replaced: the database, broker and folders of the test, the
host name, and the port gunicorn binds. It runs in the PostgreSQL pass with the other integration
tests; under CI=true a missing Redis, openssl or Chromium fails it instead of skipping it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import global_settings
from django.contrib.auth import get_user_model
from django.db import connection

from tests.e2e.conftest import launched_chromium
from tests.factories import dialogue as dialogue_data
from tests.integration.tls_proxy import tls_proxy

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "docs" / "OPERATIONS.md"
SECTION = "## Running in production"
REDIS_URL = os.environ.get("SELFLEARN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI") == "true"
PASSWORD = "a long operator passphrase"
# The recipe's web bind address, replaced by a free port of this machine.
DOCUMENTED_BIND = "127.0.0.1:8000"


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI needs this for the production recipe test: {reason}")
    pytest.skip(reason)


def recipe() -> tuple[dict[str, str], list[list[str]]]:
    """The settings the recipe exports and the commands it runs, in order."""
    text = RECIPE.read_text()
    section = text[text.index(SECTION) :]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None, f"{RECIPE} has no bash block under {SECTION!r}"
    settings: dict[str, str] = {}
    commands: list[list[str]] = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "export":
            settings.update(word.split("=", 1) for word in words[1:])
        else:
            commands.append(words)
    return settings, commands


def test_the_recipe_exports_settings_and_runs_each_documented_step():
    settings, commands = recipe()

    assert settings["DEBUG"] == "0"
    assert settings["SECURE_PROXY_SSL_HEADER"] == "HTTP_X_FORWARDED_PROTO,https"
    steps = [" ".join(command[:3]) for command in commands]
    assert steps == [
        ".venv/bin/python manage.py migrate",
        ".venv/bin/python manage.py collectstatic",
        ".venv/bin/python manage.py check",
        ".venv/bin/gunicorn selflearn_site.wsgi --workers",
        ".venv/bin/celery -A selflearn_site",
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(settings: dict[str, str], tmp_path: Path) -> dict[str, str]:
    database = connection.settings_dict
    return {
        **os.environ,
        **settings,
        # What names this machine: the test's database, broker, folders and host name.
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database.get('PASSWORD') or ''}@"
            f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "CELERY_BROKER_URL": REDIS_URL,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SELFLEARN_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "localhost",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
    }


def _wait_until_serving(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, f"gunicorn stopped:\n{log.read_text()}"
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            probe.request("GET", "/login/")
            probe.getresponse()  # any answer (on plain HTTP, the redirect to HTTPS) means it serves
            return
        except OSError:
            time.sleep(0.3)
        finally:
            probe.close()
    pytest.fail(f"gunicorn did not answer within a minute:\n{log.read_text()}")


@pytest.fixture
def production_site(tmp_path, settings) -> Iterator[dict[str, Any]]:
    """The recipe's steps on this machine; yields the proxy's HTTPS base URL."""
    import redis

    if connection.vendor != "postgresql":
        pytest.skip("the integration tests run in the PostgreSQL pass (DATABASE_URL=postgres://...)")
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.RedisError as error:
        _require(False, f"Redis is unreachable at {REDIS_URL}: {error}")
    _require(shutil.which("openssl") is not None, "the openssl command makes the proxy's certificate")

    # Made here, not in the test: inside Playwright's event loop the ORM would open a connection of
    # its own that nothing closes. Hashed as production hashes it: the suite's quick test hasher is
    # not one the served site accepts, and the login would fail.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    get_user_model().objects.create_superuser("operator", "ops@example.org", PASSWORD)
    settings, commands = recipe()
    env = _environment(settings, tmp_path)
    web_port = _free_port()
    binaries = str(Path(sys.executable).parent) + "/"
    started: list[subprocess.Popen] = []
    try:
        for command in commands:
            words = [
                word.replace(".venv/bin/", binaries).replace(DOCUMENTED_BIND, f"127.0.0.1:{web_port}")
                for word in command
            ]
            if Path(words[0]).name in ("gunicorn", "celery"):
                log = tmp_path / f"{Path(words[0]).name}.log"
                started.append(
                    subprocess.Popen(
                        words,
                        cwd=ROOT,
                        env=env,
                        stdout=log.open("w"),
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            else:
                done = subprocess.run(words, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
                assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
        _wait_until_serving(web_port, started[0], tmp_path / "gunicorn.log")
        with tls_proxy(("127.0.0.1", web_port), tmp_path) as proxy_port:
            yield {"url": f"https://localhost:{proxy_port}", "logs": tmp_path}
    finally:
        for process in started:
            _stop(process)
        _wait_for_their_connections_to_close()


def _wait_for_their_connections_to_close() -> None:
    """The server ends a killed client's session a moment later; the test database is dropped after."""
    deadline = time.monotonic() + 15
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    """A warm shutdown (SIGTERM, as an operator stops them), then nothing of its group may remain: a
    pool child left behind would hold a database connection past the test."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def test_the_production_recipe_serves_pages_over_the_tls_proxy_and_its_worker_runs_jobs(
    production_site, chromium, tmp_path
):
    base = production_site["url"]
    context = chromium.new_context(base_url=base, ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    failures: list[str] = []
    page.on(
        "response",
        lambda answer: failures.append(f"{answer.status} {answer.url}") if answer.status >= 400 else None,
    )

    login = page.goto("/login/")
    assert login.headers["strict-transport-security"].startswith("max-age=31536000")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/datasets/")
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["csrftoken"]["secure"]

    page.goto("/datasets/new/")
    page.fill("input[name=name]", "production-logs")
    page.get_by_role("button", name="Create dataset").click()
    page.wait_for_url("**/datasets/production-logs/")
    upload = tmp_path / "logs.jsonl"
    upload.write_text("".join(json.dumps(dialogue_data(f"d{number}")) + "\n" for number in range(3)))
    page.goto("/datasets/production-logs/import/")
    page.set_input_files("input[name=file]", str(upload))
    page.get_by_role("button", name="Start import").click()
    page.wait_for_url("**/jobs/*/")
    page.wait_for_selector("[data-field=status]:text('Succeeded')", timeout=120_000)

    for path, text in [
        ("/datasets/production-logs/", "d1"),
        ("/datasets/", "production-logs"),
        ("/admin/", "Site administration"),
        ("/api/docs/", "Selflearn API"),
        ("/account/tokens/", "API tokens"),
    ]:
        answer = page.goto(path)
        assert answer.status == 200, path
        page.wait_for_load_state("networkidle")
        assert text in page.content(), path
    stylesheet = page.evaluate("document.querySelector('link[rel=stylesheet]')?.href || ''")
    assert re.search(r"/static/.*\.[0-9a-f]{12}\.css$", stylesheet), stylesheet  # from the manifest
    assert failures == []
    context.close()
