"""What the rewrites API answers with."""

from __future__ import annotations

from rest_framework import serializers

from rewrites.models import RewriteBlock, RewritePair


class RewritePairSerializer(serializers.ModelSerializer):
    reviewed_by = serializers.CharField(source="reviewed_by.username", allow_null=True, default=None)

    class Meta:
        model = RewritePair
        fields = [
            "id",
            "source",
            "target",
            "proposed_target",
            "probability",
            "support",
            "users",
            "evidence",
            "status",
            "reviewed_by",
            "reviewed_at",
            "updated_at",
        ]


class RewriteBlockSerializer(serializers.ModelSerializer):
    class Meta:
        model = RewriteBlock
        fields = ["id", "utterance", "created_at"]


class RewriteAnswerSerializer(serializers.Serializer):
    utterance = serializers.CharField()
    rewrite = serializers.CharField(allow_null=True, help_text="What to send on instead; null: as it is.")
    layer = serializers.CharField(allow_null=True, help_text='"global" (a reviewed pair), or null.')
    score = serializers.FloatField(allow_null=True, help_text="The pair's absorption probability.")
    reason = serializers.CharField()
    evidence = serializers.DictField()
