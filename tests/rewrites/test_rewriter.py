from __future__ import annotations

from rewrites.engine.retrieval import ServedIndex
from rewrites.engine.rewriter import Attempt, Rewriter, served_counts

SERVED = [
    "play purple rain",
    "play purple haze",
    "what's the weather in springfield",
    "play some jazz",
    "set an alarm for seven am",
    "turn on the kitchen lights",
    "play my chill vibes playlist",
]


def _logs() -> list[Attempt]:
    attempts = []
    for n in range(30):
        user = f"u{n}"
        attempts.append(Attempt("play purple reign", user, True, "play purple rain"))
        attempts.append(
            Attempt("what's the weather in springfeld", user, True, "what's the weather in springfield")
        )
        attempts += [Attempt(u, user, False, None) for u in SERVED[:6]]
        attempts.append(Attempt("play purple hays", user, True, None))  # failed, nothing known to serve it
    attempts += [Attempt("play my chill vibes playlist", "u7", False, None)] * 5
    return attempts


def _rewriter() -> Rewriter:
    attempts = _logs()
    counts = served_counts(attempts, {})
    index = ServedIndex(sorted(counts), [counts[u] for u in sorted(counts)])
    rewriter = Rewriter(index=index, personal={"u7": {"play my chill vibes playlist": 5}})
    report = rewriter.fit(attempts, min_win_loss=12)
    assert report["positives"] > 0
    return rewriter


def test_a_misheard_request_is_rewritten_and_a_request_that_works_is_left_alone() -> None:
    rewriter = _rewriter()
    decision = rewriter.decide("play purple reign", "u99")
    assert (decision.rewrite, decision.layer) == ("play purple rain", "global")
    assert decision.score >= rewriter.threshold
    assert rewriter.decide("play purple haze", "u99").rewrite is None
    assert rewriter.decide("play purple haze", "u99").reason == "not confident enough to rewrite"


def test_the_persons_own_wording_wins_only_when_confident(tmp_path) -> None:
    rewriter = _rewriter()
    decision = rewriter.decide("play my chill vibe playlist", "u7")
    assert decision.rewrite == "play my chill vibes playlist"
    assert rewriter.decide("play my chill vibe playlist", "someone else").layer != "personal"
    rewriter.save(tmp_path / "rewriter.pkl")
    loaded = Rewriter.load(tmp_path / "rewriter.pkl")
    assert loaded.decide("play purple reign", "u99") == rewriter.decide("play purple reign", "u99")


def test_without_any_failure_that_a_wording_served_it_never_rewrites() -> None:
    attempts = [Attempt(u, "u1", False, None) for u in SERVED]
    index = ServedIndex(SERVED, [1] * len(SERVED))
    rewriter = Rewriter(index=index)
    assert rewriter.fit(attempts)["threshold"] == 1.0
    assert rewriter.decide("play purple reign").rewrite is None
