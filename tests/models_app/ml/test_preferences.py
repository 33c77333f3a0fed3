from __future__ import annotations

from models_app.ml.config import ModelConfig
from models_app.ml.data import (
    NO_INTENT,
    NOT_A_REPHRASE,
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
from models_app.ml.predict import predict_with
from models_app.ml.preferences import (
    KEY_DOMAINS,
    NO_STATEMENT,
    SLOT_KEYS,
    STATEMENT_KEYS,
    STATING_INTENTS,
    VALUE_TYPE,
    is_negated,
    open_preferences,
    stated_preferences,
    statement_target,
    states_preferences,
    value_spans,
)
from models_app.ml.train import train_model
from tests.models_app.ml.factories import fast_train_config


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


# --- Preferences about anything: the statement head and the value tagger ----------------------------


def _talk(*turns: tuple[str, str | None, str | None]) -> DialogueExample:
    """A dialogue whose source marks statements: (utterance, key or None, stated words or None)."""
    inputs, targets = [], []
    for utterance, key, said in turns:
        inputs.append(TurnInput(utterance=utterance))
        if key is None:
            targets.append(TurnTargets(preferences=[]))
            continue
        start = utterance.index(said) if said else None
        end = start + len(said) if said and start is not None else None
        value = said or utterance
        targets.append(TurnTargets(preferences=[StatedPreference("movies", key, value, "like", start, end)]))
    return DialogueExample(turns=inputs, targets=targets)


TALK = [
    _talk(
        ("i loved the shape of water", "movie", "the shape of water"),
        ("what do you want to know", None, None),
        ("anything by stanley kubrick really", "person", "stanley kubrick"),
    ),
    _talk(
        ("i like romantic comedies", "genre", "romantic comedies"),
        ("hmm let me think", None, None),
        ("yeah i liked the first one", "movie", None),
    ),
]


def test_statement_inventories_list_the_open_keys_with_their_domains() -> None:
    inventories = build_inventories(TALK)
    assert inventories[STATEMENT_KEYS] == [NO_STATEMENT, "genre", "movie", "person"]
    assert inventories[KEY_DOMAINS] == ["genre\tmovies", "movie\tmovies", "person\tmovies"]
    assert "preference_statement" in tasks_with_gold(TALK)
    assert STATEMENT_KEYS not in build_inventories(
        [DialogueExample(turns=[TurnInput("play jazz")], targets=[TurnTargets(intent="play_music")])]
    )


def test_only_a_source_that_marks_statements_teaches_that_a_turn_states_none() -> None:
    marked = DialogueExample(
        turns=[TurnInput("i like thrillers"), TurnInput("play it")],
        targets=[
            TurnTargets(preferences=[StatedPreference("movies", "genre", "thrillers", "like", 7, 16)]),
            TurnTargets(intent="play"),
        ],
    )
    unmarked = DialogueExample(turns=[TurnInput("play jazz")], targets=[TurnTargets(intent="play_music")])
    assert states_preferences(marked) and not states_preferences(unmarked)
    index = {name: position for position, name in enumerate([NO_STATEMENT, "genre"])}
    assert statement_target(None, index) is None
    assert statement_target([], index) == 0
    assert statement_target(marked.targets[0].preferences, index) == 1
    # A statement whose words are not marked teaches the statement head, not the value tagger.
    assert value_spans([StatedPreference("movies", "movie", "Thor", "like")]) is None
    assert value_spans([]) == []


def test_a_statement_names_its_value_from_the_tagged_words_or_else_as_said() -> None:
    inventories = build_inventories(TALK)
    utterance = "honestly i don't like stanley kubrick"
    tagged = open_preferences(
        utterance,
        Predicted("person", 0.9),
        [Span(22, 37, VALUE_TYPE)],
        Predicted([], 0.0),
        inventories,
    )
    assert tagged.value == [StatedPreference("movies", "person", "stanley kubrick", "dislike", 22, 37)]
    assert tagged.confidence == 0.9
    untagged = open_preferences("the first one", Predicted("movie", 0.7), [], Predicted([], 0.0), inventories)
    assert untagged.value == [StatedPreference("movies", "movie", "the first one", "like")]
    assert (
        open_preferences("ok", Predicted(NO_STATEMENT, 0.8), [], Predicted([], 0.0), inventories).value == []
    )


def test_statement_metrics_count_whether_a_turn_states_one_and_where_its_words_are() -> None:
    example = TALK[0]

    def turn(preferences: list[StatedPreference]) -> TurnPrediction:
        return TurnPrediction(
            intent=Predicted(NO_INTENT, 0.0),
            slots=Predicted([], 0.0),
            failure_point=Predicted("none", 0.0),
            rephrase_of=Predicted(NOT_A_REPHRASE, 0.0),
            defect=Predicted(False, 0.0),
            preferences=Predicted(preferences, 0.9),
        )

    prediction = DialoguePrediction(
        key=None,
        turns=[
            turn([StatedPreference("movies", "movie", "water", "like", 21, 26)]),  # overlaps the title
            turn([StatedPreference("movies", "movie", "know", "like", 20, 24)]),  # states none in truth
            turn([]),  # a missed statement
        ],
        goals=Predicted([], 0.0),
    )
    metrics = evaluate([example], [prediction])
    assert metrics["preference_statement_precision"] == 0.5
    assert metrics["preference_statement_recall"] == 0.5
    assert metrics["preference_value_overlap"] == 1.0
    assert metrics["counts"]["preference_statement_turns"] == 3


def test_a_tiny_model_learns_to_tell_statements_and_their_words(tiny_model_config: ModelConfig) -> None:
    trained = train_model(TALK * 4, None, tiny_model_config, fast_train_config(epochs=60))
    assert "preference_statement" in trained.tasks
    predictions = predict_with(trained, TALK)
    stated = [[p.value for p in turn.preferences.value] for turn in predictions[0].turns]
    assert stated == [["the shape of water"], [], ["stanley kubrick"]]
    # "the first one" names no words to tag: its key is learnt all the same.
    keys = [{p.key for p in turn.preferences.value} for turn in predictions[1].turns]
    assert keys == [{"genre"}, set(), {"movie"}]
