"""How the dialogue page groups turns into goal bands and draws slots."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from annotations.conversation import conversation_build
from annotations.models import Label, LabelKind, LabelSource, LabelStatus
from annotations.selectors import dialogue_get_with_labels
from annotations.templatetags.selflearn import HUES, highlight_spans, slot_hue
from tests.annotations.page_helpers import make_dialogue

pytestmark = pytest.mark.django_db


def goal_segments(dialogue, goals, status=LabelStatus.GOLD, source=LabelSource.IMPORT, author=None):
    now = timezone.now()
    return Label.objects.create(
        dialogue=dialogue,
        kind=LabelKind.GOAL_SEGMENTS,
        value=[{"turns": g} for g in goals],
        status=status,
        source_type=source,
        author=author,
        created_at=now,
        updated_at=now,
    )


def bands_of(dialogue):
    built = conversation_build(dialogue_get_with_labels(dialogue.dataset, pk=dialogue.pk))
    return [(band.number, [view.turn.external_id for view in band.turns]) for band in built.bands]


def test_turns_in_no_goal_get_a_band_of_their_own(dataset):
    dialogue = make_dialogue(dataset, "d", ["a", "b", "c", "d"], with_labels=False)
    goal_segments(dialogue, [["t2"], ["t3", "t4"]])
    assert bands_of(dialogue) == [(None, ["t1"]), (1, ["t2"]), (2, ["t3", "t4"])]


def test_without_segmentation_all_turns_are_one_band(dataset):
    dialogue = make_dialogue(dataset, "d", ["a", "b"], with_labels=False)
    assert bands_of(dialogue) == [(None, ["t1", "t2"])]


def test_a_persons_correction_wins_over_a_gold_import_and_rejected_ones_are_ignored(dataset, make_user):
    dialogue = make_dialogue(dataset, "d", ["a", "b", "c"], with_labels=False)
    goal_segments(dialogue, [["t1", "t2", "t3"]])
    goal_segments(dialogue, [["t1"], ["t2"], ["t3"]], status=LabelStatus.REJECTED, source=LabelSource.PERSON)
    goal_segments(
        dialogue,
        [["t1", "t2"], ["t3"]],
        status=LabelStatus.CORRECTED,
        source=LabelSource.PERSON,
        author=make_user("rita"),
    )
    assert bands_of(dialogue) == [(1, ["t1", "t2"]), (2, ["t3"])]


def test_goal_success_shows_on_the_band_it_starts(dataset):
    dialogue = make_dialogue(dataset, "d", ["a", "b", "c", "d"])
    built = conversation_build(dialogue_get_with_labels(dataset, pk=dialogue.pk))
    assert [[label.value for label in band.success_labels] for band in built.bands] == [[True], [False]]
    # goal_success is not repeated among the turn's own labels
    assert all(label.kind != "goal_success" for band in built.bands for v in band.turns for label in v.labels)


def test_slots_are_highlighted_with_their_type_and_escaped():
    html = highlight_spans("play <b>haze</b> now", [{"start": 5, "end": 16, "type": "song"}])
    assert html.startswith('play <mark class="slot slot-hue-')
    assert "&lt;b&gt;haze&lt;/b&gt;" in html and '<span class="slot-type">song</span></mark> now' in html


def test_overlapping_or_out_of_range_spans_are_not_drawn():
    spans = [
        {"start": 0, "end": 4, "type": "a"},
        {"start": 2, "end": 6, "type": "b"},
        {"start": 3, "end": 99},
    ]
    assert highlight_spans("play it", spans).count("<mark") == 1
    assert highlight_spans("play it", None) == "play it"


def test_a_slot_type_always_gets_the_same_colour_and_the_stylesheet_has_every_colour():
    assert slot_hue("song") == slot_hue("song")
    assert slot_hue("song") != slot_hue("artist")
    stylesheet = (Path(settings.BASE_DIR) / "static" / "css" / "selflearn.css").read_text(encoding="utf-8")
    for hue in range(HUES):
        assert f".slot-hue-{hue} {{ --slot-hue: {hue * 360 // HUES}; }}" in stylesheet
    assert {slot_hue(f"type{n}") for n in range(500)} == set(range(HUES))


def test_slot_colours_are_classes_not_style_attributes_which_the_security_policy_refuses():
    html = highlight_spans("play hello by adele", [{"start": 5, "end": 10, "type": "song"}])
    assert f'class="slot slot-hue-{slot_hue("song")}"' in html and "style=" not in html
