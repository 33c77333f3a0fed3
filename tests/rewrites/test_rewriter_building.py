from __future__ import annotations

import json

import pytest

from annotations.formats.importing import ImportSource, import_dialogues
from rewrites.building import active_rewriter, rewriter_build
from rewrites.engine.chains import normalise
from rewrites.models import RewriteLog, RewritePair, RewriterVersion
from rewrites.selectors import rewriter_summary
from rewrites.services import MiningOptions, rewrite_block_add, rewrite_request, rewrites_mine
from selflearn_site.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


def _logs(count: int) -> list[dict]:
    lines = []
    for n in range(count):
        user = f"u{n}"
        lines.append(
            {
                "id": f"misheard-{n}",
                "user_id": user,
                "turns": [
                    {"id": "t1", "utterance": "play purple reign"},
                    {"id": "t2", "utterance": "play purple rain"},
                ],
                "labels": {
                    "goals": [{"turns": ["t1", "t2"], "success": True}],
                    "turns": {
                        "t1": {"defect": True, "rewrite": "play purple rain"},
                        "t2": {"defect": False, "rephrase_of": "t1"},
                    },
                },
            }
        )
        for k, said in enumerate(("play purple haze", "what's the weather", "play some jazz")):
            lines.append(
                {
                    "id": f"fine-{n}-{k}",
                    "user_id": user,
                    "turns": [{"id": "t1", "utterance": said}],
                    "labels": {
                        "goals": [{"turns": ["t1"], "success": True}],
                        "turns": {"t1": {"defect": False}},
                    },
                }
            )
    return lines


@pytest.fixture
def logged(dataset, tmp_path, settings):
    settings.SELFLEARN_REWRITERS_DIR = tmp_path / "rewriters"
    path = tmp_path / "logs.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in _logs(20)))
    import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
    return dataset


def test_a_built_rewriter_rewrites_what_failed_and_leaves_what_works(logged, reviewer):
    version = rewriter_build(dataset=logged)
    assert version.active and version.stats["attempts"] == 80 and version.stats["failed"] == 20
    assert active_rewriter(logged) is not None
    answer = rewrite_request(dataset=logged, user_key="newcomer", utterance="Play purple reign!")
    assert (answer.rewrite, answer.layer) == ("play purple rain", "global")
    kept = rewrite_request(
        dataset=logged, user_key="newcomer", utterance="play purple haze", device={"type": "speaker"}
    )
    assert kept.rewrite is None and kept.score is not None
    rewrite_block_add(dataset=logged, utterance="play purple rain", actor=reviewer)
    blocked = rewrite_request(dataset=logged, user_key="newcomer", utterance="play purple reign")
    assert (blocked.rewrite, blocked.reason) == (None, "the rewrite is blocked")
    assert RewriteLog.objects.count() == 3


def test_a_newer_build_replaces_the_older_without_a_restart(logged):
    first = rewriter_build(dataset=logged)
    second = rewriter_build(dataset=logged)
    assert list(RewriterVersion.objects.filter(active=True)) == [second]
    first.refresh_from_db()
    assert not first.active


def test_a_dataset_without_outcomes_has_nothing_to_learn(dataset, settings, tmp_path):
    settings.SELFLEARN_REWRITERS_DIR = tmp_path
    with pytest.raises(ApplicationError, match="known outcome"):
        rewriter_build(dataset=dataset)
    assert not RewriterVersion.objects.exists()


@pytest.fixture
def simulated(dataset, tmp_path, settings):
    from simulator.cli import main as simulate

    settings.SELFLEARN_REWRITERS_DIR = tmp_path / "rewriters"
    path = tmp_path / "simulated.jsonl"
    assert simulate(["--dialogues", "400", "--users", "12", "--seed", "5", "--out", str(path)]) == 0
    import_dialogues(source=ImportSource.from_path(path), dataset=dataset)
    return dataset


def test_a_simulated_dataset_s_pairs_and_rewriter_are_judged_by_the_assistant_that_logged_it(simulated):
    report = rewrites_mine(dataset=simulated, options=MiningOptions(labels="gold", min_support=1))
    assert report["judged_by_the_assistant"] and report["pairs"] > 0
    judged = RewritePair.objects.filter(dataset=simulated, assistant_attempts__gt=0)
    assert judged.exists()
    assert all(p.assistant_wins + p.assistant_losses <= p.assistant_attempts for p in judged)
    version = rewriter_build(dataset=simulated, labels="gold")
    replay = version.stats["assistant_replay"]
    assert set(replay) == {"global", "global_and_personal"}
    assert (
        replay["global"]["attempts"] == replay["global_and_personal"]["attempts"] == version.stats["attempts"]
    )
    summary = rewriter_summary(simulated)
    assert summary is not None and [row.label for row in summary.replay] == [
        "The global layer alone",
        "With the personal layer",
    ]
    assert summary.replay[1].wins == replay["global_and_personal"]["wins"]


def test_logs_without_the_assistant_s_truth_are_not_judged_by_it(logged):
    report = rewrites_mine(dataset=logged, options=MiningOptions(min_support=1, min_probability=0.1))
    assert not report["judged_by_the_assistant"]
    assert RewritePair.objects.filter(dataset=logged, assistant_attempts__isnull=False).count() == 0
    version = rewriter_build(dataset=logged)
    assert "assistant_replay" not in version.stats
    assert rewriter_summary(logged).replay == []


def test_the_personal_layer_reads_a_liked_film_no_catalogue_knows_as_the_person_said_it(logged):
    from teachable.selectors import liked_values
    from teachable.services import PreferenceInput, preference_learn

    film = preference_learn(
        dataset=logged, user_key="u3", data=PreferenceInput("movies", "film", "The Zebra Chronicles")
    )
    assert film.resolved is False and liked_values(logged, "u3") == ["The Zebra Chronicles"]
    rewriter_build(dataset=logged)
    rewriter = active_rewriter(logged)
    assert rewriter is not None
    said = "play the zebra chronicals"
    likes = [normalise(value) for value in liked_values(logged, "u3")]
    personal = [c.utterance for c, mine in rewriter.candidates(said, "u3", likes) if mine]
    assert personal == ["play the zebra chronicles"]  # the written value puts the misheard one right
