from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.cli import main


@pytest.mark.django_db
def test_every_line_imports_cleanly_through_the_importer(tmp_path: Path) -> None:
    from django.core.management import call_command

    from annotations.models import Dialogue

    path = tmp_path / "sim.jsonl"
    assert main(["--dialogues", "200", "--users", "20", "--seed", "9", "--out", str(path)]) == 0
    call_command("import_dialogues", str(path), "--dataset", "sim")
    assert Dialogue.objects.count() == 200


@pytest.mark.django_db
def test_an_export_gives_back_every_label_the_simulator_wrote(tmp_path: Path) -> None:
    """Preferences and rewrites included: they are labels, not extras, and come back as they went in."""
    from django.core.management import call_command

    from annotations.models import LabelKind, Turn

    source, exported = tmp_path / "sim.jsonl", tmp_path / "gold.jsonl"
    assert main(["--dialogues", "200", "--users", "20", "--seed", "9", "--out", str(source)]) == 0
    call_command("import_dialogues", str(source), "--dataset", "sim")
    call_command("export_dialogues", "--dataset", "sim", "--out", str(exported))

    written = [json.loads(line)["labels"] for line in source.read_text(encoding="utf-8").splitlines()]
    read_back = [json.loads(line)["labels"] for line in exported.read_text(encoding="utf-8").splitlines()]
    assert read_back == written
    kinds = {kind for labels in written for entry in labels["turns"].values() for kind in entry}
    assert {LabelKind.PREFERENCES, LabelKind.REWRITE} <= kinds
    assert not Turn.objects.exclude(labels_extra={}).exists()
