"""Real dialogues judged by people (ReDial, CCPE, Repair-QA) as FORMAT.md dialogues."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotations.formats.dialogue_format import validate_dialogue
from models_app.recipes.judged import JudgedCorpusError, ccpe_preference, judged_dialogues

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
REDIAL = """USER\tHello!\t\t4,3,4,3
SYSTEM\thello!\t\t
USER\tI'm looking for some drama movie suggestions\t\t1,2,2,3
SYSTEM\tHave you ever seen the movie "Veronica  (2017)"\t\t
SYSTEM\tIts not drama\t\t
USER\tthanks\t\t4,4,4,4
USER\tOVERALL\t\t2,2,3,2

SYSTEM\tHi.\t\t
USER\tAny scary movies?\t\t3,5,3,3,3
USER\tOVERALL\t\t3,5,3,3,3
"""
CCPE = """SYSTEM\tDo you like movies like Thor?\tENTITY_NAME+MOVIE_OR_SERIES\t
USER\tNo, I don't like Thor.\tENTITY_PREFERENCE+MOVIE_OR_SERIES\t3,2,2
SYSTEM\tCan you say a little more about that please?\tOTHER\t
USER\tWhat do you want to know?\tOTHER\t3,3,3
USER\tI like romantic comedies.\tENTITY_PREFERENCE+MOVIE_GENRE_OR_CATEGORY\t4,4,4
USER\tOVERALL\t\t4,4,3
"""


def _folder(tmp_path: Path, relative: str, text: str) -> Path:
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return tmp_path


def _every_split(name: str, root: Path) -> list[dict]:
    return [d for split in ("train", "valid", "test") for d in judged_dialogues(name, root, split)]


def test_redial_ratings_become_defects_and_goal_success(tmp_path: Path) -> None:
    root = _folder(tmp_path, "uss_redial/ReDial.txt", REDIAL)
    first, second = sorted(_every_split("redial", root), key=lambda d: d["id"])

    assert [turn["utterance"] for turn in first["turns"]] == [
        "Hello!",
        "I'm looking for some drama movie suggestions",
        "thanks",
    ]
    assert first["turns"][1]["response"] == 'Have you ever seen the movie "Veronica  (2017)" Its not drama'
    assert [label["defect"] for label in first["labels"]["turns"].values()] == [False, True, False]
    assert first["labels"]["goals"] == [{"turns": ["t1", "t2", "t3"], "success": False}]  # mean 2.25
    assert second["metadata"] == {"corpus": "redial", "opening": "Hi."}
    assert second["labels"]["goals"][0]["success"] is True
    for dialogue in (first, second):
        assert validate_dialogue(json.loads(json.dumps(dialogue))) == []


def test_ccpe_marks_every_user_line_as_stating_a_preference_or_not(tmp_path: Path) -> None:
    root = _folder(tmp_path, "uss_ccpe/CCPE_first250.txt", CCPE)
    (dialogue,) = _every_split("ccpe", root)

    preferences = [label["preferences"] for label in dialogue["labels"]["turns"].values()]
    assert preferences == [
        [
            {
                "domain": "movies",
                "key": "movie",
                "value": "Thor",
                "start": 17,
                "end": 21,
                "polarity": "dislike",
            }
        ],
        [],
        [
            {
                "domain": "movies",
                "key": "genre",
                "value": "romantic comedies",
                "start": 7,
                "end": 24,
                "polarity": "like",
            }
        ],
    ]
    assert validate_dialogue(json.loads(json.dumps(dialogue))) == []


def test_a_ccpe_statement_naming_nothing_takes_the_name_the_talk_is_about() -> None:
    assert ccpe_preference("Yeah, I liked the first one.", "movie", "Star Wars") == {
        "domain": "movies",
        "key": "movie",
        "value": "Star Wars",
        "polarity": "like",
    }


def test_repairqa_gives_a_rephrase_then_a_new_request(tmp_path: Path) -> None:
    items = [
        {
            "id": number,
            "question": f"question {number}",
            "long-answer": f"wrong answer {number}",
            "TPR-1": f"no, I meant {number}",
            "TPR-2": f"I was asking about {number}",
            "TPR-Ans": f"right answer {number}",
            "Ref-Rewrite": f"rewritten {number}",
        }
        for number in range(1, 7)
    ]
    root = _folder(tmp_path, "repairqa/train.json", json.dumps(items))
    dialogues = _every_split("repairqa", root)

    assert len(dialogues) == 6
    for dialogue in dialogues:
        number = dialogue["id"].removeprefix("repairqa-")
        labels = dialogue["labels"]["turns"]
        assert dialogue["turns"][1]["utterance"] in (f"no, I meant {number}", f"I was asking about {number}")
        assert labels["t2"]["rephrase_of"] == "t1" and labels["t3"]["rephrase_of"] is None
        assert labels["t1"] == {"rephrase_of": None, "defect": True, "rewrite": f"rewritten {number}"}
        assert dialogue["turns"][2]["utterance"] != f"question {number}"
        assert validate_dialogue(json.loads(json.dumps(dialogue))) == []
    assert {d["metadata"]["repair"] for d in dialogues} == {"TPR-1", "TPR-2"}


def test_a_line_that_is_not_a_rated_chat_line_is_refused_with_its_place(tmp_path: Path) -> None:
    root = _folder(tmp_path, "uss_redial/ReDial.txt", "USER\thi\t\t3,3\nBOT\thello\n")
    with pytest.raises(JudgedCorpusError, match=r"ReDial\.txt:2: expected USER or SYSTEM"):
        _every_split("redial", root)
    root = _folder(tmp_path, "uss_redial/ReDial.txt", "USER\thi\t\tgood\n")
    with pytest.raises(JudgedCorpusError, match=r"ReDial\.txt:1: ratings must be whole numbers"):
        _every_split("redial", root)


def test_a_missing_corpus_is_named() -> None:
    with pytest.raises(JudgedCorpusError, match=r"not found: .*CCPE_first250\.txt"):
        list(judged_dialogues("ccpe", Path("/nowhere"), "train"))


@pytest.mark.skipif(
    not (SHARED_DATA / "uss_redial").is_dir(), reason="the shared data is not beside the checkout"
)
def test_the_shared_judged_corpora_split_eight_one_one_and_lose_nothing() -> None:
    for name, dialogues in (("redial", 1000), ("ccpe", 250), ("repairqa", 2645)):
        splits = {
            split: list(judged_dialogues(name, SHARED_DATA, split)) for split in ("train", "valid", "test")
        }
        assert sum(len(found) for found in splits.values()) == dialogues
        assert 0.05 < len(splits["test"]) / dialogues < 0.15, name
        ids = [d["id"] for found in splits.values() for d in found]
        assert len(set(ids)) == len(ids)
