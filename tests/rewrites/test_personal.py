"""The personal layer: what a person's own past says about their requests, learnt as they are logged."""

from __future__ import annotations

from rewrites.engine.chains import Chain
from rewrites.engine.fitting import fit_rewriter
from rewrites.engine.logs import Attempt
from rewrites.engine.personal import EMPTY, PersonalLayer, features


def test_a_person_s_history_is_what_they_said_what_failed_them_and_what_served_them_after() -> None:
    layer = PersonalLayer()
    layer.observe(Attempt("weather in springfield", "ann", True, "weather in springfield missouri"))
    layer.observe(Attempt("weather in springfield", "ann", True, "weather in springfield missouri"))
    layer.observe(Attempt("play jazz", "ann", False, None))
    layer.like("ann", ["jazz", "jazz"])
    ann = layer.of("ann")
    assert ann.said == {"weather in springfield": 2, "play jazz": 1}
    assert ann.failed == {"weather in springfield": 2}
    assert ann.fixed == {"weather in springfield": {"weather in springfield missouri": 2}}
    assert ann.served == {"weather in springfield missouri": 2, "play jazz": 1} and ann.likes == ["jazz"]
    assert layer.of("bob") is EMPTY and not layer.of("") and not EMPTY
    pair, said, failed = features(ann, "weather in springfield", "weather in springfield missouri", 0.3)
    assert (pair, round(said, 3), round(failed, 3)) == (1.0, 1.099, 0.767)


def _logs() -> tuple[list[Attempt], list[Chain]]:
    """Sixty people ask about "springfield": it serves the half that live in Illinois and fails the
    half in Missouri, who then say "springfield missouri"; a few of their days each."""
    attempts, chains = [], []
    for n in range(60):
        user, home = f"u{n}", "illinois" if n % 2 else "missouri"
        for day in range(4):
            dialogue, when = f"d{n}-{day}", f"{day}-{n:03d}"
            if home == "illinois":
                attempts.append(
                    Attempt("weather in springfield", user, False, None, dialogue, "t1", time=when)
                )
                chains.append(Chain(dialogue, user, ("t1",), ("weather in springfield",), True))
            else:
                fixed = "weather in springfield missouri"
                attempts.append(
                    Attempt("weather in springfield", user, True, fixed, dialogue, "t1", time=when)
                )
                chains.append(Chain(dialogue, user, ("t1", "t2"), ("weather in springfield", fixed), True))
            for k, said in enumerate(("play some jazz", "set an alarm")):
                attempts.append(Attempt(said, user, False, None, f"{dialogue}-{k}", "t1", time=when))
                chains.append(Chain(f"{dialogue}-{k}", user, ("t1",), (said,), True))
    return attempts, chains


def test_the_same_words_are_rewritten_for_the_person_they_fail_and_left_for_the_one_they_serve() -> None:
    attempts, chains = _logs()
    rewriter, report, held_out = fit_rewriter(attempts, chains)
    assert report["held_out_personal_wins"] > 0 and report["held_out_personal_losses"] == 0
    # Scored as new people and, for their later half, as the same people coming back; decided once each.
    assert report["returning_rows"] == 1.0 and len(held_out) == len(attempts)
    missouri = rewriter.decide("weather in springfield", "u0")
    assert (missouri.rewrite, missouri.layer) == ("weather in springfield missouri", "personal")
    assert rewriter.decide("weather in springfield", "u1").rewrite is None  # Illinois: it serves them
    assert rewriter.decide("weather in springfield").rewrite is None  # nobody in particular: it may serve
    assert any(item.rewrite and not item.global_rewrite for item in held_out)


def test_a_new_person_s_layer_learns_from_their_requests_as_they_are_logged() -> None:
    rewriter, _, _ = fit_rewriter(*_logs())
    assert rewriter.decide("weather in springfield", "newcomer").rewrite is None
    for _ in range(3):
        rewriter.observe(
            Attempt("weather in springfield", "newcomer", True, "weather in springfield missouri"), ["jazz"]
        )
    assert rewriter.decide("weather in springfield", "newcomer").rewrite == "weather in springfield missouri"
    assert rewriter.people.of("newcomer").likes == ["jazz"]
