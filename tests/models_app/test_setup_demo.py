from __future__ import annotations

import pytest
from django.core.management import call_command

from annotations.models import Dataset
from rewrites.models import RewritePair, RewriterVersion
from teachable.models import Preference, QuestionSet

pytestmark = pytest.mark.django_db


def test_the_demo_comes_with_teaching_and_rewriting_ready(settings, tmp_path, capsys):
    settings.SELFLEARN_REWRITERS_DIR = tmp_path / "rewriters"
    call_command("setup_demo", "--no-model", "--dialogues", "300")
    demo = Dataset.objects.get(name="demo")
    assert QuestionSet.objects.filter(dataset=demo, name="learn-my-preferences").exists()
    assert Preference.objects.filter(dataset=demo).exists()  # the demo people's imported statements
    assert RewritePair.objects.filter(dataset=demo).exists()
    assert RewriterVersion.objects.filter(dataset=demo, active=True).exists()
    out = capsys.readouterr().out
    assert "The preference store knows" in out and "rewrite pairs to review" in out
    call_command("setup_demo", "--no-model", "--dialogues", "300")  # idempotent
    assert RewriterVersion.objects.filter(dataset=demo, active=True).count() == 1
