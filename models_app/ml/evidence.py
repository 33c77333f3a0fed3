"""Entity evidence one turn carries: whether the assistant's slot values are the words the person said.

An entity error (the resolver picked "Purple Haze" for "purple rain", "Springfield, MO" for
"springfield illinois") leaves a value that is close to, but not, what was said; a correct resolution
keeps the words or expands them ("the warriors" to "Golden State Warriors"). The encoder sees the
values as text through the ``nlu`` context field; these numbers make the comparison explicit and
cheap, and they exist only where the log has the assistant's slots (FORMAT.md turn ``slots``).
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from models_app.ml.data import TurnInput

EVIDENCE_SIZE = 5
_NOT_WORD = re.compile(r"[^\w]+")


def _normalised(text: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def slot_comparisons(turn: TurnInput) -> list[tuple[str, str, float, float]]:
    """Per slot of the assistant's: (the words said, its value, their similarity, the containment of
    the words in the value), each in [0, 1], normalised; empty without slots."""
    compared = []
    for span in turn.slots or ():
        said = _normalised(turn.utterance[span.start : span.end])
        value = _normalised(str(span.value)) if span.value not in (None, "") else said
        if not said and not value:
            continue
        # An expansion ("warriors" in "golden state warriors") contains the words; a swap does not.
        compared.append(
            (said, value, fuzz.ratio(said, value) / 100.0, fuzz.partial_ratio(said, value) / 100.0)
        )
    return compared


def entity_evidence(turn: TurnInput) -> list[float]:
    """[slots known, any slot, lowest word/value similarity, share of values that are not the words,
    lowest containment of the words in the value] in [0, 1]; a turn without slots reads as agreeing."""
    if turn.slots is None:
        return [0.0, 0.0, 1.0, 0.0, 1.0]
    compared = slot_comparisons(turn)
    if not compared:
        return [1.0, 0.0, 1.0, 0.0, 1.0]
    rewritten = sum(1 for said, value, _, _ in compared if value != said)
    return [
        1.0,
        1.0,
        min(similarity for _, _, similarity, _ in compared),
        rewritten / len(compared),
        min(containment for _, _, _, containment in compared),
    ]
