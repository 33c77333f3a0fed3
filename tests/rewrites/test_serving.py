"""``POST .../rewrite/`` served from the process's memory: a warm request reads the token and the
dataset and nothing of the rewriter; a change (a block, a pair's decision, a new build) is answered
from on the very next request; the logs are written in batches off the request's path, and all of them,
the last batch too, when the process exits."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import api_token_create
from annotations.models import Dataset
from rewrites.building import rewriter_build
from rewrites.models import RewriteLog, RewritePair, RewriterVersion
from rewrites.services import MiningOptions, rewrites_mine
from rewrites.serving import serving_state
from rewrites.serving_log import serving_log_flush, serving_log_waiting
from tests.rewrites.test_rewriter_building import logged  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
BASE = "/api/datasets/assistant-logs"
MISHEARD, MEANT = "play purple reign", "play purple rain"


def _client(user, name: str) -> APIClient:
    _, key = api_token_create(user=user, name=name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def served(logged, viewer, reviewer, settings):  # noqa: F811 (the fixture imported above)
    """The logged dataset with its pairs mined (the misheard title's accepted) and a rewriter built;
    a viewer's and a reviewer's token clients; logs in batches (written when the test says)."""
    settings.SELFLEARN_SERVING_LOG_SECONDS = 3600
    rewrites_mine(dataset=logged, options=MiningOptions(labels="gold", min_support=1))
    rewriter_build(dataset=logged, labels="gold")
    return {"viewer": _client(viewer, "assistant"), "reviewer": _client(reviewer, "reviews")}


def rewrite(client: APIClient, utterance: str = MISHEARD, user_id: str = "newcomer") -> dict:
    response = client.post(f"{BASE}/rewrite/", {"user_id": user_id, "utterance": utterance}, format="json")
    assert response.status_code == 200, response.content
    return response.data


def test_a_warm_request_reads_the_token_and_the_dataset_and_nothing_of_the_rewriter(served):
    rewrite(served["viewer"], user_id="u2")  # warms the process, and meets the person
    with CaptureQueriesContext(connection) as queries:
        answer = rewrite(served["viewer"], "play purple haze", user_id="u2")
    assert answer["score"] is not None  # the ranker decided
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    assert "rewrites_" not in tables and "teachable_" not in tables, tables
    assert len(queries) <= 4, tables  # the lockout check, the token and its person, the dataset


def test_a_blocked_rewrite_is_not_served_from_the_next_request(served):
    assert rewrite(served["viewer"])["rewrite"] == MEANT
    blocked = served["reviewer"].post(f"{BASE}/rewrites/blocked/", {"utterance": MEANT}, format="json")
    assert blocked.status_code == 201
    answer = rewrite(served["viewer"])
    assert answer["rewrite"] is None and answer["reason"] == "the rewrite is blocked"
    unblocked = served["reviewer"].delete(f"{BASE}/rewrites/blocked/{blocked.data['id']}/")
    assert unblocked.status_code == 204
    assert rewrite(served["viewer"])["rewrite"] == MEANT


def test_a_pair_a_reviewer_accepts_or_edits_is_served_from_the_next_request(served):
    pair = RewritePair.objects.get(source=MISHEARD)
    assert "pair" not in rewrite(served["viewer"])["evidence"]  # proposed: the ranker answers
    decide = f"{BASE}/rewrites/pairs/{pair.pk}/decision/"
    assert served["reviewer"].post(decide, {"action": "accept"}, format="json").status_code == 200
    assert rewrite(served["viewer"])["evidence"]["pair"] == pair.pk
    edited = {"action": "edit", "target": "play purple rain by prince"}
    assert served["reviewer"].post(decide, edited, format="json").status_code == 200
    assert rewrite(served["viewer"])["rewrite"] == "play purple rain by prince"
    assert served["reviewer"].post(decide, {"action": "reject"}, format="json").status_code == 200
    assert "pair" not in rewrite(served["viewer"])["evidence"]


def test_a_new_build_answers_from_the_next_request_and_a_change_behind_the_services_back_does_not(
    served,
    logged,  # noqa: F811
):
    rewrite(served["viewer"])
    newer = rewriter_build(dataset=logged, labels="gold")
    assert serving_state(Dataset.objects.get(pk=logged.pk)).rewriter_version == (newer.pk, newer.path)
    # The admin site or a shell writing rows directly bumps no revision: the kept state answers on.
    RewriterVersion.objects.filter(pk=newer.pk).update(active=False)
    assert serving_state(Dataset.objects.get(pk=logged.pk)).rewriter_version == (newer.pk, newer.path)


def test_logs_wait_for_their_batch_and_none_is_lost(served):
    for _ in range(3):
        rewrite(served["viewer"])
    assert RewriteLog.objects.count() == 0 and serving_log_waiting() == 3
    assert serving_log_flush() == 3
    assert RewriteLog.objects.count() == 3 and serving_log_waiting() == 0
    assert list(RewriteLog.objects.values_list("utterance", flat=True)) == [MISHEARD] * 3


def test_logs_wait_for_the_next_try_when_the_database_refuses_them(served, monkeypatch):
    rewrite(served["viewer"])

    def refuse(*args, **kwargs):
        raise RuntimeError("the database is away")

    monkeypatch.setattr(RewriteLog.objects, "bulk_create", refuse)
    with pytest.raises(RuntimeError):
        serving_log_flush()
    assert serving_log_waiting() == 1
    monkeypatch.undo()
    assert serving_log_flush() == 1 and RewriteLog.objects.count() == 1


EXITING = """
import django
django.setup()
from annotations.models import Dataset
from rewrites.models import RewriteLog
from rewrites.serving_log import serving_log_record, serving_log_waiting

dataset = Dataset.objects.create(name="exiting")
for number in range(3):
    serving_log_record(RewriteLog(dataset=dataset, utterance=f"request {number}", reason="served"))
assert serving_log_waiting() == 3 and not RewriteLog.objects.exists()
"""


@pytest.mark.django_db(transaction=True)
def test_the_logs_waiting_when_a_process_exits_are_written(tmp_path):
    """A process that ends (a gunicorn worker told to stop ends through ``sys.exit``) writes what
    waits; the period (an hour here) never came."""
    if connection.vendor == "sqlite":
        # The tests' database lives in this process's memory: the child gets a copy of its tables.
        path = tmp_path / "copy.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
        url = f"sqlite:///{path}"
    else:
        db = connection.settings_dict
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "selflearn_site.settings",
        "SELFLEARN_SERVING_LOG_SECONDS": "3600",
    }
    subprocess.run([sys.executable, "-c", EXITING], env=environment, cwd=ROOT, check=True, timeout=300)
    if connection.vendor == "sqlite":
        with sqlite3.connect(path) as written:
            utterances = [row[0] for row in written.execute("SELECT utterance FROM rewrites_rewritelog")]
    else:
        utterances = list(RewriteLog.objects.values_list("utterance", flat=True))
    assert sorted(utterances) == ["request 0", "request 1", "request 2"]
