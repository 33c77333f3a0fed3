"""What the teachable API answers with."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from teachable.models import (
    Preference,
    Question,
    QuestionSet,
    ResolutionRule,
    TeachableMoment,
)

# The turn that said it: {"dialogue": its external id, "turn": the turn's id}, or null.
_TURN_REFERENCE = {
    "type": "object",
    "nullable": True,
    "properties": {"dialogue": {"type": "string"}, "turn": {"type": "string"}},
}


class PreferenceSerializer(serializers.ModelSerializer):
    user_id = serializers.CharField(source="user_key")
    entity = serializers.CharField(source="entity.value", allow_null=True, default=None)
    resolved = serializers.BooleanField(
        read_only=True,
        help_text="False: no catalogue knows the value (yet); it is kept as the person said it.",
    )
    turn = serializers.SerializerMethodField()

    class Meta:
        model = Preference
        fields = [
            "id",
            "user_id",
            "domain",
            "key",
            "value",
            "entity",
            "resolved",
            "polarity",
            "source",
            "confidence",
            "active",
            "turn",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(_TURN_REFERENCE)
    def get_turn(self, preference: Preference) -> dict[str, str] | None:
        if preference.turn is None:
            return None
        return {"dialogue": preference.turn.dialogue.external_id, "turn": preference.turn.external_id}


class QuestionSerializer(serializers.ModelSerializer):
    catalogue = serializers.CharField(source="catalogue.name", allow_null=True, default=None)
    next = serializers.CharField(source="next_question.key", allow_null=True, default=None)

    class Meta:
        model = Question
        fields = ["key", "domain", "text", "confirm", "answer_type", "catalogue", "next"]


class QuestionSetSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    first = serializers.CharField(source="first_question.key", allow_null=True, default=None)

    class Meta:
        model = QuestionSet
        fields = ["name", "domain", "first", "questions"]


class ResolutionRuleSerializer(serializers.ModelSerializer):
    catalogue = serializers.CharField(source="catalogue.name", allow_null=True, default=None)

    class Meta:
        model = ResolutionRule
        fields = ["intent", "slot_type", "domain", "key", "catalogue"]


class GuidedTurnSerializer(serializers.Serializer):
    """A guided session after its latest answer: what to say next."""

    id = serializers.IntegerField()
    user_id = serializers.CharField()
    question_set = serializers.CharField()
    status = serializers.ChoiceField(choices=["asking", "confirming", "done", "stopped"])
    prompt = serializers.CharField(help_text="What the assistant says next.")
    question = serializers.DictField(allow_null=True, help_text="{key, text} of the open question.")
    choices = serializers.ListField(child=serializers.CharField(), help_text="Names to choose among.")
    understood = serializers.DictField(allow_null=True, help_text="The answer awaiting yes or no.")
    learned = serializers.ListField(
        child=serializers.DictField(),
        help_text="{key, value, polarity, resolved} stored so far; resolved false: kept as said.",
    )
    transcript = serializers.ListField(child=serializers.DictField())
    ended = serializers.BooleanField()


class ResolutionSerializer(serializers.Serializer):
    user_id = serializers.CharField()
    intent = serializers.CharField(allow_null=True)
    slots = serializers.ListField(
        child=serializers.DictField(),
        help_text="The reading's slots, completed; filled ones have source=preference and resolved "
        "(false: the person's own wording, which no catalogue knows yet).",
    )
    applied = serializers.ListField(
        child=serializers.DictField(), help_text="Which preference did what: filled or disambiguated."
    )


class MomentSerializer(serializers.ModelSerializer):
    user_id = serializers.CharField(source="user_key")
    turn = serializers.SerializerMethodField()

    class Meta:
        model = TeachableMoment
        fields = [
            "id",
            "user_id",
            "kind",
            "domain",
            "key",
            "question",
            "proposed_value",
            "candidates",
            "evidence",
            "status",
            "preference",
            "turn",
            "created_at",
            "decided_at",
        ]

    @extend_schema_field(_TURN_REFERENCE)
    def get_turn(self, moment: TeachableMoment) -> dict[str, str]:
        return {"dialogue": moment.turn.dialogue.external_id, "turn": moment.turn.external_id}
