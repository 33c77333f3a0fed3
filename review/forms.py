"""The review app's forms: a dataset's auto-accept thresholds."""

from __future__ import annotations

from typing import Any

from django import forms

from annotations.models import LabelKind

AUTO_ACCEPT_RANGE_ERROR = "Enter a threshold between 0 and 1, or leave it blank to turn auto-accept off."


class AutoAcceptRulesForm(forms.Form):
    """One optional threshold per label kind, named after the kind; blank means off."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in LabelKind:
            self.fields[kind.value] = forms.FloatField(
                required=False,
                min_value=0,
                max_value=1,
                label=kind.label,
                error_messages={
                    "min_value": AUTO_ACCEPT_RANGE_ERROR,
                    "max_value": AUTO_ACCEPT_RANGE_ERROR,
                    "invalid": AUTO_ACCEPT_RANGE_ERROR,
                },
                widget=forms.NumberInput(
                    attrs={"step": "0.01", "min": "0", "max": "1", "placeholder": "off"}
                ),
            )
