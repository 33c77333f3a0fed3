"""One loaded predictor per model version and precision in each process (a worker loads a model once,
not once per chunk). "auto" is resolved here, in the process that runs the model: the worker's CPU
decides, not the web server's that filed the job."""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings

from models_app.ml.hardware import AUTO, resolve_precision
from models_app.ml.predict import Predictor
from models_app.models import ModelVersion
from selflearn_site.exceptions import ApplicationError

PRECISIONS = (AUTO, "fp32", "bf16", "int8")


def get_predictor(model_version: ModelVersion, precision: str = AUTO) -> Predictor:
    if precision not in PRECISIONS:
        raise ApplicationError(
            f"precision must be one of {', '.join(PRECISIONS)}", extra={"field": "precision"}
        )
    path = Path(model_version.checkpoint_path)
    if not path.exists():
        raise ApplicationError(
            f"The checkpoint of model {model_version.name!r} is missing at {path}.", extra={"field": "model"}
        )
    return _load(str(path), resolve_precision(precision))


@functools.lru_cache(maxsize=4)
def _load(path: str, precision: str) -> Predictor:
    return Predictor.load(Path(path), precision=precision, threads=settings.SELFLEARN_TORCH_THREADS)
