from __future__ import annotations

from models_app.ml.data import (
    DialogueExample,
    DialoguePrediction,
    Predicted,
    Span,
    StatedPreference,
    TurnInput,
    TurnPrediction,
    TurnTargets,
)
from models_app.ml.features import build_inventories, tasks_with_gold
from models_app.ml.format_adapter import example_from_format, preferences_to_format
from models_app.ml.metrics import evaluate
from models_app.ml.preferences import SLOT_KEYS, STATING_INTENTS, is_negated, stated_preferences


def _teaching(
    utterance: str, said: str, slot_type: str, domain: str, key: str, value: str
) -> DialogueExample:
    start = utterance.index(said)
    end = start + len(said)
    return DialogueExample(
        turns=[TurnInput(utterance=utterance)],
        targets=[
            TurnTargets(
                intent="preference_teach",
                slots=[Span(start, end, slot_type)],
                preferences=[StatedPreference(domain, key, value, "like", start, end)],
            )
        ],
    )


EXAMPLES = [
    _teaching(
        "i root for the buffalo bills", "the buffalo bills", "sport_team", "sports", "team", "Buffalo Bills"
    ),
    _teaching("i really like indian food", "indian", "food_type", "food", "cuisine", "indian"),
    DialogueExample(
        turns=[TurnInput(utterance="play jazz")],
        targets=[TurnTargets(intent="play_music", slots=[Span(5, 9, "music_genre")], preferences=[])],
    ),
]


def test_the_inventories_learn_which_intents_state_and_which_slot_carries_which_key() -> None:
    inventories = build_inventories(EXAMPLES)
    assert inventories[STATING_INTENTS] == ["preference_teach"]
    assert inventories[SLOT_KEYS] == ["food_type\tfood\tcuisine", "sport_team\tsports\tteam"]
    assert "preferences" in tasks_with_gold(EXAMPLES)


def test_a_stating_turn_yields_its_mapped_slots_as_preferences() -> None:
    inventories = build_inventories(EXAMPLES)
    utterance = "i don't like the new york jets but i follow the bulls"
    spans = [Span(13, 30, "sport_team"), Span(44, 53, "sport_team"), Span(0, 1, "person")]
    stated = stated_preferences(
        utterance, Predicted("preference_teach", 0.9), Predicted(spans, 0.8), inventories
    )
    assert stated.confidence == 0.8
    assert [(p.value, p.polarity) for p in stated.value] == [
        ("the new york jets", "dislike"),
        ("the bulls", "like"),  # the negation reaches only to the next slot
    ]


def test_other_intents_state_nothing_with_the_intents_confidence() -> None:
    inventories = build_inventories(EXAMPLES)
    stated = stated_preferences("play jazz", Predicted("play_music", 0.7), Predicted([], 0.9), inventories)
    assert stated == Predicted([], 0.7)


def test_negation_words_make_a_dislike() -> None:
    assert is_negated("i don't like") and is_negated("not") and not is_negated("i really like")


def test_preference_gold_round_trips_through_the_format() -> None:
    data = {
        "id": "d1",
        "turns": [{"id": "t1", "utterance": "i'm a warriors fan"}],
        "labels": {
            "turns": {
                "t1": {
                    "intent": "preference_teach",
                    "preferences": [{"domain": "sports", "key": "team", "value": "Golden State Warriors"}],
                }
            }
        },
    }
    (targets,) = example_from_format(data).targets
    assert targets.preferences == [StatedPreference("sports", "team", "Golden State Warriors")]
    assert preferences_to_format(targets.preferences) == [
        {"domain": "sports", "key": "team", "value": "Golden State Warriors", "polarity": "like"}
    ]


def test_extraction_is_scored_by_exact_statements_with_values_compared_as_words() -> None:
    example = EXAMPLES[0]
    right = StatedPreference("sports", "team", "the Buffalo Bills!")
    wrong = StatedPreference("sports", "team", "Buffalo Sabres")

    def predicted(*preferences: StatedPreference) -> DialoguePrediction:
        turn = TurnPrediction(
            intent=Predicted("preference_teach", 1.0),
            slots=Predicted([], 1.0),
            failure_point=Predicted("none", 1.0),
            rephrase_of=Predicted(-1, 1.0),
            defect=Predicted(False, 1.0),
            preferences=Predicted(list(preferences), 1.0),
        )
        return DialoguePrediction(key=None, turns=[turn], goals=Predicted([], 0.0))

    assert evaluate([example], [predicted(right)])["preference_f1"] == 1.0
    scored = evaluate([example], [predicted(right, wrong)])
    assert (scored["preference_precision"], scored["preference_recall"]) == (0.5, 1.0)
    assert evaluate([example], [predicted()])["preference_f1"] == 0.0
