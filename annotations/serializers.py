"""Serializers shared by the dataset APIs and the export command: the label filters and the export's
parameters (one validation for HTTP and the CLI), and the shapes of dialogues and labels."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotations.formats.dialogue_format import FAILURE_POINTS
from annotations.formats.export_formats import EXPORT_FORMATS
from annotations.formats.exporting import LabelSelection
from annotations.label_filters import DialogueFilter, LabelFilter
from annotations.models import Dialogue, Label, LabelKind, LabelSource, LabelStatus, Turn
from models_app.models import ModelVersion
from selflearn_site.exceptions import ApplicationError

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from annotations.selectors import DialogueLabels


class ChoicesField(serializers.MultipleChoiceField):
    """Any of several choices, repeated (``kind=intent&kind=slots``) or comma-separated
    (``kind=intent,slots``); an ordered tuple."""

    # DRF's stubs give MultipleChoiceField ChoiceField's value and input (one choice); DRF takes a
    # list of choices and returns a set of them.
    def to_internal_value(self, data: Any) -> tuple[str, ...]:  # type: ignore[override]
        values = data if isinstance(data, list | tuple) else [data]
        items = [item.strip() for value in values for item in str(value).split(",") if item.strip()]
        return tuple(sorted(super().to_internal_value(items)))  # type: ignore[arg-type]


class DeviceSerializer(serializers.Serializer):
    """FORMAT.md's ``device`` of a request: the type and the screen are what the rewriter's ranker and
    the resolver read; other keys (``state``) are not read, so not kept."""

    type = serializers.CharField(max_length=64, required=False, allow_blank=True)
    has_screen = serializers.BooleanField(required=False, allow_null=True)


# A served request (rewrite, resolve) is a few hundred bytes; this leaves room and refuses a body of
# megabytes before it is parsed (a viewer's 9 MB device took 1.2 s of a served path).
SERVED_REQUEST_MAX_BYTES = 64 * 1024


class LabelFilterSerializer(serializers.Serializer):
    """The label filters, from a query string (or the CLI's options). ``validated_data`` holds
    ``label_filter`` (a LabelFilter) and ``changed_since`` (a datetime or None)."""

    kind = ChoicesField(choices=LabelKind.choices, required=False, help_text="Label kinds, any of them.")
    status = ChoicesField(
        choices=LabelStatus.choices, required=False, help_text="Label statuses, any of them."
    )
    # DRF's metaclass takes declared fields off the class, so this does not hide Field.source; the
    # stubs cannot see that.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=LabelSource.choices, required=False, help_text="Where labels came from."
    )
    model = serializers.CharField(
        required=False, max_length=200, help_text="The name of the model version that wrote the labels."
    )
    confidence_min = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        help_text="At least this confidence (labels without one are left out).",
    )
    confidence_max = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        help_text="At most this confidence (labels without one are left out).",
    )
    reviewer = serializers.CharField(
        required=False,
        max_length=150,
        help_text="The username of a person who wrote, accepted, corrected or rejected the labels.",
    )
    changed_since = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601. Labels: changed at or after it. Export: dialogues imported or with a label "
        "changed at or after it, each whole.",
    )

    def validate_model(self, name: str) -> ModelVersion:
        model_version = ModelVersion.objects.filter(name=name).first()
        if model_version is None:
            raise serializers.ValidationError(f"No model version named {name!r}.")
        return model_version

    def validate_reviewer(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise serializers.ValidationError(f"No user named {username!r}.")
        return user

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("confidence_min"), attrs.get("confidence_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"confidence_max": [f"is below confidence_min ({low})."]})
        model_version = attrs.get("model")
        if model_version is not None and attrs.get("source", LabelSource.MODEL) != LabelSource.MODEL:
            raise serializers.ValidationError(
                {"source": ["must be 'model' (or left out) when a model is given."]}
            )
        label_filter = LabelFilter(
            kinds=attrs.get("kind", ()),
            statuses=attrs.get("status", ()),
            source=LabelSource(attrs["source"]) if "source" in attrs else None,
            model_version=model_version,
            confidence_min=low,
            confidence_max=high,
            reviewer=attrs.get("reviewer"),
        )
        return {**attrs, "label_filter": label_filter, "changed_since": attrs.get("changed_since")}


class DialogueFilterSerializer(LabelFilterSerializer):
    """The dataset page's dialogue list: the label filters, the values of the labels asked for, a
    search and the keyset (``after``, a dialogue id). ``validated_data`` adds ``dialogue_filter``."""

    q = serializers.CharField(required=False, max_length=200, help_text="Words a turn says.")
    intent = serializers.CharField(required=False, max_length=200, help_text="An intent label says it.")
    failure_point = serializers.ChoiceField(
        choices=list(FAILURE_POINTS), required=False, help_text="A failure point label says it."
    )
    defect = serializers.ChoiceField(
        choices=[("yes", "a defect"), ("no", "no defect")],
        required=False,
        help_text="A defect label says yes or no.",
    )
    after = serializers.IntegerField(required=False, min_value=0, help_text="Dialogues after this id.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        dialogue_filter = DialogueFilter(
            labels=attrs["label_filter"],
            intent=attrs.get("intent"),
            failure_point=attrs.get("failure_point"),
            defect={"yes": True, "no": False}[attrs["defect"]] if "defect" in attrs else None,
        )
        return {**attrs, "dialogue_filter": dialogue_filter}


class ExportParamsSerializer(LabelFilterSerializer):
    """What an export sends: the format, the label selection, and the label filters."""

    format = serializers.ChoiceField(
        choices=list(EXPORT_FORMATS),
        default="jsonl",
        help_text="jsonl (FORMAT.md), conll (BIO), rasa (Rasa NLU YAML), csv (a row per turn) or hf "
        "(Hugging Face token classification JSON Lines).",
    )
    labels = serializers.CharField(
        default="gold",
        max_length=250,
        help_text="gold, reviewed (gold, accepted, corrected), best (the best label per target) or "
        "model:NAME.",
    )

    def validate_labels(self, text: str) -> LabelSelection:
        try:
            return LabelSelection.parse(text)
        except ApplicationError as error:
            raise serializers.ValidationError(error.message) from error


class LabelSerializer(serializers.Serializer):
    """A label, from ``label_list`` (its dialogue, turn, model and author as annotated columns)."""

    id = serializers.IntegerField()
    dialogue = serializers.IntegerField(source="dialogue_id")
    dialogue_external_id = serializers.CharField()
    turn = serializers.CharField(
        source="turn_external_id", allow_null=True, help_text="The turn's id; null for goal segments."
    )
    kind = serializers.ChoiceField(choices=LabelKind.choices)
    value = serializers.JSONField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=LabelStatus.choices)
    # A declared field, not Field.source (see LabelFilterSerializer.source).
    source = serializers.ChoiceField(source="source_type", choices=LabelSource.choices)  # type: ignore[assignment]
    model = serializers.CharField(source="model_name", allow_null=True)
    author = serializers.CharField(source="author_username", allow_null=True)
    revision = serializers.IntegerField(
        help_text="Bumped on every change; a decision names the revision it saw."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class DialogueSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    user_id = serializers.CharField(source="user_key", allow_null=True)
    locale = serializers.CharField(allow_null=True)
    started_at = serializers.CharField(allow_null=True)
    turns = serializers.IntegerField(source="turn_count")
    labels = serializers.IntegerField(source="label_count")
    first_utterance = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class DialogueLabelSerializer(serializers.Serializer):
    """A label inside a dialogue's detail (the dialogue and turn are where it sits)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=LabelKind.choices)
    value = serializers.JSONField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=LabelStatus.choices)
    # A declared field, not Field.source (see LabelFilterSerializer.source).
    source = serializers.ChoiceField(source="source_type", choices=LabelSource.choices)  # type: ignore[assignment]
    model = serializers.CharField(source="model_version.name", allow_null=True, default=None)
    author = serializers.CharField(source="author.username", allow_null=True, default=None)
    revision = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class TurnSerializer(serializers.Serializer):
    id = serializers.CharField(source="external_id")
    position = serializers.IntegerField()
    timestamp = serializers.CharField(allow_null=True)
    utterance = serializers.CharField(allow_blank=True)
    response = serializers.CharField(allow_null=True)
    asr_confidence = serializers.FloatField(allow_null=True)
    nlu_confidence = serializers.FloatField(allow_null=True)
    domain = serializers.CharField(allow_null=True)
    intent = serializers.CharField(
        allow_null=True, help_text="What the assistant did (a label says what it should have)."
    )
    slots = serializers.JSONField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    barge_in = serializers.BooleanField(allow_null=True)
    feedback = serializers.CharField(allow_null=True)
    metadata = serializers.JSONField(allow_null=True)
    labels = DialogueLabelSerializer(many=True, source="turn_labels")


class TurnLabels(TypedDict):
    """What ``DialogueDetailSerializer`` puts on each turn for ``TurnSerializer``'s ``labels``."""

    turn_labels: list[Label]


class DialogueDetailSerializer(serializers.Serializer):
    """A dialogue from ``dialogue_get_with_labels``: its turns, each with all its labels, and the
    dialogue-level labels (goal segments)."""

    id = serializers.IntegerField()
    external_id = serializers.CharField()
    user_id = serializers.CharField(source="user_key", allow_null=True)
    device = serializers.JSONField(allow_null=True)
    locale = serializers.CharField(allow_null=True)
    started_at = serializers.CharField(allow_null=True)
    metadata = serializers.JSONField(allow_null=True)
    created_at = serializers.DateTimeField()
    turns = serializers.SerializerMethodField()
    labels = serializers.SerializerMethodField(help_text="Dialogue-level labels (goal segments).")

    def _labels_by_turn(
        self, dialogue: WithAnnotations[Dialogue, DialogueLabels]
    ) -> dict[int | None, list[Label]]:
        by_turn: dict[int | None, list[Label]] = defaultdict(list)
        for label in dialogue.all_labels:
            by_turn[label.turn_id].append(label)
        return by_turn

    @extend_schema_field(TurnSerializer(many=True))
    def get_turns(self, dialogue: WithAnnotations[Dialogue, DialogueLabels]) -> list[dict[str, Any]]:
        by_turn = self._labels_by_turn(dialogue)
        # Each turn gets its labels as ``turn_labels`` just below: an attribute no type declares.
        turns = cast("list[WithAnnotations[Turn, TurnLabels]]", list(dialogue.turns.all()))
        for turn in turns:
            turn.turn_labels = by_turn.get(turn.pk, [])
        # DRF's stubs type ``data`` as one object's even with many=True (a list of them).
        return TurnSerializer(turns, many=True).data  # type: ignore[return-value]

    @extend_schema_field(DialogueLabelSerializer(many=True))
    def get_labels(self, dialogue: WithAnnotations[Dialogue, DialogueLabels]) -> list[dict[str, Any]]:
        # DRF's stubs type ``data`` as one object's even with many=True (a list of them).
        return DialogueLabelSerializer(  # type: ignore[return-value]
            self._labels_by_turn(dialogue).get(None, []), many=True
        ).data
