"""Teachable moments: where the logs show the assistant should have asked. Plain Python over FORMAT.md
dialogues (no Django), so the mining is a function of the logs, the resolution rules and catalogues.

Four kinds, each a proposed question with its evidence:
- ``ambiguous_entity``: the person named something several entities answer to ("springfield", "the
  giants") on an intent a preference completes;
- ``negative_feedback`` / ``barge_in`` / ``repeat``: the assistant had to guess a preference the person
  left implicit ("what's the weather", "put the game on") and the person reacted: negative feedback,
  interrupting the answer, or saying the same thing again within a minute;
- ``failed_chain``: a request restated (``rephrase_of``) and never served, on such an intent.

A moment proposes a value where the dialogue shows it (the person's own explicit wording later on,
resolved through the catalogue); otherwise the question stays open for the person to answer.

A question the store already answers is not asked: "which city should I use?" is not raised for a
person who stated a liked city, whether a catalogue knows it or it is kept as they said it
(``unanswered``). A choice among entities ("which springfield?") is still asked.

One episode, one question: the turns of one attempt at a request (its goal, its rephrases and
repeats) would each give a moment ("richmond" said four times gave four), so an episode keeps one
moment per preference key, with every turn's evidence.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz

from models_app.ml.format_adapter import parse_time
from teachable.matching import CatalogueIndex, Rule

REPEAT_SECONDS = 60.0
REPEAT_SIMILARITY = 85.0


@dataclass(frozen=True)
class MomentProposal:
    dialogue_id: str
    turn_id: str
    user_key: str
    kind: str
    domain: str
    key: str
    question: str
    proposed_value: str = ""
    candidates: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    episode: tuple[str, ...] = ()  # the ids of the turns of its episode, the moment's own included


def unanswered(
    proposals: Iterable[MomentProposal], liked: Collection[tuple[str, str, str]]
) -> list[MomentProposal]:
    """The proposals whose question the person's stated likes (``liked``: (user, domain, key), a
    value kept as written as much as a resolved one) do not answer already; a choice among entities
    stays, as a like of the key does not say which of them a name meant."""
    return [p for p in proposals if p.candidates or (p.user_key, p.domain, p.key) not in liked]


def _spans(turn: dict[str, Any], label: dict[str, Any]) -> list[dict[str, Any]]:
    """What the person said, as spans: the turn's label where there is one, else the assistant's."""
    spans = label.get("slots")
    if spans is None:
        spans = turn.get("slots") or []
    return [s for s in spans if isinstance(s, dict)]


def _said(turn: dict[str, Any], span: dict[str, Any]) -> str:
    utterance = str(turn.get("utterance") or "")
    start, end = span.get("start"), span.get("end")
    if isinstance(start, int) and isinstance(end, int):
        return utterance[start:end]
    return str(span.get("value") or "")


def _turn_evidence(turn: dict[str, Any], turn_id: str) -> dict[str, Any]:
    """What a moment shows of a turn; ``turn_id`` is its id, given or by position ("t3")."""
    keep = ("utterance", "response", "intent", "status", "feedback", "barge_in", "timestamp")
    return {"id": turn_id, **{name: turn[name] for name in keep if turn.get(name) is not None}}


def dialogue_moments(
    dialogue: dict[str, Any],
    rules: Sequence[Rule],
    catalogues: Mapping[str, CatalogueIndex],
) -> list[MomentProposal]:
    """The moments of one FORMAT.md dialogue: one per episode and preference key."""
    user_key = dialogue.get("user_id")
    if not user_key:
        return []
    turns = dialogue.get("turns") or []
    turn_labels = ((dialogue.get("labels") or {}).get("turns")) or {}
    ids = [str(turn.get("id") or f"t{position + 1}") for position, turn in enumerate(turns)]
    by_intent: dict[str, list[Rule]] = {}
    for rule in rules:
        by_intent.setdefault(rule.intent, []).append(rule)
    restated_by: dict[str, list[int]] = {}
    for position, turn_id in enumerate(ids):
        target = (turn_labels.get(turn_id) or {}).get("rephrase_of")
        if isinstance(target, str):
            restated_by.setdefault(target, []).append(position)
    found: list[MomentProposal] = []
    repeats: list[int] = []  # positions whose next turn says the same again
    for position, (turn, turn_id) in enumerate(zip(turns, ids, strict=True)):
        label = turn_labels.get(turn_id) or {}
        # The label's reading where there is one: a null intent says the speech was not meant for the
        # assistant (a false wake), and nothing was asked of a preference, whatever the assistant read.
        intent = label["intent"] if "intent" in label else turn.get("intent")
        spans = _spans(turn, label)
        for rule in by_intent.get(str(intent), []):
            base: dict[str, Any] = {
                "dialogue_id": str(dialogue.get("id")),
                "turn_id": turn_id,
                "user_key": str(user_key),
                "domain": rule.domain,
                "key": rule.key,
            }
            index = catalogues.get(rule.catalogue or "")
            typed = [span for span in spans if span.get("type") == rule.slot_type]
            for span in typed:
                said = _said(turn, span)
                candidates = index.exact(said) if index else []
                if len(candidates) > 1:
                    names = tuple(c.value for c in candidates)
                    found.append(
                        MomentProposal(
                            **base,
                            kind="ambiguous_entity",
                            question=f"When you say “{said}”, which do you mean: {' or '.join(names)}?",
                            candidates=names,
                            evidence={"turns": [_turn_evidence(turn, turn_id)], "said": said},
                        )
                    )
                    break
            if typed:
                continue  # the person said it: nothing was left to a preference
            reaction = _reaction(turns, ids, position, restated_by, turn_labels)
            if reaction is None:
                continue
            kind, later = reaction
            if kind == "repeat":
                repeats.append(position)
            proposed = _explicit_value(turns, ids, turn_labels, later, rule, index)
            found.append(
                MomentProposal(
                    **base,
                    kind=kind,
                    question=f"Which {rule.key} should I use when you ask “{turn.get('utterance', '')}”?",
                    proposed_value=proposed,
                    evidence={"turns": [_turn_evidence(turns[p], ids[p]) for p in [position, *later]]},
                )
            )
    goals = (dialogue.get("labels") or {}).get("goals")
    episodes = _episodes(ids, turn_labels, goals if isinstance(goals, list) else [], repeats)
    return _one_per_episode(found, ids, episodes)


def _episodes(
    ids: Sequence[str], turn_labels: Mapping[str, Any], goals: Sequence[Any], repeats: Iterable[int]
) -> list[int]:
    """Each turn's episode (the position of its first turn): turns join by a goal segment, by
    ``rephrase_of`` and by saying the same again straight after."""
    root = list(range(len(ids)))

    def find(position: int) -> int:
        while root[position] != position:
            root[position] = root[root[position]]
            position = root[position]
        return position

    def join(first: int, second: int) -> None:
        low, high = sorted((find(first), find(second)))
        root[high] = low

    position_of = {turn_id: position for position, turn_id in enumerate(ids)}
    for position, turn_id in enumerate(ids):
        target = (turn_labels.get(turn_id) or {}).get("rephrase_of")
        if isinstance(target, str) and target in position_of:
            join(position, position_of[target])
    for goal in goals:
        members = [position_of[t] for t in (goal or {}).get("turns") or [] if t in position_of]
        for member in members[1:]:
            join(members[0], member)
    for position in repeats:
        if position + 1 < len(ids):
            join(position, position + 1)
    return [find(position) for position in range(len(ids))]


def _one_per_episode(
    found: Sequence[MomentProposal], ids: Sequence[str], episodes: Sequence[int]
) -> list[MomentProposal]:
    """One moment per episode and key: an ambiguous name's if there is one (a choice answers it),
    else the first; it carries every merged moment's evidence turns and the first proposed value."""
    position_of = {turn_id: position for position, turn_id in enumerate(ids)}
    groups: dict[tuple[int, str], list[MomentProposal]] = {}
    for moment in found:
        groups.setdefault((episodes[position_of[moment.turn_id]], moment.key), []).append(moment)
    kept: list[MomentProposal] = []
    for (episode, _key), moments in groups.items():
        chosen = next((m for m in moments if m.kind == "ambiguous_entity"), moments[0])
        evidence: dict[str, dict[str, Any]] = {}
        for moment in [chosen, *moments]:
            for turn in moment.evidence.get("turns", []):
                evidence.setdefault(str(turn.get("id")), turn)
        proposed = chosen.proposed_value or next((m.proposed_value for m in moments if m.proposed_value), "")
        kept.append(
            replace(
                chosen,
                proposed_value=proposed,
                evidence={
                    **chosen.evidence,
                    "turns": sorted(evidence.values(), key=lambda t: position_of.get(str(t.get("id")), 0)),
                },
                episode=tuple(ids[p] for p in range(len(ids)) if episodes[p] == episode),
            )
        )
    return kept


def _reaction(
    turns: Sequence[dict[str, Any]],
    ids: Sequence[str],
    position: int,
    restated_by: Mapping[str, list[int]],
    turn_labels: Mapping[str, Any],
) -> tuple[str, list[int]] | None:
    """How the person reacted to the guess at ``position`` (kind, the turns that show it), if at all."""
    turn = turns[position]
    following = list(range(position + 1, min(len(turns), position + 4)))
    if turn.get("feedback") == "negative":
        return "negative_feedback", following
    if turn.get("barge_in") is True:
        return "barge_in", following
    if position + 1 < len(turns):
        after = turns[position + 1]
        gap = None
        earlier, later = parse_time(turn.get("timestamp")), parse_time(after.get("timestamp"))
        if earlier is not None and later is not None:
            gap = (later - earlier).total_seconds()
        similar = fuzz.ratio(
            str(turn.get("utterance", "")).casefold(), str(after.get("utterance", "")).casefold()
        )
        if similar >= REPEAT_SIMILARITY and (gap is None or gap <= REPEAT_SECONDS):
            return "repeat", following
    chain = restated_by.get(ids[position], [])
    if chain:
        last = max(chain)
        if (turn_labels.get(ids[last]) or {}).get("defect") is True:
            return "failed_chain", chain
    return None


def _explicit_value(
    turns: Sequence[dict[str, Any]],
    ids: Sequence[str],
    turn_labels: Mapping[str, Any],
    later: Iterable[int],
    rule: Rule,
    index: CatalogueIndex | None,
) -> str:
    """The value the person went on to say plainly ("...in springfield missouri"), resolved where the
    catalogue has exactly one entity for it; empty when the dialogue does not show one."""
    for position in later:
        turn = turns[position]
        label = turn_labels.get(ids[position]) or {}
        for item in label.get("preferences") or []:
            if isinstance(item, dict) and item.get("key") == rule.key and item.get("value"):
                return str(item["value"])
        for span in _spans(turn, label):
            if span.get("type") != rule.slot_type:
                continue
            said = _said(turn, span)
            if index is None:
                return said
            mention = index.find(said)
            if mention is not None and not mention.ambiguous:
                return mention.entities[0].value
    return ""
