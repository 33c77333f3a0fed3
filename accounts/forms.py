"""The token page's form: it validates input; the services do the writes."""

from __future__ import annotations

from django import forms

from accounts.models import ApiToken


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What the token is for, e.g. “training pipeline”. Each of your tokens has its own name.",
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()
