"""Labelling, training and evaluation jobs, with tasks run in-process (eager Celery). The same tasks
with a real worker, a real broker and SIGKILL are in tests/integration."""

from __future__ import annotations

import pytest

from annotations.models import Dataset, Label, LabelKind, LabelStatus, ReviewEvent, Turn
from jobs.models import Job, JobChunk
from jobs.services import job_chunk_failed, job_chunk_run, job_plan, job_request_cancel, job_retry
from models_app import job_services
from models_app import services as model_services
from models_app.job_services import (
    EVALUATE_JOB,
    LABEL_JOB,
    evaluate_job_create,
    label_job_create,
    train_job_create,
)
from models_app.ml.predict import Predictor
from models_app.models import ModelEvaluation, ModelVersion
from models_app.recipes.defaults import FollowUp, SimulatedSet
from review.models import AutoAcceptRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny_training(settings, tmp_path, tiny_encoder) -> None:
    """Training jobs here save under a temporary folder and use the tiny encoder."""
    settings.SELFLEARN_MODELS_DIR = tmp_path / "models"
    settings.SELFLEARN_ENCODER = tiny_encoder


def labels_per_turn_and_dialogue(dataset) -> int:
    """Five turn-level kinds per turn, one goal segmentation per dialogue, one success per goal."""
    return Label.objects.filter(model_version__isnull=False, dialogue__dataset=dataset).count()


def planned_job(dataset, model, chunk_dialogues=5) -> Job:
    job = Job.objects.create(
        kind=LABEL_JOB,
        dataset=dataset,
        params={
            "model": model.name,
            "model_version_id": model.pk,
            "precision": "fp32",
            "chunk_dialogues": chunk_dialogues,
            "dialogue_ids": None,
        },
    )
    job_plan(job=job)
    job.refresh_from_db()
    return job


def test_a_labelling_job_runs_in_chunks_to_an_exact_label_count(
    simulated_dataset, model, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = label_job_create(
            dataset=simulated_dataset, model_version=model, user=admin_user, chunk_dialogues=5
        )

    job.refresh_from_db()
    turns = Turn.objects.filter(dialogue__dataset=simulated_dataset).count()
    assert job.status == Job.Status.SUCCEEDED
    assert (job.progress_done, job.progress_total) == (turns, turns)
    assert JobChunk.objects.filter(job=job).count() == 5  # 24 dialogues in chunks of 5
    assert Label.objects.filter(model_version=model, kind=LabelKind.INTENT).count() == turns
    assert job.result["turns_labelled"] == turns
    assert job.result["labels_written"] == labels_per_turn_and_dialogue(simulated_dataset)


def test_progress_moves_within_a_chunk(simulated_dataset, model, monkeypatch):
    job = planned_job(simulated_dataset, model, chunk_dialogues=24)
    monkeypatch.setattr(job_services, "PROGRESS_DIALOGUES", 4)
    seen: list[int] = []
    real = model_services.labelling_chunk

    def read(dialogue_ids):
        seen.append(Job.objects.get(pk=job.pk).progress_done)
        return real(dialogue_ids)

    monkeypatch.setattr(model_services, "labelling_chunk", read)
    job_chunk_run(job=job, index=0)

    job.refresh_from_db()
    assert len(seen) == 6  # one chunk of 24 dialogues, read and predicted four at a time
    # The bar moved as each part was decoded; the second part is read while the first is encoded.
    assert seen == sorted(seen) and len(set(seen)) == 5
    assert job.progress_done == job.progress_total


def test_an_attempt_that_died_within_a_chunk_is_counted_once_when_retried(
    simulated_dataset, model, monkeypatch
):
    job = planned_job(simulated_dataset, model)
    monkeypatch.setattr(job_services, "PROGRESS_DIALOGUES", 2)
    real = Predictor.encode
    calls = {"n": 0}

    def dies_on_the_second_part(self, examples, batch_size=64):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(self, examples, batch_size)

    monkeypatch.setattr(Predictor, "encode", dies_on_the_second_part)
    with pytest.raises(RuntimeError):
        job_chunk_run(job=job, index=0)
    assert Job.objects.get(pk=job.pk).progress_done > 0  # the first part was counted

    job_chunk_run(job=job, index=0)  # redelivered

    chunk = JobChunk.objects.get(job=job, index=0)
    assert Job.objects.get(pk=job.pk).progress_done == chunk.size


def test_a_chunk_delivered_twice_writes_nothing_twice_and_counts_once(simulated_dataset, model):
    job = planned_job(simulated_dataset, model)
    job_chunk_run(job=job, index=0)
    labels = Label.objects.filter(model_version=model).count()
    progress = Job.objects.get(pk=job.pk).progress_done

    job_chunk_run(job=job, index=0)  # the same message delivered again

    assert Label.objects.filter(model_version=model).count() == labels
    assert Job.objects.get(pk=job.pk).progress_done == progress


def test_cancelling_stops_within_a_chunk_and_keeps_what_was_written(simulated_dataset, model):
    job = planned_job(simulated_dataset, model)
    job_chunk_run(job=job, index=0)
    written = Label.objects.filter(model_version=model).count()

    job_request_cancel(job=job)
    for index in range(1, 5):
        job_chunk_run(job=job, index=index)

    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert Label.objects.filter(model_version=model).count() == written > 0
    assert JobChunk.objects.filter(job=job, status=JobChunk.Status.CANCELLED).count() == 4


def test_a_failing_chunk_fails_the_job_with_its_error_and_keeps_finished_chunks(
    simulated_dataset, model, monkeypatch
):
    job = planned_job(simulated_dataset, model)
    real = Predictor.encode
    failing = set(JobChunk.objects.get(job=job, index=2).items)

    def encode(self, examples, batch_size=64):
        if {example.key for example in examples} == failing:
            raise RuntimeError("the model fell over")
        return real(self, examples, batch_size)

    monkeypatch.setattr(Predictor, "encode", encode)
    from jobs.tasks import job_chunk_task

    for index in range(5):
        job_chunk_task.delay(job.pk, index)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "Chunk 2 failed: RuntimeError: the model fell over" in job.error
    done = JobChunk.objects.filter(job=job, status=JobChunk.Status.DONE)
    assert done.count() == 4
    assert Label.objects.filter(model_version=model, kind=LabelKind.INTENT).count() == sum(
        c.size for c in done
    )


def test_a_failed_job_is_retried_with_its_unfinished_chunks_only(simulated_dataset, model):
    job = planned_job(simulated_dataset, model)
    job_chunk_failed(job=job, index=0, error=RuntimeError("boom"))
    for index in range(1, 5):
        job_chunk_run(job=job, index=index)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED

    pending = job_retry(job=job)
    for index in pending:
        job_chunk_run(job=job, index=index)

    job.refresh_from_db()
    assert pending == [0]
    assert job.status == Job.Status.SUCCEEDED
    assert job.progress_done == job.progress_total


def test_auto_accept_accepts_confident_labels_and_says_so(simulated_dataset, model):
    AutoAcceptRule.objects.create(dataset=simulated_dataset, kind=LabelKind.INTENT, threshold=0.0)
    job = planned_job(simulated_dataset, model, chunk_dialogues=50)

    job_chunk_run(job=job, index=0)

    intents = Label.objects.filter(model_version=model, kind=LabelKind.INTENT)
    assert set(intents.values_list("status", flat=True)) == {LabelStatus.ACCEPTED}
    assert set(
        Label.objects.filter(model_version=model, kind=LabelKind.DEFECT).values_list("status", flat=True)
    ) == {"proposed"}
    events = ReviewEvent.objects.filter(action=ReviewEvent.Action.AUTO_ACCEPT)
    assert events.count() == intents.count()
    assert events.first().after["threshold"] == 0.0


def test_training_and_evaluation_run_as_jobs(
    simulated_dataset, admin_user, tiny_training, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        train = train_job_create(
            name="from-a-job", datasets=[simulated_dataset], user=admin_user, preset="demo", epochs=1
        )
    train.refresh_from_db()
    assert train.status == Job.Status.SUCCEEDED, train.error
    model = ModelVersion.objects.get(name="from-a-job")
    assert model.created_by_job == train

    with django_capture_on_commit_callbacks(execute=True):
        evaluation = evaluate_job_create(dataset=simulated_dataset, model_version=model, user=admin_user)

    evaluation.refresh_from_db()
    assert evaluation.status == Job.Status.SUCCEEDED
    assert "intent_accuracy" in evaluation.result


def test_a_train_job_labels_and_evaluates_the_datasets_named_after_it(
    simulated_dataset, admin_user, tiny_training, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        train = train_job_create(
            name="then-measured",
            datasets=[simulated_dataset],
            user=admin_user,
            preset="demo",
            epochs=1,
            label_after=[simulated_dataset],
            evaluate_after=[simulated_dataset],
        )
    train.refresh_from_db()
    assert train.status == Job.Status.SUCCEEDED, train.error
    (evaluation_job,) = Job.objects.filter(kind=EVALUATE_JOB)
    assert train.result["evaluation_jobs"] == [evaluation_job.pk]
    assert evaluation_job.status == Job.Status.SUCCEEDED, evaluation_job.error
    (evaluation,) = ModelEvaluation.objects.filter(model_version__name="then-measured")
    assert evaluation.dataset == simulated_dataset and evaluation.job == evaluation_job
    assert evaluation.learned_from is True  # it trained on it: the page marks the figures
    assert evaluation.dialogues == simulated_dataset.dialogues.count()
    assert 0.0 <= evaluation.metrics["intent_accuracy"] <= 1.0


def test_a_train_job_says_how_its_training_went_and_whether_it_was_cut_short(
    simulated_dataset, admin_user, tiny_training, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        train = train_job_create(
            name="told", datasets=[simulated_dataset], user=admin_user, preset="demo_quick", epochs=1
        )
    train.refresh_from_db()
    assert train.status == Job.Status.SUCCEEDED, train.error
    history = ModelVersion.objects.get(name="told").config["history"]
    assert train.result["cut_short"] is False
    assert train.result["training"].startswith(f"{history['steps']} of {history['total_steps']} steps in ")
    assert history["precision"] in train.result["training"]


def quick_with_a_follow_up(dataset, user, **after) -> Job:
    """A quick model's training job whose follow-up trains the full one on the same data."""
    return train_job_create(
        name="quick",
        datasets=[dataset],
        user=user,
        preset="demo_quick",
        epochs=1,
        follow_up=FollowUp(name="full", preset="demo", epochs=1),
        **after,
    )


def test_a_train_job_with_a_follow_up_trains_it_after_labelling_and_evaluating_with_the_first(
    simulated_dataset, admin_user, tiny_training, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        quick = quick_with_a_follow_up(
            simulated_dataset, admin_user, label_after=[simulated_dataset], evaluate_after=[simulated_dataset]
        )
    quick.refresh_from_db()
    assert quick.status == Job.Status.SUCCEEDED, quick.error
    jobs = list(Job.objects.order_by("pk").values_list("kind", "status", "params__model"))
    assert [kind for kind, _status, _model in jobs] == [
        "train",
        "label",
        "evaluate",
        "train",
        "label",
        "evaluate",
    ]
    assert {status for _kind, status, _model in jobs} == {Job.Status.SUCCEEDED}
    full = Job.objects.get(pk=quick.result["follow_up_job"])
    assert (full.params["name"], full.params["preset"], full.params["epochs"]) == ("full", "demo", 1)
    assert full.params["label_after"] == full.params["evaluate_after"] == ["simulated"]
    assert full.params["follow_up"] is None
    assert set(ModelEvaluation.objects.values_list("model_version__name", flat=True)) == {"quick", "full"}


def test_a_follow_up_waits_for_the_first_labelling_to_end_before_it_goes_to_the_workers(
    simulated_dataset, admin_user, tiny_training, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        quick = quick_with_a_follow_up(simulated_dataset, admin_user, label_after=[simulated_dataset])
    with django_capture_on_commit_callbacks(execute=False) as sent:
        job_services.train_job_run(job=quick)
    full = Job.objects.get(pk=quick.result["follow_up_job"])
    labelling = Job.objects.get(pk=quick.result["labelling_jobs"][0])
    # Only the labelling went to the workers: queued behind the full training, its chunks would wait.
    assert len(sent) == 1
    assert full.status == Job.Status.PENDING
    assert labelling.params["then_enqueue"] == full.pk

    with django_capture_on_commit_callbacks(execute=True):
        sent[0]()
    labelling.refresh_from_db()
    full.refresh_from_db()
    assert labelling.status == Job.Status.SUCCEEDED, labelling.error
    assert full.status == Job.Status.SUCCEEDED, full.error
    assert full.started_at >= labelling.finished_at


def test_a_follow_up_needs_its_own_free_name(simulated_dataset, model, admin_user):
    from selflearn_site.exceptions import ApplicationError

    with pytest.raises(ApplicationError, match="A model named 'tiny' already exists"):
        train_job_create(
            name="fresh", datasets=[simulated_dataset], user=admin_user, follow_up=FollowUp("tiny", "demo")
        )
    with pytest.raises(ApplicationError, match="needs a name of its own"):
        train_job_create(
            name="same", datasets=[simulated_dataset], user=admin_user, follow_up=FollowUp("same", "demo")
        )


def test_a_train_job_first_fills_an_empty_dataset_it_was_told_to_simulate(
    admin_user, tiny_training, django_capture_on_commit_callbacks
):
    empty = Dataset.objects.create(name="to-simulate")
    with django_capture_on_commit_callbacks(execute=True):
        train = train_job_create(
            name="on-simulated",
            datasets=[empty],
            user=admin_user,
            preset="demo",
            epochs=1,
            simulate={"to-simulate": SimulatedSet(dialogues=12, users=4, seed=5)},
        )
    train.refresh_from_db()
    assert train.status == Job.Status.SUCCEEDED, train.error
    assert empty.dialogues.count() == 12
    assert ModelVersion.objects.get(name="on-simulated").config["history"]["train_dialogues"] > 0


def test_only_a_dataset_the_train_job_reads_can_be_simulated_into(simulated_dataset, admin_user):
    from selflearn_site.exceptions import ApplicationError

    with pytest.raises(ApplicationError, match="can be simulated into: elsewhere"):
        train_job_create(
            name="m",
            datasets=[simulated_dataset],
            user=admin_user,
            simulate={"elsewhere": SimulatedSet(dialogues=5, users=2, seed=1)},
        )


def test_a_train_job_with_unlabelled_logs_self_trains_on_them(
    simulated_dataset, admin_user, tiny_training, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        train = train_job_create(
            name="self-taught",
            datasets=[simulated_dataset],
            unlabelled_datasets=[simulated_dataset],
            user=admin_user,
            preset="demo",
            epochs=1,
        )
    train.refresh_from_db()
    assert train.status == Job.Status.SUCCEEDED, train.error
    assert (train.params["unlabelled_datasets"], train.params["self_training_epochs"]) == (["simulated"], 1)
    model = ModelVersion.objects.get(name="self-taught")
    assert model.config["unlabelled_datasets"] == ["simulated"]
    assert model.config["train"]["self_training_epochs"] == 1


def test_a_train_job_for_an_existing_name_is_refused(simulated_dataset, model, admin_user):
    from selflearn_site.exceptions import ApplicationError

    with pytest.raises(ApplicationError, match="already exists"):
        train_job_create(name="tiny", datasets=[simulated_dataset], user=admin_user)


@pytest.mark.django_db(transaction=True)
def test_the_commands_run_as_jobs_with_async(simulated_dataset, model, capsys):
    from django.core.management import call_command

    call_command(
        "label",
        "--dataset",
        "simulated",
        "--model",
        "tiny",
        "--async",
        "--chunk-size",
        "6",
        "--verbosity",
        "0",
    )
    call_command("evaluate", "--dataset", "simulated", "--model", "tiny", "--async", "--verbosity", "0")

    out = capsys.readouterr().out
    assert "Started labelling job" in out and "succeeded" in out
    assert '"intent_accuracy"' in out
    job = Job.objects.filter(kind=LABEL_JOB).get()
    assert job.status == Job.Status.SUCCEEDED
    assert JobChunk.objects.filter(job=job).count() == 4
