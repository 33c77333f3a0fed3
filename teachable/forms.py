"""Forms of the teaching pages."""

from __future__ import annotations

from django import forms

from teachable.models import AnswerType, Polarity


class PreferenceForm(forms.Form):
    domain = forms.CharField(max_length=64, help_text="sports, weather, food, music, …")
    key = forms.CharField(max_length=64, help_text="team, city, cuisine, genre, film, actor, … any short key")
    value = forms.CharField(
        max_length=200,
        help_text="Resolved against the catalogue named after the key; a value no catalogue knows is "
        "kept as written, marked unresolved.",
    )
    polarity = forms.ChoiceField(choices=Polarity.choices, initial=Polarity.LIKE)


class AnswerForm(forms.Form):
    answer = forms.CharField(
        max_length=500,
        label="Their answer",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
        help_text='Free text, as the person would say it; "skip" moves on, "stop" ends.',
    )


class StartSessionForm(forms.Form):
    question_set = forms.ChoiceField(label="Question set")

    def __init__(self, *args, question_sets: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question_set"].choices = [(name, name) for name in question_sets]  # type: ignore[attr-defined]


class ResolveForm(forms.Form):
    intent = forms.CharField(max_length=200, label="The assistant's intent", initial="weather_query")
    slots = forms.CharField(
        required=False,
        label="Its slots",
        help_text="One per line, type=value (e.g. place_name=springfield); empty for none.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_slots(self) -> list[dict[str, str]]:
        slots = []
        for number, line in enumerate(self.cleaned_data["slots"].splitlines(), start=1):
            if not line.strip():
                continue
            slot_type, separator, value = line.partition("=")
            if not separator or not slot_type.strip():
                raise forms.ValidationError(f"Line {number}: write type=value.")
            slots.append({"type": slot_type.strip(), "value": value.strip()})
        return slots


class QuestionForm(forms.Form):
    key = forms.CharField(max_length=64)
    domain = forms.CharField(max_length=64, required=False)
    text = forms.CharField(max_length=300)
    confirm = forms.CharField(
        max_length=300,
        required=False,
        label="Said back",
        help_text="How an understood answer is said back, with {value}: “So you live in {value}.” "
        "Empty: “So you like {value}.”",
    )
    answer_type = forms.ChoiceField(choices=AnswerType.choices, initial=AnswerType.ENTITY)
    catalogue = forms.CharField(max_length=64, required=False)
    next = forms.CharField(
        max_length=64, required=False, help_text="Key of the next question; empty: the next row."
    )


QuestionFormSet = forms.formset_factory(QuestionForm, extra=1, can_delete=True)


class QuestionSetForm(forms.Form):
    name = forms.SlugField(max_length=64)
    domain = forms.CharField(max_length=64)
