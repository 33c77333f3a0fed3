from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from annotations.formats.export_formats import CSV_COLUMNS, EXPORT_FORMATS, iter_export
from annotations.formats.exporting import LabelSelection, iter_export_lines
from annotations.formats.importing import ImportSource, import_dialogues
from selflearn_site.exceptions import ApplicationError
from tests.factories import dialogue, write_lines

# Rasa 3's inline entity syntax (rasa/shared/nlu/training_data/entities_parser.py), to read examples back.
RASA_ENTITY = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\](\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)"
    r"|\{(?P<entity_dict>[^}]+?)\}|\[(?P<list_entity_dicts>.*?)\])"
)


def span(utterance: str, text: str, kind: str, **extra) -> dict:
    start = utterance.index(text)
    return {"start": start, "end": start + len(text), "type": kind, **extra}


def nlu_dialogue(dialogue_id: str, *turns: tuple[str, dict | None]) -> dict:
    """A dialogue of the given (utterance, label) turns, ids t1, t2, ..."""
    labels = {f"t{index}": label for index, (_, label) in enumerate(turns, 1) if label is not None}
    return {
        "id": dialogue_id,
        "turns": [{"id": f"t{index}", "utterance": text} for index, (text, _) in enumerate(turns, 1)],
        "labels": {"turns": labels},
    }


def convert(fmt: str, *dialogues: dict) -> str:
    lines = (json.dumps(data, ensure_ascii=False) + "\n" for data in dialogues)
    return "".join(EXPORT_FORMATS[fmt].convert(lines))


def hf_examples(*dialogues: dict) -> list[dict]:
    return [json.loads(line) for line in convert("hf", *dialogues).splitlines()]


PIAF = "joue Édith Piaf 🎶"
FRENCH = nlu_dialogue(
    "d1",
    (PIAF, {"intent": "PlayMusic", "slots": [span(PIAF, "Édith Piaf", "artist")]}),
    ("monte le son 😊", {"intent": "VolumeUp", "slots": []}),
)


def test_conll_writes_a_sentence_per_turn_with_its_intent_and_bio_tags():
    assert convert("conll", FRENCH) == (
        "# id = d1/t1\n"
        "# text = joue Édith Piaf 🎶\n"
        "# intent = PlayMusic\n"
        "joue\tO\n"
        "Édith\tB-artist\n"
        "Piaf\tI-artist\n"
        "🎶\tO\n"
        "\n"
        "# id = d1/t2\n"
        "# text = monte le son 😊\n"
        "# intent = VolumeUp\n"
        "monte\tO\n"
        "le\tO\n"
        "son\tO\n"
        "😊\tO\n"
        "\n"
    )


def test_rasa_writes_an_intent_block_per_example_with_inline_entities():
    assert convert("rasa", FRENCH) == (
        'version: "3.1"\n'
        "\n"
        "nlu:\n"
        "- intent: PlayMusic\n"
        "  examples: |\n"
        "    - joue [Édith Piaf](artist) 🎶\n"
        "- intent: VolumeUp\n"
        "  examples: |\n"
        "    - monte le son 😊\n"
    )


def test_hf_writes_an_object_per_turn_with_aligned_tokens_and_tags():
    assert hf_examples(FRENCH) == [
        {
            "id": "d1/t1",
            "tokens": ["joue", "Édith", "Piaf", "🎶"],
            "ner_tags": ["O", "B-artist", "I-artist", "O"],
            "intent": "PlayMusic",
        },
        {"id": "d1/t2", "tokens": ["monte", "le", "son", "😊"], "ner_tags": ["O"] * 4, "intent": "VolumeUp"},
    ]


def test_jsonl_passes_the_format_lines_through_unchanged():
    lines = ['{"id":"a","turns":[{"utterance":"hi"}]}\n', '{"id":"b","turns":[{"utterance":"yo"}]}\n']

    assert list(EXPORT_FORMATS["jsonl"].convert(iter(lines))) == lines


def test_every_token_of_a_multi_word_slot_is_tagged_b_then_i():
    text = "play the dark side of the moon by pink floyd"
    data = nlu_dialogue(
        "d",
        (
            text,
            {
                "intent": "PlayMusic",
                "slots": [
                    span(text, "pink floyd", "artist"),
                    span(text, "the dark side of the moon", "album"),
                ],
            },
        ),
    )

    [example] = hf_examples(data)

    assert example["ner_tags"] == ["O", "B-album"] + ["I-album"] * 5 + ["O", "B-artist", "I-artist"]


def test_a_span_that_starts_or_ends_inside_a_token_tags_the_whole_token():
    text = "wake me at 10am tomorrow"
    starts_inside = nlu_dialogue("a", (text, {"intent": "SetAlarm", "slots": [span(text, "am", "time")]}))
    ends_inside = nlu_dialogue("b", (text, {"intent": "SetAlarm", "slots": [span(text, "10am tom", "time")]}))

    assert hf_examples(starts_inside)[0]["ner_tags"] == ["O", "O", "O", "B-time", "O"]
    assert hf_examples(ends_inside)[0]["ner_tags"] == ["O", "O", "O", "B-time", "I-time"]
    assert "10am\tB-time\ntomorrow\tI-time\n" in convert("conll", ends_inside)


def test_of_two_spans_in_one_token_the_first_one_tags_it():
    text = "at 10am"
    data = nlu_dialogue(
        "d", (text, {"intent": "SetAlarm", "slots": [span(text, "am", "period"), span(text, "10", "hour")]})
    )

    assert hf_examples(data)[0]["ner_tags"] == ["O", "B-hour"]


def test_slots_come_from_the_labels_not_from_what_the_assistant_did():
    data = dialogue("d")  # t1: the assistant's slot says "purple rain", the label's span "purple haze"
    data["turns"][0]["slots"] = [{"start": 0, "end": 4, "type": "verb"}]

    [first, second] = hf_examples(data)

    assert first["ner_tags"] == ["O", "B-song", "I-song"]
    assert second["ner_tags"] == ["O"] * 6  # labelled with an intent and no slots


TURNS_WITH_AND_WITHOUT_LABELS = nlu_dialogue(
    "d",
    ("play jazz", {"intent": "PlayMusic", "slots": [{"start": 5, "end": 9, "type": "genre"}]}),
    ("that was wrong", {"defect": True, "failure_point": "nlu"}),
    ("never mind", None),
    ("", {"intent": "Cancel"}),
)


def test_turns_without_an_intent_or_slots_label_are_left_out_of_the_nlu_formats():
    assert [example["id"] for example in hf_examples(TURNS_WITH_AND_WITHOUT_LABELS)] == ["d/t1"]
    assert convert("conll", TURNS_WITH_AND_WITHOUT_LABELS).count("# id = ") == 1
    assert convert("rasa", TURNS_WITH_AND_WITHOUT_LABELS).count("- intent:") == 1


def test_a_dataset_without_labelled_turns_is_still_valid_rasa_data():
    yaml = pytest.importorskip("yaml")
    unlabelled = nlu_dialogue("d", ("hello", None))

    assert yaml.safe_load(convert("rasa", unlabelled)) == {"version": "3.1", "nlu": []}
    assert convert("conll", unlabelled) == convert("hf", unlabelled) == ""


def test_a_turn_not_meant_for_the_assistant_is_none_in_conll_null_in_hf_and_left_out_of_rasa():
    data = nlu_dialogue("d", ("alexa is a dog", {"intent": None}), ("stop", {"intent": "Stop"}))

    assert "# id = d/t1\n# text = alexa is a dog\n# intent = <none>\n" in convert("conll", data)
    assert [example["intent"] for example in hf_examples(data)] == [None, "Stop"]
    assert "alexa" not in convert("rasa", data)


def test_a_turn_with_slots_but_no_intent_label_has_no_intent_line():
    data = nlu_dialogue("d", ("play jazz", {"slots": [{"start": 5, "end": 9, "type": "genre"}]}))

    assert convert("conll", data) == "# id = d/t1\n# text = play jazz\nplay\tO\njazz\tB-genre\n\n"
    assert hf_examples(data)[0]["intent"] is None


def test_rasa_examples_keep_brackets_line_breaks_and_odd_types_from_breaking_the_annotation():
    yaml = pytest.importorskip("yaml")
    text = "put on [hits] (live)\nnow, #1: yes"
    data = nlu_dialogue(
        "d",
        (
            text,
            {
                "intent": "play: music",
                "slots": [
                    span(text, "[hits]", "playlist"),
                    span(text, "(live)", "ver:sion)", value="live}"),
                ],
            },
        ),
        ("yes", {"intent": "true"}),
    )

    document = yaml.safe_load(convert("rasa", data))

    first, second = document["nlu"]
    assert first["intent"] == "play: music"
    assert second["intent"] == "true"
    [example] = [line[2:] for line in first["examples"].splitlines()]
    assert (
        example
        == 'put on [(hits)](playlist) [(live)]{"entity": "ver:sion)", "value": "live\\u007d"} now, #1: yes'
    )
    matches = list(RASA_ENTITY.finditer(example))
    assert [(match["entity_text"], match["entity"]) for match in matches] == [
        ("(hits)", "playlist"),
        ("(live)", None),
    ]
    assert json.loads("{" + matches[1]["entity_dict"] + "}") == {"entity": "ver:sion)", "value": "live}"}


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_writes_a_row_per_turn_with_every_label_column():
    rows = read_csv(convert("csv", dialogue("d")))

    assert list(rows[0]) == list(CSV_COLUMNS)
    assert rows == [
        {
            "dialogue_id": "d",
            "turn_id": "t1",
            "position": "0",
            "utterance": "play purple haze",
            "response": "Playing Purple Rain by Prince.",
            "assistant_intent": "PlayMusic",
            "intent": "PlayMusic",
            "slots": '[{"start":5,"end":16,"type":"song"}]',
            "failure_point": "entity",
            "rephrase_of": "",
            "defect": "true",
            "preferences": "",
            "rewrite": "play purple haze by jimi hendrix",
            "goal": "0",
            "goal_success": "true",
        },
        {
            "dialogue_id": "d",
            "turn_id": "t2",
            "position": "1",
            "utterance": "play purple haze by jimi hendrix",
            "response": "Playing Purple Haze by Jimi Hendrix.",
            "assistant_intent": "PlayMusic",
            "intent": "PlayMusic",
            "slots": "",
            "failure_point": "none",
            "rephrase_of": "t1",
            "defect": "false",
            "preferences": '[{"domain":"music","key":"artist","value":"Jimi Hendrix","start":20,"end":32}]',
            "rewrite": "",
            "goal": "0",
            "goal_success": "true",
        },
    ]


def test_csv_quotes_commas_quotes_and_line_breaks_in_utterances():
    awkward = 'play "back in black", then\r\nstop, ok? café 🎸'
    data = nlu_dialogue("d", (awkward, {"intent": None}), ("unlabelled", None))
    data["labels"]["goals"] = [{"turns": ["t1"], "success": False}]

    text = convert("csv", data)
    rows = read_csv(text)

    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    assert '"play ""back in black"", then\r\nstop, ok? café 🎸"' in text
    assert [row["utterance"] for row in rows] == [awkward, "unlabelled"]
    assert [(row["intent"], row["goal"], row["goal_success"]) for row in rows] == [
        ("<none>", "0", "false"),
        ("", "", ""),
    ]


@pytest.mark.parametrize(
    "formula",
    [
        '=HYPERLINK("http://evil.example","x")',
        "=cmd|'/c calc'!A0",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "\uff1d1+1",
    ],
)
def test_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(formula):
    data = nlu_dialogue(formula, (formula, {"intent": formula}))
    data["turns"][0]["response"] = formula

    row = read_csv(convert("csv", data))[0]

    for column in ("dialogue_id", "utterance", "response", "intent"):
        assert row[column] == "'" + formula, column


def test_csv_leaves_cells_that_only_contain_formula_characters_later_as_they_are():
    data = nlu_dialogue("d-1", ("call mum = now @ home", {"intent": "Call"}))

    row = read_csv(convert("csv", data))[0]

    assert (row["dialogue_id"], row["utterance"], row["position"]) == ("d-1", "call mum = now @ home", "0")


def recording(lines: list[str], pulled: list[int]) -> Iterator[str]:
    for line in lines:
        pulled.append(1)
        yield line


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_each_converter_yields_a_dialogue_before_reading_the_next_ones(fmt):
    lines = [
        json.dumps(nlu_dialogue(f"d{index}", (f"play song-{index}", {"intent": "PlayMusic"}))) + "\n"
        for index in range(5)
    ]
    pulled: list[int] = []
    chunks = EXPORT_FORMATS[fmt].convert(recording(lines, pulled))

    for chunk in chunks:
        if "song-0" in chunk:
            break

    assert "song-1" not in chunk
    assert len(pulled) == 1


def import_file(path, dataset):
    return import_dialogues(source=ImportSource.from_path(path), dataset=dataset)


@pytest.mark.django_db
def test_iter_export_streams_a_dataset_in_batches(tmp_path, dataset):
    import_file(write_lines(tmp_path / "in.jsonl", [dialogue(f"d{index}") for index in range(5)]), dataset)
    batches: list[int] = []

    chunks = iter_export(dataset, LabelSelection.parse("gold"), "hf", batch_size=2, progress=batches.append)
    first = next(chunks)

    assert json.loads(first.splitlines()[0])["id"] == "d0/t1"
    assert batches == []  # the first batch is not even finished
    assert len("".join(chunks).splitlines()) == 8
    assert batches == [2, 2, 1]


@pytest.mark.django_db
def test_iter_export_refuses_an_unknown_format_at_once(dataset):
    with pytest.raises(ApplicationError, match="format must be one of jsonl, conll, rasa, csv, hf"):
        iter_export(dataset, LabelSelection.parse("gold"), "xml")


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_the_command_writes_each_format(tmp_path, dataset, fmt):
    import_file(write_lines(tmp_path / "in.jsonl", [FRENCH, dialogue("d2")]), dataset)
    out = tmp_path / f"out.{EXPORT_FORMATS[fmt].extension}"
    expected = "".join(iter_export(dataset, LabelSelection.parse("gold"), fmt))

    call_command("export_dialogues", "--dataset", dataset.name, "--format", fmt, "--out", str(out))
    call_command("export_dialogues", "--dataset", dataset.name, "--format", fmt, "--out", f"{out}.gz")

    assert out.read_bytes() == expected.encode()
    assert gzip.decompress((tmp_path / f"{out.name}.gz").read_bytes()) == expected.encode()
    assert "Édith" in expected


@pytest.mark.django_db
def test_the_command_writes_format_lines_by_default_and_refuses_an_unknown_format(tmp_path, dataset):
    import_file(write_lines(tmp_path / "in.jsonl", [FRENCH]), dataset)

    call_command("export_dialogues", "--dataset", dataset.name, "--out", str(tmp_path / "out.jsonl"))

    assert (tmp_path / "out.jsonl").read_text() == "".join(
        iter_export_lines(dataset=dataset, selection=LabelSelection.parse("gold"))
    )
    with pytest.raises(CommandError, match="invalid choice: 'xml'"):
        call_command("export_dialogues", "--dataset", dataset.name, "--format", "xml")
