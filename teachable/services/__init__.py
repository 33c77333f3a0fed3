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
    moment_confirm,
    moment_dismiss,
    moments_find,
    moments_find_job_create,
    moments_find_job_run,
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
    "PreferenceInput",
    "QuestionInput",
    "RuleInput",
    "SyncReport",
    "catalogues_load",
    "catalogues_load_defaults",
    "guided_session_answer",
    "guided_session_start",
    "guided_session_stop",
    "moment_confirm",
    "moment_dismiss",
    "moments_find",
    "moments_find_job_create",
    "moments_find_job_run",
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
