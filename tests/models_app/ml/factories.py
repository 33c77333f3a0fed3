"""Hand-made dialogues in FORMAT.md and fast training settings for the ML tests."""

from __future__ import annotations

from typing import Any

from models_app.ml.config import TrainConfig


def fast_train_config(**overrides: Any) -> TrainConfig:
    settings: dict[str, Any] = {
        "epochs": 150,
        "batch_size": 64,
        "encoder_lr": 3e-3,
        "head_lr": 1e-2,
        "warmup": 0.0,
        "weight_decay": 0.0,
        "validation_fraction": 0.0,
        "seed": 0,
    }
    settings.update(overrides)
    return TrainConfig(**settings)


def _turn(turn_id: str, utterance: str, response: str, seconds: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": turn_id,
        "utterance": utterance,
        "response": response,
        "timestamp": f"2024-03-03T10:00:{seconds:02d}.000Z",
        **extra,
    }


def _span(utterance: str, text: str, slot_type: str) -> dict[str, Any]:
    start = utterance.index(text)
    return {"start": start, "end": start + len(text), "type": slot_type}


def handmade_dialogues() -> list[dict[str, Any]]:
    """Four dialogues in FORMAT.md with every label kind: failures of several kinds, rephrases,
    defects, goals that succeed and fail, and a false wake in no goal."""
    # Long: the four dialogues themselves, as data.
    song = "play purple haze by jimi hendrix"
    song2 = "play purple haze by jimi hendrix please"
    weather = "what is the weather tomorrow"
    alarm = "set alarm at 7 am"
    pizza, pizza2 = "order pizza", "order a pizza for me"
    book = "rate this book five stars"
    return [
        {
            "id": "a",
            "device": {"type": "speaker", "has_screen": False},
            "turns": [
                _turn("t1", song, "Playing purple hays.", 0, status="SUCCESS", asr_confidence=0.6),
                _turn(
                    "t2",
                    song2,
                    "Playing Purple Haze by Jimi Hendrix.",
                    4,
                    status="SUCCESS",
                    asr_confidence=0.95,
                    barge_in=False,
                ),
            ],
            "labels": {
                "goals": [{"turns": ["t1", "t2"], "success": True}],
                "turns": {
                    "t1": {
                        "intent": "PlayMusic",
                        "slots": [_span(song, "purple haze", "song"), _span(song, "jimi hendrix", "artist")],
                        "failure_point": "asr",
                        "rephrase_of": None,
                        "defect": True,
                    },
                    "t2": {
                        "intent": "PlayMusic",
                        "slots": [
                            _span(song2, "purple haze", "song"),
                            _span(song2, "jimi hendrix", "artist"),
                        ],
                        "failure_point": "none",
                        "rephrase_of": "t1",
                        "defect": False,
                    },
                },
            },
        },
        {
            "id": "b",
            "device": {"type": "display", "has_screen": True},
            "turns": [
                _turn("t1", weather, "Tomorrow will be sunny.", 0, status="SUCCESS"),
                _turn("t2", "call mom", "Sorry, I didn't catch that.", 20, status="NO_MATCH"),
                _turn("t3", alarm, "Something went wrong.", 50, status="ERROR", feedback="negative"),
            ],
            "labels": {
                "goals": [{"turns": ["t1"], "success": True}, {"turns": ["t3"], "success": False}],
                "turns": {
                    "t1": {
                        "intent": "GetWeather",
                        "slots": [_span(weather, "tomorrow", "date")],
                        "failure_point": "none",
                        "rephrase_of": None,
                        "defect": False,
                    },
                    "t2": {
                        "intent": None,
                        "slots": [],
                        "failure_point": "false_wake",
                        "rephrase_of": None,
                        "defect": True,
                    },
                    "t3": {
                        "intent": "SetAlarm",
                        "slots": [_span(alarm, "7 am", "time")],
                        "failure_point": "result",
                        "rephrase_of": None,
                        "defect": True,
                    },
                },
            },
        },
        {
            "id": "c",
            "turns": [
                _turn("t1", pizza, "Here is a pasta recipe.", 0, domain="recipes"),
                _turn("t2", "no not that", "Okay.", 3),
                _turn("t3", pizza2, "Ordering from Pizza Palace.", 9, domain="food"),
            ],
            "labels": {
                "goals": [{"turns": ["t1", "t2", "t3"], "success": False}],
                "turns": {
                    "t1": {
                        "intent": "OrderFood",
                        "slots": [_span(pizza, "pizza", "dish")],
                        "failure_point": "nlu",
                        "rephrase_of": None,
                        "defect": True,
                    },
                    "t2": {
                        "intent": "general_negate",
                        "slots": [],
                        "failure_point": "none",
                        "rephrase_of": None,
                        "defect": False,
                    },
                    "t3": {
                        "intent": "OrderFood",
                        "slots": [_span(pizza2, "pizza", "dish")],
                        "failure_point": "entity",
                        "rephrase_of": "t1",
                        "defect": True,
                    },
                },
            },
        },
        {
            "id": "d",
            "turns": [_turn("t1", book, "Rated five stars.", 0)],
            "labels": {
                "goals": [{"turns": ["t1"], "success": True}],
                "turns": {
                    "t1": {
                        "intent": "RateBook",
                        "slots": [_span(book, "five", "rating")],
                        "failure_point": "none",
                        "rephrase_of": None,
                        "defect": False,
                    }
                },
            },
        },
    ]
