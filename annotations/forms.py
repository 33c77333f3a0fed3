"""Forms of the dataset pages: they validate input; the services do the writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files import File

from annotations.models import DATASET_DESCRIPTION_MAX_LENGTH, Dataset, Role

ON_DUPLICATE_CHOICES = [
    ("error", "Stop with an error"),
    ("skip", "Skip the new copy"),
    ("replace", "Replace the stored dialogue"),
]
IMPORT_SUFFIXES = (".jsonl", ".jsonl.gz")


def validate_import_filename(upload: File[Any]) -> None:
    if not (upload.name or "").lower().endswith(IMPORT_SUFFIXES):
        raise ValidationError("Upload a .jsonl or .jsonl.gz file.", code="invalid_extension")


class DatasetCreateForm(forms.Form):
    name = forms.CharField(max_length=Dataset._meta.get_field("name").max_length)
    description = forms.CharField(
        required=False,
        max_length=DATASET_DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if "/" in name:
            raise ValidationError("A dataset name cannot contain '/'.")
        return name


class ImportForm(forms.Form):
    file = forms.FileField(
        validators=[validate_import_filename],
        help_text="One dialogue per line (FORMAT.md), optionally gzip-compressed.",
        widget=forms.ClearableFileInput(attrs={"accept": ".jsonl,.gz,.jsonl.gz"}),
    )
    on_duplicate = forms.ChoiceField(
        choices=ON_DUPLICATE_CHOICES,
        initial="error",
        label="When a dialogue id is already in the dataset",
    )
    skip_invalid = forms.BooleanField(
        required=False,
        label="Skip invalid lines",
        help_text="Import the valid lines and keep the invalid ones in a rejects file.",
    )


class MemberAddForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class MemberRoleForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=Role.choices)


class MemberRemoveForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)
