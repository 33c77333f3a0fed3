"""Reads for the model pages, each in a fixed number of queries however many models there are, one
module per concern:

- ``versions``: the model versions a person may see, their validation metrics, the datasets a person
  may evaluate on.
- ``evaluations``: held-out evaluations: the model page's table (each metric beside its trivial
  baseline, where the data came from), the calibration of each label's confidences, and the Quality
  page's evaluations of a dataset.
- ``training``: how a training went, and what each preset costs on this CPU.

Other apps read models_app through the names below, never through the modules.
"""

from models_app.selectors.evaluations import (
    CALIBRATED_ECE,
    CALIBRATION_LABELS,
    EVALUATION_METRICS,
    FEW_PREDICTIONS,
    MISCALIBRATED_ECE,
    CalibrationTable,
    DataSource,
    EvaluationRow,
    LabelCalibration,
    MetricValue,
    ReliabilityBin,
    calibration_table,
    dataset_evaluations_latest,
    evaluation_calibration,
    model_evaluation_rows,
    model_evaluations_latest,
)
from models_app.selectors.training import (
    DEMO_STEPS_PER_EPOCH,
    REFERENCE_SECONDS_PER_STEP,
    PresetCost,
    TrainingRun,
    preset_costs,
    training_run,
)
from models_app.selectors.versions import (
    HEADLINE_METRICS,
    datasets_reviewable_by,
    headline_metrics,
    metric,
    model_version_get,
    model_version_list,
)

__all__ = [
    "CALIBRATED_ECE",
    "CALIBRATION_LABELS",
    "DEMO_STEPS_PER_EPOCH",
    "EVALUATION_METRICS",
    "FEW_PREDICTIONS",
    "HEADLINE_METRICS",
    "MISCALIBRATED_ECE",
    "REFERENCE_SECONDS_PER_STEP",
    "CalibrationTable",
    "DataSource",
    "EvaluationRow",
    "LabelCalibration",
    "MetricValue",
    "PresetCost",
    "ReliabilityBin",
    "TrainingRun",
    "calibration_table",
    "dataset_evaluations_latest",
    "datasets_reviewable_by",
    "evaluation_calibration",
    "headline_metrics",
    "metric",
    "model_evaluation_rows",
    "model_evaluations_latest",
    "model_version_get",
    "model_version_list",
    "preset_costs",
    "training_run",
]
