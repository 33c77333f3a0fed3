"""The evidence behind a failure point, in the words a reviewer reads beside the label.

A human annotator judges a failure point by a few questions; each item here answers one of them, so
that a reviewer can check the label in a second instead of redoing the annotator's work:

- ``reading``: does the assistant's reading fit the words? The model's own reading of the heard
  words (its intent head) against the intent the assistant acted on.
- ``plausibility``: do the words read like a person? The word model of real requests
  (models_app.ml.plausibility): a recogniser's slip leaves a word nobody says there.
- ``entity``: is the assistant's slot value the words said (models_app.ml.evidence)?
- ``recogniser``: how sure the recogniser itself was, where the log says.

Each item is ``{"kind", "says", "points_to"}``: ``points_to`` is the failure point the item speaks
for ("none" where it speaks for the turn being fine). The model reads the same evidence as numbers
(ModelConfig.failure_evidence); these sentences are for people.
"""

from __future__ import annotations

from models_app.ml.data import NO_INTENT, TurnInput, TurnPrediction
from models_app.ml.evidence import slot_comparisons
from models_app.ml.plausibility import WordModel

# A word with a log2-probability at or under this (about 1 in 30,000 after the two words before it)
# reads as one that people do not say there; words the model never saw sit at the floor (-20).
UNLIKELY_WORD = -15.0
# The model's own reading has to be at least this sure before its disagreement is evidence.
SURE_READING = 0.5
# A slot value this alike to the words said (and containing them) is the words, perhaps expanded.
SAME_ENTITY = 0.9
# A recogniser confidence under this is worth a reviewer's attention.
UNSURE_RECOGNISER = 0.6


def _reading(turn: TurnInput, predicted: TurnPrediction) -> dict[str, str] | None:
    mine = predicted.intent.value
    if not turn.intent or predicted.intent.confidence <= 0.0 or mine in (None, NO_INTENT):
        return None
    sure = f"{predicted.intent.confidence:.0%}"
    if mine == turn.intent:
        return {
            "kind": "reading",
            "says": f"the assistant read `{turn.intent}`, and the words read so too ({sure})",
            "points_to": "none",
        }
    hedge = "read like" if predicted.intent.confidence >= SURE_READING else "might read like"
    return {
        "kind": "reading",
        "says": f"the assistant read `{turn.intent}`; the words {hedge} `{mine}` ({sure})",
        "points_to": "nlu",
    }


def _plausibility(turn: TurnInput, word_model: WordModel | None) -> dict[str, str] | None:
    scored = word_model.score(turn.utterance) if word_model is not None else None
    if scored is None:
        return None
    if scored.lowest <= UNLIKELY_WORD and scored.least_likely:
        return {
            "kind": "plausibility",
            "says": f"the heard words are unlikely: people rarely say “{scored.least_likely}” there "
            f"({scored.unknown_share:.0%} of the words never seen in real requests)",
            "points_to": "asr",
        }
    return {
        "kind": "plausibility",
        "says": "the heard words read like a request people make",
        "points_to": "none",
    }


def _entity(turn: TurnInput) -> dict[str, str] | None:
    compared = slot_comparisons(turn)
    if not compared:
        return None
    said, value, similarity, containment = min(compared, key=lambda item: (item[3], item[2]))
    if containment >= SAME_ENTITY and similarity >= SAME_ENTITY / 2:
        return {
            "kind": "entity",
            "says": "the assistant's slot values are the words said",
            "points_to": "none",
        }
    return {
        "kind": "entity",
        "says": f"the entity “{value}” is not what was said (“{said}”, {similarity:.0%} alike)",
        "points_to": "entity",
    }


def _recogniser(turn: TurnInput) -> dict[str, str] | None:
    if turn.asr_confidence is None or turn.asr_confidence >= UNSURE_RECOGNISER:
        return None
    return {
        "kind": "recogniser",
        "says": f"the recogniser was unsure of the words ({turn.asr_confidence:.2f})",
        "points_to": "asr",
    }


def failure_evidence(
    turn: TurnInput, predicted: TurnPrediction, word_model: WordModel | None
) -> list[dict[str, str]]:
    """The evidence on one turn, those that speak for the predicted failure point first."""
    items = [
        item
        for item in (
            _reading(turn, predicted),
            _plausibility(turn, word_model),
            _entity(turn),
            _recogniser(turn),
        )
        if item is not None
    ]
    failure = predicted.failure_point.value
    return sorted(items, key=lambda item: item["points_to"] != failure)
