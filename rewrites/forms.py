"""Forms of the rewrites page."""

from __future__ import annotations

from django import forms

from rewrites.models import UTTERANCE_LENGTH


class MiningForm(forms.Form):
    labels = forms.CharField(initial="best", help_text="gold, reviewed, best or model:NAME")
    min_probability = forms.FloatField(initial=0.5, min_value=0.01, max_value=1.0, label="Least probability")
    min_support = forms.IntegerField(initial=2, min_value=1, label="Least support (chains)")
    min_margin = forms.FloatField(
        initial=0.1,
        min_value=0.0,
        max_value=0.99,
        label="Least margin",
        help_text="How much likelier the rewrite serves than the request as it is.",
    )


class TryForm(forms.Form):
    utterance = forms.CharField(max_length=UTTERANCE_LENGTH, label="A request")


class BlockForm(forms.Form):
    utterance = forms.CharField(max_length=UTTERANCE_LENGTH, label="Never rewrite")
