"""Label the same ~20,000 simulated turns as a job with one worker process and with two, through real
Celery workers; measure what one chunk costs beyond its work (the broker and the job's bookkeeping:
a labelling job of one-dialogue chunks with no turns) with the default broker and with Redis. Prints
one JSON line.

    python bench/label_scaling.py [--turns 20000] [--model-dir var/models/demo]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/label_scaling.py

Targets: end to end at least 80% of the raw encoder's rate with one worker; job bookkeeping (time not
spent inside chunks) under 5% of the job's time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, database_backend, emit, fresh_database

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
CORES = os.cpu_count() or 1


def start_worker(env: dict, concurrency: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "selflearn_site",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()


def wait_finished(job, timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return
        time.sleep(0.2)
    raise TimeoutError(f"job {job.pk} did not finish")


def empty_chunk_ms(
    model: Any, base_env: dict, default_broker: str, args: Any, folder: Path
) -> dict[str, float]:
    """What one chunk costs beyond its work, with the default broker and with Redis: a labelling job of
    one-dialogue chunks over dialogues without turns, each claimed, counted and closed with nothing to
    predict."""
    from annotations.models import Dialogue
    from annotations.services import dataset_create
    from models_app.job_services import label_job_create
    from selflearn_site.celery import switch_broker

    empty = dataset_create(name="empty")
    Dialogue.objects.bulk_create(
        Dialogue(dataset=empty, external_id=f"e{index}") for index in range(args.empty_chunks)
    )
    overhead = {}
    for name, url in (("default", default_broker), ("redis", args.redis_url)):
        switch_broker(url)
        worker = start_worker({**base_env, "CELERY_BROKER_URL": url}, 1, folder / f"empty-{name}.log")
        time.sleep(3)
        started = time.perf_counter()
        job = label_job_create(dataset=empty, model_version=model, user=None, chunk_dialogues=1)
        wait_finished(job)
        overhead[name] = round((time.perf_counter() - started) / args.empty_chunks * 1000, 2)
        stop(worker)
    return overhead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20_000)
    parser.add_argument("--model-dir", type=Path, help="a trained checkpoint to use instead of training one")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--empty-chunks", type=int, default=300, help="chunks with no work, for the cost of a chunk"
    )
    parser.add_argument(
        "--chunk-dialogues", type=int, help="dialogues per chunk (default: the job's default)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="selflearn-bench-") as folder, fresh_database() as database_url:
        from django.conf import settings
        from label_throughput import _simulated, _tasks_of, encoded_pairs, raw_encoder_rate

        from annotations.models import Label, Turn
        from models_app.job_services import label_job_create
        from models_app.ml.config import TrainConfig
        from models_app.models import ModelVersion
        from models_app.services import model_train
        from selflearn_site.celery import switch_broker

        settings.SELFLEARN_MODELS_DIR = Path(folder) / "models"
        dataset = _simulated("bench", int(args.turns / 3.2), 7)
        turns = Turn.objects.filter(dialogue__dataset=dataset).count()
        if args.model_dir:
            model = ModelVersion.objects.create(
                name="bench", checkpoint_path=str(args.model_dir), tasks=_tasks_of(args.model_dir)
            )
        else:
            training = _simulated("train", 300, 8)
            model = model_train(name="bench", datasets=[training], train_config=TrainConfig.demo())

        base_env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SELFLEARN_VAR_DIR": folder,
            "SELFLEARN_MODELS_DIR": str(settings.SELFLEARN_MODELS_DIR),
        }
        default_broker = f"sqla+sqlite:///{folder}/broker.sqlite3"
        switch_broker(default_broker)
        scaling = {}
        for workers in (1, 2):
            Label.objects.filter(model_version=model).delete()
            env = {
                **base_env,
                "CELERY_BROKER_URL": default_broker,
                "SELFLEARN_TORCH_THREADS": str(max(1, CORES // workers)),
            }
            worker = start_worker(env, workers, Path(folder) / f"worker-{workers}.log")
            time.sleep(3)  # let the worker connect; the model loads on its first chunk, inside the timing
            started = time.perf_counter()
            sizing = {"chunk_dialogues": args.chunk_dialogues} if args.chunk_dialogues else {}
            job = label_job_create(dataset=dataset, model_version=model, user=None, **sizing)
            wait_finished(job)
            seconds = time.perf_counter() - started
            stop(worker)
            in_chunks = (job.result or {}).get("seconds_in_chunks", 0.0)
            scaling[workers] = {
                "status": job.status,
                "seconds": round(seconds, 2),
                "turns_per_s": round(turns / seconds, 1),
                "bookkeeping_share": round(max(0.0, 1 - in_chunks / (seconds * workers)), 4),
            }

        overhead = empty_chunk_ms(model, base_env, default_broker, args, Path(folder))

        # Like for like: the bare encoder on what the model encodes per turn (its context fields).
        from models_app.ml.checkpoint import load_trained

        context_fields = tuple(load_trained(Path(model.checkpoint_path)).model_config.context_fields)
        raw = raw_encoder_rate(encoded_pairs(dataset, context_fields), "fp32")
        emit(
            {
                "benchmark": "label_scaling",
                "database": database_backend(),
                "turns": turns,
                "one_worker": scaling[1],
                "two_workers": scaling[2],
                "two_over_one": round(scaling[2]["turns_per_s"] / scaling[1]["turns_per_s"], 3),
                "context_fields": list(context_fields),
                "raw_encoder_turns_per_s_fp32": round(raw, 1),
                "one_worker_share_of_raw": round(scaling[1]["turns_per_s"] / raw, 3),
                "ms_per_empty_chunk": overhead,
            }
        )


if __name__ == "__main__":
    main()
