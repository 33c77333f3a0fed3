"""Writes of the teachable app. Other apps use only the names exported here."""

from teachable.services.catalogues import catalogues_load, catalogues_load_defaults
from teachable.services.guided import (
    QuestionInput,
    guided_session_answer,
    guided_session_start,
    guided_session_stop,
    question_set_save,
    question_sets_create_defaults,
)
from teachable.services.labels import SyncReport, preferences_learn_from_labels
from teachable.services.moments import (
    FIND_MOMENTS_JOB,
    find_moments_job_create,
    find_moments_job_run,
    moment_confirm,
    moment_dismiss,
    moments_find,
)
from teachable.services.preferences import (
    PreferenceInput,
    preference_correct,
    preference_delete,
    preference_learn,
    user_forget,
)
from teachable.services.rules import RuleInput, resolution_rules_set, resolution_rules_set_defaults
from teachable.services.setup import teachable_dataset_prepare

__all__ = [
    "FIND_MOMENTS_JOB",
    "PreferenceInput",
    "QuestionInput",
    "RuleInput",
    "SyncReport",
    "catalogues_load",
    "catalogues_load_defaults",
    "find_moments_job_create",
    "find_moments_job_run",
    "guided_session_answer",
    "guided_session_start",
    "guided_session_stop",
    "moment_confirm",
    "moment_dismiss",
    "moments_find",
    "preference_correct",
    "preference_delete",
    "preference_learn",
    "preferences_learn_from_labels",
    "question_set_save",
    "question_sets_create_defaults",
    "resolution_rules_set",
    "resolution_rules_set_defaults",
    "teachable_dataset_prepare",
    "user_forget",
]
