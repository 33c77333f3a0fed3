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
    "catalogues_load",
    "catalogues_load_defaults",
    "guided_session_answer",
    "guided_session_start",
    "guided_session_stop",
    "preference_correct",
    "preference_delete",
    "preference_learn",
    "question_set_save",
    "question_sets_create_defaults",
    "resolution_rules_set",
    "resolution_rules_set_defaults",
    "teachable_dataset_prepare",
    "user_forget",
]
