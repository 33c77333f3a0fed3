"""Training, labelling and evaluation: the writes of the model registry.

Each is one keyword-only function that the CLI and the Celery tasks share. The ML stack (torch,
transformers, scikit-learn) is imported inside the functions that run it, so the web process, which
only starts jobs, never loads it. Labelling works a chunk of
dialogues at a time and writes each label at most once per (target, kind, model version), so a task
can run it in chunks, retry a chunk, or resume a job without duplicating anything.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotations.formats.bulk_sql import (
    MODEL_LABEL_COLUMNS,
    datetime_value,
    insert_rows_ignoring_conflicts,
    json_value,
)
from annotations.models import Dataset, Dialogue, Label, LabelKind, LabelSource, LabelStatus
from models_app.examples import gold_examples, labelling_chunk, unlabelled_examples
from models_app.ml.config import ModelConfig, TrainConfig
from models_app.ml.data import NO_INTENT, NOT_A_REPHRASE, DialoguePrediction
from models_app.ml.format_adapter import preferences_to_format, spans_to_format
from models_app.ml.hardware import AUTO
from models_app.models import ModelEvaluation, ModelVersion
from review.services import review_proposals_written
from selflearn_site.exceptions import ApplicationError

if TYPE_CHECKING:
    from jobs.models import Job
    from models_app.examples import LabellingChunk
    from models_app.ml.plausibility import WordModel
    from models_app.ml.predict import Encoded, Predictor

logger = logging.getLogger(__name__)

TrainProgress = Callable[[str, int, int, dict[str, Any]], None]
# The model's heads are named as in the ML package; the registry speaks in label kinds.
_LABEL_KIND_OF_TASK = {"goals": LabelKind.GOAL_SEGMENTS.value}
# Dialogues per labelling chunk (about 800 turns, 2 s of fp32 work on 2 cores): measured on PostgreSQL
# with one worker, 64 gave 66% of the bare encoder's rate (5.5% bookkeeping), 128 gave 75% (4.8%),
# 256 gave 82% (4.3%): each chunk pays for its reads, transaction and queue state once, and longer
# length-sorted batches pad less. Cancelling still stops within a couple of seconds.
DEFAULT_LABEL_CHUNK_SIZE = 256


def models_dir() -> Path:
    return Path(settings.SELFLEARN_MODELS_DIR)


def cached_word_model() -> WordModel | None:
    """The word model of real requests the recipe built (``models_dir()/plausibility.txt.gz``), or
    None before any was built: a model trained then reads its plausibility features as unscored."""
    from models_app.ml.plausibility import PLAUSIBILITY_FILE, WordModel

    path = models_dir() / PLAUSIBILITY_FILE
    return WordModel.load(path) if path.exists() else None


# ---------------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------------


def model_train(
    *,
    name: str,
    datasets: Sequence[Dataset],
    valid_datasets: Sequence[Dataset] = (),
    unlabelled_datasets: Sequence[Dataset] = (),
    train_config: TrainConfig | None = None,
    model_config: ModelConfig | None = None,
    progress: TrainProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    user: User | None = None,
    job: Any = None,
) -> ModelVersion:
    """Train a model on the gold labels of ``datasets`` and register it as ModelVersion ``name``.

    Model selection uses ``valid_datasets`` when given, else a held-out part of the training data.
    ``unlabelled_datasets`` are logs read without their labels, for self-training
    (``TrainConfig.self_training_epochs``).
    """
    if not datasets:
        raise ApplicationError("Name at least one dataset to train on.", extra={"field": "datasets"})
    if ModelVersion.objects.filter(name=name).exists():
        raise ApplicationError(f"A model named {name!r} already exists.", extra={"field": "name"})
    train_examples = list(gold_examples(datasets))
    valid_examples = list(gold_examples(valid_datasets)) if valid_datasets else None
    if not train_examples:
        raise ApplicationError("The datasets hold no dialogues to train on.", extra={"field": "datasets"})
    from models_app.ml.train import TrainingConfigurationError, train_model

    model_config = model_config or ModelConfig()
    train_config = train_config or TrainConfig()
    if train_config.threads is None and settings.SELFLEARN_TORCH_THREADS:
        # The worker's thread budget (SELFLEARN_TORCH_THREADS) holds for training as for labelling.
        train_config.threads = settings.SELFLEARN_TORCH_THREADS
    if model_config.encoder is None:
        model_config.encoder = settings.SELFLEARN_ENCODER
    try:
        trained = train_model(
            train_examples,
            valid_examples,
            model_config,
            train_config,
            progress=progress,
            should_stop=should_stop,
            unlabelled=list(unlabelled_examples(unlabelled_datasets)) if unlabelled_datasets else None,
            word_model=cached_word_model() if model_config.plausibility_features else None,
        )
    except TrainingConfigurationError as error:
        raise ApplicationError(str(error), extra={"field": "train_config"}) from error
    checkpoint = models_dir() / name
    partial = checkpoint.with_name(checkpoint.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    trained.save(partial)
    # Only a complete checkpoint gets the model's name; a crash leaves a .partial folder, no model.
    shutil.rmtree(checkpoint, ignore_errors=True)
    partial.rename(checkpoint)
    model_version = ModelVersion(
        name=name,
        tasks=[_LABEL_KIND_OF_TASK.get(task, task) for task in trained.tasks],
        inventories=trained.inventories,
        config={
            **trained.config,
            "datasets": [d.name for d in datasets],
            "valid_datasets": [d.name for d in valid_datasets],
            "unlabelled_datasets": [d.name for d in unlabelled_datasets],
        },
        metrics=trained.validation_metrics,
        checkpoint_path=str(checkpoint),
        created_by=user,
        created_by_job=job,
    )
    model_version.full_clean()
    model_version.save()
    model_version.trained_on.set({*datasets, *valid_datasets, *unlabelled_datasets})
    return model_version


# ---------------------------------------------------------------------------------------------------
# Labelling
# ---------------------------------------------------------------------------------------------------


@dataclass
class LabellingReport:
    dialogues: int = 0
    turns: int = 0
    labels_written: int = 0


def dialogue_ids_to_label(dataset: Dataset) -> list[int]:
    return list(Dialogue.objects.filter(dataset=dataset).order_by("id").values_list("id", flat=True))


def label_dataset(
    *,
    dataset: Dataset,
    model_version: ModelVersion,
    precision: str = AUTO,
    chunk_size: int = DEFAULT_LABEL_CHUNK_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> LabellingReport:
    """Label every dialogue of the dataset, a chunk at a time, each chunk written in a transaction of
    its own while the next one is encoded (``iter_proposals``)."""
    ids = dialogue_ids_to_label(dataset)
    report = LabellingReport()
    chunks = [ids[start : start + chunk_size] for start in range(0, len(ids), chunk_size)]
    done = 0
    for proposals in iter_proposals(model_version=model_version, id_parts=chunks, precision=precision):
        with transaction.atomic():
            chunk = write_proposals(proposals)
        report.dialogues += chunk.dialogues
        report.turns += chunk.turns
        report.labels_written += chunk.labels_written
        done += len(proposals.dialogue_ids)
        if progress is not None:
            progress(done, len(ids))
    return report


# Proposal rows (``MODEL_LABEL_COLUMNS`` order) go to the database through the cursor: building a Label
# instance per row and running each value through the field machinery took half of the labelling
# time (measured: 3.6 s of 7.2 s for 3,300 turns).
_PROPOSED = LabelStatus.PROPOSED.value
_FROM_MODEL = LabelSource.MODEL.value


@dataclass
class Proposals:
    """A chunk's predicted labels as rows (``MODEL_LABEL_COLUMNS``), not yet written: prediction runs
    outside any transaction, so a slow model never holds the database's write lock."""

    model_version: ModelVersion
    dialogue_ids: Sequence[int]
    labels: list[tuple[Any, ...]]
    dialogues: int
    turns: int


def propose_labels(
    *, model_version: ModelVersion, dialogue_ids: Sequence[int], precision: str = AUTO, job: Any = None
) -> Proposals:
    from models_app.predictors import get_predictor

    predictor = get_predictor(model_version, precision)
    chunk = labelling_chunk(dialogue_ids)
    return _proposals(model_version, job, predictor, dialogue_ids, chunk, predictor.encode(chunk.examples))


def iter_proposals(
    *,
    model_version: ModelVersion,
    id_parts: Iterable[Sequence[int]],
    precision: str = AUTO,
    job: Any = None,
) -> Iterator[Proposals]:
    """``propose_labels`` for each part of dialogue ids, in order, with the next part's encoding under
    way while the caller handles this one.

    Encoding is nearly all of labelling's time and runs in torch's kernels, which release the GIL; the
    rest (reading the dialogues, decoding, building rows, writing them and the review queue's state)
    had waited for it and it for them. Now one thread of its own encodes part k + 1 while this one
    decodes part k and the caller writes it. The database is only ever touched from the caller's
    thread, inside the caller's transactions, so a chunk is written whole or not at all as before; when
    the caller stops (an error, a cancel), the encoding under way is waited for and thrown away."""
    from models_app.predictors import get_predictor

    predictor = get_predictor(model_version, precision)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="selflearn-encode")
    ahead: tuple[Sequence[int], LabellingChunk, Future[Encoded]] | None = None
    try:
        for ids in id_parts:
            chunk = labelling_chunk(ids)
            encoding = pool.submit(predictor.encode, chunk.examples)
            if ahead is not None:
                yield _proposals(model_version, job, predictor, ahead[0], ahead[1], ahead[2].result())
            ahead = (ids, chunk, encoding)
        if ahead is not None:
            yield _proposals(model_version, job, predictor, ahead[0], ahead[1], ahead[2].result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _proposals(
    model_version: ModelVersion,
    job: Any,
    predictor: Predictor,
    dialogue_ids: Sequence[int],
    chunk: LabellingChunk,
    encoded: Encoded,
) -> Proposals:
    if not chunk.examples:
        return Proposals(
            model_version=model_version, dialogue_ids=dialogue_ids, labels=[], dialogues=0, turns=0
        )
    predictions = predictor.decode(encoded)
    now = datetime_value(timezone.now())
    labels = [
        label
        for prediction in predictions
        for label in _labels_from_prediction(
            prediction,
            turn_pks=chunk.turn_pks[prediction.key],
            turn_ids=chunk.turn_external_ids[prediction.key],
            model_version=model_version,
            job=job,
            now=now,
        )
    ]
    return Proposals(
        model_version=model_version,
        dialogue_ids=dialogue_ids,
        labels=labels,
        dialogues=len(chunk.examples),
        turns=sum(len(example.turns) for example in chunk.examples),
    )


def write_proposals(proposals: Proposals) -> LabellingReport:
    """Write what is not there yet, then apply the dataset's auto-accept thresholds. Call it inside a
    transaction (the caller may commit more with it, such as marking a job's chunk done)."""
    written = insert_rows_ignoring_conflicts(Label, MODEL_LABEL_COLUMNS, proposals.labels)
    if written:
        # Reviewing's door: auto-accept what the dataset's rules allow and keep the queue true.
        review_proposals_written(model_version=proposals.model_version, dialogue_ids=proposals.dialogue_ids)
    return LabellingReport(dialogues=proposals.dialogues, turns=proposals.turns, labels_written=written)


def _labels_from_prediction(
    prediction: DialoguePrediction,
    *,
    turn_pks: list[int],
    turn_ids: list[str],
    model_version: ModelVersion,
    job: Any,
    now: str,
) -> Iterator[tuple[Any, ...]]:
    model_version_id = model_version.pk
    job_id = getattr(job, "pk", None)

    def proposal(
        kind: str, value: Any, confidence: float, turn_pk: int | None, evidence: Any = None
    ) -> tuple[Any, ...]:
        return (
            prediction.key,
            turn_pk,
            kind,
            json_value(value),
            min(1.0, max(0.0, float(confidence))),
            _PROPOSED,
            _FROM_MODEL,
            model_version_id,
            None,  # no author: a model wrote it
            job_id,
            1,
            now,
            now,
            json_value(evidence),
        )

    tasks = set(model_version.tasks)
    if "goal_segments" in tasks:
        segments = prediction.goals.value
        yield proposal(
            LabelKind.GOAL_SEGMENTS,
            [{"turns": [turn_ids[index] for index in segment]} for segment in segments],
            prediction.goals.confidence,
            None,
        )
        if "goal_success" in tasks:
            for segment, success in zip(segments, prediction.goal_success, strict=False):
                yield proposal(
                    LabelKind.GOAL_SUCCESS, bool(success.value), success.confidence, turn_pks[segment[0]]
                )
    for index, turn in enumerate(prediction.turns):
        turn_pk = turn_pks[index]
        if "intent" in tasks:
            intent = None if turn.intent.value == NO_INTENT else turn.intent.value
            yield proposal(LabelKind.INTENT, intent, turn.intent.confidence, turn_pk)
        if "slots" in tasks:
            yield proposal(LabelKind.SLOTS, spans_to_format(turn.slots.value), turn.slots.confidence, turn_pk)
        if "failure_point" in tasks:
            yield proposal(
                LabelKind.FAILURE_POINT,
                turn.failure_point.value,
                turn.failure_point.confidence,
                turn_pk,
                turn.evidence or None,
            )
        if "rephrase_of" in tasks:
            target = turn.rephrase_of.value
            value = None if target in (None, NOT_A_REPHRASE) else turn_ids[target]
            yield proposal(LabelKind.REPHRASE_OF, value, turn.rephrase_of.confidence, turn_pk)
        if "defect" in tasks:
            yield proposal(LabelKind.DEFECT, bool(turn.defect.value), turn.defect.confidence, turn_pk)
        if "preferences" in tasks and turn.preferences.value:
            # Only turns that state something: "states none" on every other turn would be review noise.
            yield proposal(
                LabelKind.PREFERENCES,
                preferences_to_format(turn.preferences.value),
                turn.preferences.confidence,
                turn_pk,
            )


# ---------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------


def model_evaluate(
    *, dataset: Dataset, model_version: ModelVersion, precision: str = AUTO, job: Job | None = None
) -> dict[str, Any]:
    """The model's metrics against the dataset's gold labels (each metric only where gold exists),
    with the trivial baselines on the same gold beside them (``baselines``) and the reliability of
    each label's confidences (``calibration``), recorded as a ModelEvaluation that the model's page
    shows."""
    from models_app.ml.baselines import trivial_baselines
    from models_app.ml.metrics import evaluate
    from models_app.predictors import get_predictor

    examples = list(gold_examples([dataset]))
    if not examples:
        raise ApplicationError(f"Dataset {dataset.name!r} holds no dialogues.", extra={"field": "dataset"})
    predictor = get_predictor(model_version, precision)
    predictions = predictor.predict(examples)
    metrics = evaluate(examples, predictions)
    metrics["baselines"] = trivial_baselines(examples)
    ModelEvaluation.objects.create(
        model_version=model_version,
        dataset=dataset,
        learned_from=model_version.trained_on.filter(pk=dataset.pk).exists(),
        precision=predictor.precision,
        dialogues=len(examples),
        metrics=metrics,
        job=job,
    )
    return {"model": model_version.name, "dataset": dataset.name, "dialogues": len(examples), **metrics}
