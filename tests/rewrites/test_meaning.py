"""Rewriting by meaning: a request in a wording the assistant misreads, said in the best-read wording of
what it means, with the person's own slot values."""

from __future__ import annotations

from rewrites.engine.chains import Chain
from rewrites.engine.fitting import fit_rewriter
from rewrites.engine.logs import Attempt, Reading, carrier_of
from rewrites.engine.meaning import MeaningIndex

SONGS = [
    ("hello", "adele"),
    ("purple rain", "prince"),
    ("jolene", "dolly parton"),
    ("thriller", "michael jackson"),
]


def _readings() -> list[Reading]:
    readings = []
    for n, (song, artist) in enumerate(SONGS * 5):
        values = (("song", song), ("artist", artist))
        user = f"u{n}"
        readings.append(Reading("put on {song} from {artist}", "PlayMusic", values, False, True, user))
        readings.append(Reading("play {song} by {artist}", "PlayMusic", values, True, False, user))
        readings.append(
            Reading("i want {song} by {artist}", "PlayMusic", values, n % 2 == 0, n % 2 == 1, user)
        )
    return readings


def test_a_misread_wording_is_said_in_the_best_read_wording_of_its_meaning_with_its_own_values() -> None:
    index = MeaningIndex(_readings(), attempts_seen=40)
    rewrites = index.rewrites("put on yesterday from the beatles")
    assert [text for text, _ in rewrites] == [
        "play yesterday by the beatles",
        "i want yesterday by the beatles",
    ]
    match = rewrites[0][1]
    assert match.meaning == ("PlayMusic", (("artist", "the beatles"), ("song", "yesterday")))
    assert (match.source.misread, match.target.served, match.target.misread) == (20, 20, 0)
    assert index.rewrites("play yesterday by the beatles") == []  # read well: nothing to fix


def test_what_words_mean_is_what_they_meant_when_they_served_else_a_well_read_carrier_s_reading() -> None:
    index = MeaningIndex(_readings(), attempts_seen=40)
    assert index.meaning("play hello by adele") == ("PlayMusic", (("artist", "adele"), ("song", "hello")))
    assert index.meaning("play yesterday by the beatles") is None  # never served as such
    assert index.understood("play yesterday by the beatles") == (
        "PlayMusic",
        (("artist", "the beatles"), ("song", "yesterday")),
    )
    assert index.understood("put on yesterday from the beatles") is None  # a carrier it misreads
    assert index.understood("set an alarm") is None


def test_a_carrier_is_read_from_the_labels_slot_spans_and_spans_that_do_not_fit_are_refused() -> None:
    slots = [{"start": 5, "end": 10, "type": "song"}, {"start": 14, "end": 19, "type": "artist"}]
    assert carrier_of("Play Hello by Adele!", slots) == (
        "play {song} by {artist}",
        (("song", "hello"), ("artist", "adele")),
    )
    assert carrier_of("play hello", [{"start": 5, "end": 40, "type": "song"}]) is None
    assert (
        carrier_of("play hello", [{"start": 0, "end": 4, "type": "x"}, {"start": 2, "end": 6, "type": "y"}])
        is None
    )
    assert carrier_of("what's the weather", []) == ("what's the weather", ())


def _logs() -> tuple[list[Attempt], list[Chain], list[Reading]]:
    """Forty people, each asking for a song of their own in a wording the assistant misreads, then in
    one it reads; and the wording it reads, served for other songs."""
    attempts, chains, readings = [], [], []
    for n in range(40):
        user, song, artist = f"u{n}", f"song number {n}", f"band number {n}"
        values = (("song", song), ("artist", artist))
        bad, good = f"put on {song} from {artist}", f"play {song} by {artist}"
        attempts.append(Attempt(bad, user, True, good, f"d{n}", "t1", failure_point="nlu", time=f"{n:03d}a"))
        chains.append(Chain(f"d{n}", user, ("t1", "t2"), (bad, good), True))
        readings += [
            Reading("put on {song} from {artist}", "PlayMusic", values, False, True, user),
            Reading("play {song} by {artist}", "PlayMusic", values, True, False, user),
        ]
        song, artist = SONGS[n % len(SONGS)]
        for k, said in enumerate((f"play {song} by {artist}", "what's the weather", "set an alarm")):
            attempts.append(Attempt(said, user, False, None, f"e{n}-{k}", "t1", time=f"{n:03d}b{k}"))
            chains.append(Chain(f"e{n}-{k}", user, ("t1",), (said,), True))
        readings.append(
            Reading(
                "play {song} by {artist}",
                "PlayMusic",
                (("song", song), ("artist", artist)),
                True,
                False,
                user,
            )
        )
    return attempts, chains, readings


def test_the_rewriter_reaches_a_request_nobody_said_by_its_meaning() -> None:
    attempts, chains, readings = _logs()
    rewriter, report, _ = fit_rewriter(attempts, chains, {}, readings)
    assert report["held_out_wins"] > 0
    decision = rewriter.decide("put on yesterday from the beatles")
    assert (decision.rewrite, decision.layer) == ("play yesterday by the beatles", "global")
    assert decision.reason == "a wording of the same meaning the assistant reads"
    assert rewriter.decide("play yesterday by the beatles").rewrite is None
