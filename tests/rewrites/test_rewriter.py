from __future__ import annotations

from dataclasses import replace

import pytest

from rewrites.engine.chains import Chain
from rewrites.engine.evidence import FEATURES, WordEvidence
from rewrites.engine.fitting import fit_rewriter, fold_of
from rewrites.engine.logs import Attempt, device_kind
from rewrites.engine.rewriter import Rewriter

SERVED = [
    "play purple rain",
    "play purple haze",
    "what's the weather in springfield",
    "play some jazz",
    "set an alarm for seven am",
    "turn on the kitchen lights",
]


def _said(user: str, dialogue: str, *utterances: str, served: bool = True) -> tuple[Attempt, Chain]:
    """A goal as the logs have it: the first attempt, then the person's rephrases, the last served or
    not."""
    rephrased = len(utterances) > 1
    attempt = Attempt(
        utterances[0],
        user,
        rephrased or not served,
        utterances[-1] if rephrased and served else None,
        dialogue,
    )
    turns = tuple(f"t{n + 1}" for n in range(len(utterances)))
    return attempt, Chain(dialogue, user, turns, tuple(utterances), served)


def _logs() -> tuple[list[Attempt], list[Chain]]:
    logged = []
    for n in range(40):
        user = f"u{n}"
        logged.append(_said(user, f"{user}-a", "play purple reign", "play purple rain"))
        logged.append(
            _said(user, f"{user}-b", "what's the weather in springfeld", "what's the weather in springfield")
        )
        logged += [_said(user, f"{user}-c{k}", wording) for k, wording in enumerate(SERVED)]
        logged.append(_said(user, f"{user}-d", "play purple hays", served=False))  # nothing served it
        # Each person's own playlist: served once, then misheard and rephrased into it.
        logged.append(_said(user, f"{user}-e", f"play my mix number {n}"))
        logged.append(_said(user, f"{user}-f", f"play my mix numbers {n}", f"play my mix number {n}"))
    return [attempt for attempt, _ in logged], [chain for _, chain in logged]


@pytest.fixture(scope="module")
def fitted() -> tuple[Rewriter, dict[str, float]]:
    fit = fit_rewriter(*_logs(), min_win_loss=12)
    return fit.rewriter, fit.report


def test_a_misheard_request_is_rewritten_and_a_request_that_works_is_left_alone(fitted) -> None:
    rewriter, _ = fitted
    decision = rewriter.decide("play purple reign", "someone new")
    assert (decision.rewrite, decision.layer) == ("play purple rain", "global")
    assert decision.score >= rewriter.threshold
    left_alone = rewriter.decide("play purple haze", "someone new")
    assert left_alone.rewrite is None and left_alone.reason == "not confident enough to rewrite"


def test_the_thresholds_are_chosen_on_people_the_ranker_did_not_see(fitted) -> None:
    _, report = fitted
    assert report["folds"] == 4 and report["positives"] > 0
    assert report["held_out_wins"] > 0
    assert report["held_out_wins"] >= 12 * report["held_out_losses"]


def test_the_persons_own_wording_wins_for_them_only(fitted, tmp_path) -> None:
    rewriter, _ = fitted
    decision = rewriter.decide("play my mix numbers 7", "u7")
    assert (decision.rewrite, decision.layer) == ("play my mix number 7", "personal")
    assert rewriter.decide("play my mix numbers 7", "someone else").layer != "personal"
    rewriter.save(tmp_path / "rewriter.pkl")
    loaded = Rewriter.load(tmp_path / "rewriter.pkl")
    assert loaded.decide("play purple reign", "u99") == rewriter.decide("play purple reign", "u99")


def test_without_any_failure_that_a_wording_served_it_never_rewrites() -> None:
    logged = [_said(f"u{n}", f"d{n}-{k}", wording) for n in range(8) for k, wording in enumerate(SERVED)]
    rewriter, report, _ = fit_rewriter([a for a, _ in logged], [c for _, c in logged])
    assert report["threshold"] == 1.0
    assert rewriter.decide("play purple reign").rewrite is None


def test_a_word_people_corrected_is_corrected_in_a_request_nobody_said() -> None:
    attempts, chains = _logs()
    evidence = WordEvidence.from_logs(attempts, chains, [(wording, 1) for wording in SERVED])
    assert evidence.replacements["reign"] == ["rain"]
    assert evidence.corrections("play dirty reign") == ["play dirty rain"]
    assert evidence.word_failure("reign") > evidence.word_failure("play") > 0
    features = dict(zip(FEATURES, evidence.features("play dirty reign", "play dirty rain"), strict=True))
    assert features["removed_unseen"] == 1.0  # "reign" never served anybody
    assert features["substitution"] > 0 and features["removed_words"] == features["added_words"] == 1


def test_a_person_keeps_their_fold_across_runs() -> None:
    assert fold_of("u7", 4) == fold_of("u7", 4) == 3


def test_the_device_is_context_a_wording_that_serves_screens_scores_there() -> None:
    logged = [_said(f"u{n}", f"d{n}", "play purple rain") for n in range(10)]
    attempts = [
        replace(a, device="speaker+screen" if n < 8 else "speaker") for n, (a, _) in enumerate(logged)
    ]
    attempts += [
        Attempt("show the forecast", f"s{n}", False, None, f"s{n}", device="speaker+screen") for n in range(6)
    ]
    rewriter = Rewriter.from_logs(attempts, [c for _, c in logged])
    on_screens = rewriter._device_share("show the forecast", "speaker+screen")
    assert on_screens > 0 > rewriter._device_share("show the forecast", "speaker")
    assert (
        rewriter._device_share("show the forecast", "")
        == rewriter._device_share("show the forecast", "car")
        == 0.0
    )
    assert device_kind({"type": "speaker", "has_screen": True}) == "speaker+screen"
    assert device_kind(None) == device_kind("tv") == ""


def test_a_misheard_name_is_put_right_with_what_the_person_likes(fitted) -> None:
    rewriter, _ = fitted
    pairs = rewriter.candidates("play the worriers game", "fan", likes=["warriors", "jazz"])
    assert [(c.utterance, personal) for c, personal in pairs if personal] == [
        ("play the warriors game", True)
    ]
    assert not [c for c, personal in rewriter.candidates("play the worriers game", "fan") if personal]
    assert rewriter._preference_candidates("play the warriors game", ["warriors"]) == []
