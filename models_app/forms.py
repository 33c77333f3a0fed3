"""Forms of the model pages: they validate input; the job services do the writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from annotations.models import Dataset
from models_app.models import ModelVersion

PRECISION_CHOICES = [
    ("auto", "auto (bf16 where the worker's CPU has it in hardware, else fp32)"),
    ("fp32", "fp32 (exact)"),
    ("bf16", "bf16 (faster on recent hardware)"),
    ("int8", "int8 (fastest on CPU, slightly less accurate)"),
]
# What each preset is for; what it costs on this CPU is shown beside the form (selectors.preset_costs).
PRESET_CHOICES = [
    ("default", "Default"),
    ("snips", "SNIPS-sized single-turn corpora"),
    ("dialogues", "Multi-turn dialogues"),
    ("demo_quick", "Demo, quick (time-boxed first model)"),
    ("demo", "Demo (the full demo model)"),
]


def _set_queryset(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    """The choices of one of the form's model choice fields (each form's own copy of the field)."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)  # declared as one on the form's class
    field.queryset = queryset


class _DatasetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Dataset) -> str:
        return obj.name


class _DatasetsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Dataset) -> str:
        return obj.name


class LabelForm(forms.Form):
    model_version = forms.ModelChoiceField(
        queryset=ModelVersion.objects.none(),
        label="Model",
        empty_label=None,
        help_text="Its proposals are added next to the labels already there; nothing is overwritten.",
    )
    precision = forms.ChoiceField(choices=PRECISION_CHOICES, initial="auto")

    def __init__(self, *args, model_versions: QuerySet[ModelVersion], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "model_version", model_versions)


class TrainForm(forms.Form):
    name = forms.CharField(
        max_length=ModelVersion._meta.get_field("name").max_length,
        label="Model name",
        help_text="Unique; the model is registered under this name.",
    )
    datasets = _DatasetsChoiceField(
        queryset=Dataset.objects.none(),
        label="Train on",
        help_text="The gold labels of these datasets. Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    valid_datasets = _DatasetsChoiceField(
        queryset=Dataset.objects.none(),
        required=False,
        label="Validate on (optional)",
        help_text="When none is chosen, a held-out part of the training data picks the best epoch.",
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    unlabelled_datasets = _DatasetsChoiceField(
        queryset=Dataset.objects.none(),
        required=False,
        label="Learn from unlabelled logs (optional)",
        help_text="Self-training: after training, the model labels these logs, and its confident labels "
        "join the gold for more epochs.",
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    preset = forms.ChoiceField(choices=PRESET_CHOICES, initial="default", label="Training preset")
    epochs = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        label="Epochs (optional)",
        help_text="Leave blank for the preset's number.",
    )
    self_training_epochs = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=20,
        label="Self-training epochs (optional)",
        help_text="With unlabelled logs chosen: leave blank for 1.",
    )

    def __init__(self, *args, datasets: QuerySet[Dataset], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "datasets", datasets)
        _set_queryset(self, "valid_datasets", datasets)
        _set_queryset(self, "unlabelled_datasets", datasets)

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class EvaluateForm(forms.Form):
    dataset = _DatasetChoiceField(
        queryset=Dataset.objects.none(),
        label="Dataset",
        empty_label=None,
        help_text="Measured against the dataset's gold labels.",
    )

    def __init__(self, *args, datasets: QuerySet[Dataset], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "dataset", datasets)
