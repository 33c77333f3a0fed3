"""The shapes of the review API's answers, for its OpenAPI schema.

The answers themselves are built by ``review_payload`` and ``review_selectors`` (the page embeds the
same JSON), so these serializers describe and never build them; the permission matrix
(``tests/selflearn_site/test_permission_matrix.py``) holds every allowed answer to its documented shape. Every
name starts with "Review": the schema's components are named after the classes and must not meet the
dataset API's ``Label``, ``Turn`` or ``Dataset``.
"""

from __future__ import annotations

from rest_framework import serializers

from annotations.models import LabelKind, LabelSource, LabelStatus


class ReviewLabelSerializer(serializers.Serializer):
    """A label as the review page shows it to the person asking."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=LabelKind.choices)
    turn = serializers.IntegerField(allow_null=True, help_text="The turn's database id; null for goals.")
    value = serializers.JSONField(allow_null=True)
    status = serializers.ChoiceField(choices=LabelStatus.choices)
    confidence = serializers.FloatField(allow_null=True)
    low = serializers.BooleanField(help_text="The confidence is below the page's emphasis threshold.")
    # A field named like DRF's Field.source / Field.required: the payload's names are the API's contract.
    source = serializers.ChoiceField(choices=LabelSource.choices)  # type: ignore[assignment]
    source_name = serializers.CharField(
        help_text="import, the model version's name, or the author's username."
    )
    revision = serializers.IntegerField(help_text="Send it back with a decision (optimistic concurrency).")
    reviews = serializers.IntegerField(help_text="Verdicts in so far.")
    required = serializers.IntegerField(help_text="Verdicts the dataset asks for.")  # type: ignore[assignment]
    settled = serializers.BooleanField()
    awaiting = serializers.BooleanField(help_text="Waits for the verdict of the person asking.")
    mine = serializers.JSONField(
        allow_null=True, help_text="The asking reviewer's own verdict: `{decision, value}`, or null."
    )


class ReviewProgressSerializer(serializers.Serializer):
    awaiting_for_me = serializers.IntegerField()
    awaiting = serializers.IntegerField()
    done = serializers.BooleanField()
    reviews_done = serializers.IntegerField()
    required = serializers.IntegerField()  # type: ignore[assignment]  # the payload's name (see above)


class ReviewOutcomeSerializer(serializers.Serializer):
    """A saved decision's answer: the labels it changed, those it deleted, the reviewer's progress."""

    labels = ReviewLabelSerializer(many=True)
    deleted = serializers.ListField(child=serializers.IntegerField())
    under_review = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The ids of every label under review in the dialogue, one per target and kind (the server "
        "decides which label of a target is current; the page never ranks them itself).",
    )
    progress = ReviewProgressSerializer()


class ReviewConflictSerializer(serializers.Serializer):
    """A 409: nothing was saved."""

    detail = serializers.CharField()
    field = serializers.CharField(required=False, help_text="`revision` when a label changed meanwhile.")
    current = ReviewLabelSerializer(
        many=True, required=False, help_text="The labels that changed, as they are now, to redraw."
    )
    under_review = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="As in a saved decision's answer."
    )


# ---------------------------------------------------------------------------------------------------
# The review page's data (GET …/review/dialogues/{id}/)
# ---------------------------------------------------------------------------------------------------


class ReviewDialogueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    user_key = serializers.CharField(allow_null=True)
    locale = serializers.CharField(allow_null=True)
    started_at = serializers.CharField(allow_null=True, help_text="As the imported file gave it.")
    device = serializers.JSONField(allow_null=True)


class ReviewDatasetSerializer(serializers.Serializer):
    name = serializers.CharField()
    required_reviews = serializers.IntegerField()


class ReviewPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class ReviewTurnSerializer(serializers.Serializer):
    pk = serializers.IntegerField(help_text="The turn's database id, as in a label's `turn`.")
    id = serializers.CharField(help_text="The turn's id in the dialogue.")
    position = serializers.IntegerField()
    utterance = serializers.CharField(allow_blank=True)
    response = serializers.CharField(allow_null=True)
    timestamp = serializers.CharField(allow_null=True)
    asr_confidence = serializers.FloatField(allow_null=True)
    nlu_confidence = serializers.FloatField(allow_null=True)
    domain = serializers.CharField(allow_null=True)
    intent = serializers.CharField(allow_null=True)
    slots = serializers.JSONField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    barge_in = serializers.BooleanField(allow_null=True)
    feedback = serializers.CharField(allow_null=True)


class ReviewInventorySerializer(serializers.Serializer):
    """The values to choose from when correcting."""

    intents = serializers.ListField(child=serializers.CharField())
    slot_types = serializers.ListField(child=serializers.CharField())
    failure_points = serializers.ListField(child=serializers.CharField())


class ReviewHoldSerializer(serializers.Serializer):
    """Who holds the dialogue in the queue now, if anyone."""

    held_by = serializers.CharField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)
    mine = serializers.BooleanField()


class ReviewKindSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LabelKind.choices)
    name = serializers.CharField(help_text="The kind's display name.")
    target = serializers.ChoiceField(
        choices=["turn", "goal", "dialogue"],
        help_text="turn: listed under each turn; goal: a goal's success, on its first turn; dialogue: "
        "the goal segmentation.",
    )
    optional = serializers.BooleanField(
        help_text="A turn kind whose absence means none (preferences, rewrite): listed only where a turn "
        "has a label of it."
    )


class ReviewPageSerializer(serializers.Serializer):
    dialogue = ReviewDialogueSerializer()
    dataset = ReviewDatasetSerializer()
    me = ReviewPersonSerializer()
    turns = ReviewTurnSerializer(many=True)
    labels = ReviewLabelSerializer(many=True, help_text="The label under review for each target.")
    under_review = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The ids of every label under review in the dialogue, one per target and kind (the server "
        "decides which label of a target is current; the page never ranks them itself).",
    )
    kinds = ReviewKindSerializer(many=True, help_text="Every label kind, in order.")
    inventory = ReviewInventorySerializer()
    lock = ReviewHoldSerializer()
    progress = ReviewProgressSerializer()
    low_confidence = serializers.FloatField(help_text="Labels below this confidence are emphasised.")


AutoAcceptSerializer = type(
    "AutoAcceptSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "A confidence threshold per label kind, in [0, 1]; null turns auto-accept off.",
        **{
            kind: serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)
            for kind in LabelKind.values
        },
    },
)
