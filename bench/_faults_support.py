"""What bench/faults.py's probes share: a JSON client, the site's processes (gunicorn and Celery
workers on one broker, a Redis server of the run's own), waits, and the checks that nothing was lost
and nothing done twice. Django is set up by the time these are called."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _setup import ROOT


class Api:
    """A tiny JSON client over urllib, one per caller."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any, float]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Token {self.token}")
        if data is not None:
            request.add_header("Content-Type", content_type)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        seconds = time.perf_counter() - started
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload[:200]
        return status, parsed, seconds

    def up(self) -> bool:
        try:
            return self.call("GET", "/api/jobs/")[0] == 200
        except OSError:
            return False


def wait(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise TimeoutError(f"timed out after {seconds} s waiting for {what}")


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def pool_children(worker: subprocess.Popen) -> list[int]:
    pids: list[int] = []
    for children in Path(f"/proc/{worker.pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            pids += [int(pid) for pid in children.read_text().split()]
    return pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process's group, then SIGKILL to whatever of it is left (orphans included)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)


@dataclass
class Site:
    """gunicorn and Celery workers on one broker, each in its own process group; all stopped on exit."""

    folder: Path
    port: int
    broker: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.folder / "logs").mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "CELERY_BROKER_URL": self.broker,
            "PYTHONUNBUFFERED": "1",
            "SELFLEARN_TORCH_THREADS": "1",
        }

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=(self.folder / "logs" / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start_web(self, api: Api) -> None:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self._start(
            "gunicorn",
            [gunicorn, "selflearn_site.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "3",
             "--threads", "4", "--worker-class", "gthread", "--timeout", "120"],
        )  # fmt: skip
        wait(api.up, 60, "gunicorn to answer")

    def start_worker(self, name: str, concurrency: int = 2) -> subprocess.Popen:
        worker = self._start(
            name,
            [sys.executable, "-m", "celery", "-A", "selflearn_site", "worker", "--loglevel", "INFO",
             "--concurrency", str(concurrency), "--hostname", f"{name}@%h", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
        )  # fmt: skip
        wait(lambda: len(pool_children(worker)) == concurrency, 120, f"the pool of worker {name}")
        return worker

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            _stop(process)


class RedisServer:
    """A redis-server of the run's own on a port of its own, its saved state in a folder of its own:
    restarted (saving first) or killed with its state deleted, as a probe says."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"],
            stdout=(self.folder / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        client = redis.Redis(port=self.port)

        def answers() -> bool:
            with contextlib.suppress(redis.RedisError):
                return bool(client.ping())
            return False

        wait(answers, 30, "redis-server to answer")

    def restart_keeping_state(self) -> int:
        """SHUTDOWN SAVE (what a service manager's restart does), then start on the same file; returns
        the messages waiting in it."""
        import redis

        keys = redis.Redis(port=self.port).dbsize()
        with contextlib.suppress(redis.ConnectionError):  # the server closes the connection as it goes
            redis.Redis(port=self.port).shutdown(save=True)
        assert self.process is not None
        self.process.wait(timeout=30)
        self.start()
        return int(keys)

    def kill_losing_state(self) -> int:
        """SIGKILL, its saved file deleted, started empty: every message queued in it is gone."""
        import redis

        keys = redis.Redis(port=self.port).dbsize()
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)
        (self.folder / "dump.rdb").unlink(missing_ok=True)
        self.start()
        return int(keys)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)


# --- checks: nothing lost, nothing done twice --------------------------------------------------------


def labels_exactly_once(dataset: Any, model: Any) -> tuple[str, list[str]]:
    """One intent label of the model per turn of the dataset, none twice."""
    from django.db.models import Count

    from annotations.models import Label, Turn

    turns = Turn.objects.filter(dialogue__dataset=dataset).count()
    labels = Label.objects.filter(model_version=model, dialogue__dataset=dataset)
    intents = labels.filter(kind="intent").count()
    doubled = labels.values("dialogue_id", "turn_id", "kind").annotate(n=Count("id")).filter(n__gt=1).count()
    verified = f"{dataset.name}: {intents} intent labels for {turns} turns, {doubled} written twice"
    return verified, ([] if intents == turns and not doubled else [f"labelling {verified}"])


def dialogues_exactly_once(name: str, lines: int) -> tuple[str, list[str]]:
    """Every dialogue of the imported file in the dataset, once."""
    from annotations.models import Dialogue

    imported = Dialogue.objects.filter(dataset__name=name)
    count, distinct = imported.count(), imported.values("external_id").distinct().count()
    verified = f"import {name}: {count} dialogues ({distinct} distinct) of {lines}"
    return verified, ([] if count == lines == distinct else [verified])


def jobs_succeeded(ids: list[int]) -> tuple[str, list[str]]:
    from jobs.models import Job

    jobs = Job.objects.filter(pk__in=ids)
    failed = {
        job.pk: f"{job.status}: {job.error[:200]}" for job in jobs if job.status != Job.Status.SUCCEEDED
    }
    verified = f"{len(ids) - len(failed)} of {len(ids)} jobs succeeded"
    return verified, ([f"jobs that did not succeed: {failed}"] if failed else [])


def job_finished(job_id: int) -> bool:
    from jobs.models import Job

    return Job.objects.filter(pk=job_id, status__in=Job.FINISHED).exists()


def job_midway(job_id: int) -> bool:
    """Running, with part of its work done: the moment a fault hurts most."""
    from jobs.models import Job

    return Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, progress_done__gt=0).exists()
