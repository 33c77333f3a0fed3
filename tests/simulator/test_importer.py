from __future__ import annotations

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
