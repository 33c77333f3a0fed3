"""The dataset pages' template helpers that read times: people see words, the title keeps the exact
time."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from annotations.templatetags.selflearn import when


def test_a_log_timestamp_reads_as_a_date_with_the_exact_time_in_its_title():
    html = when("2025-11-24T10:00:01Z")
    assert html.startswith('<time datetime="2025-11-24T10:00:01+00:00" title="2025-11-24 ')
    assert ">24 Nov 2025, " in html and "T10:00:01Z" not in html.split(">", 1)[1]


def test_a_recent_time_reads_as_minutes_ago():
    assert ">5 min ago</time>" in when(timezone.now() - timedelta(minutes=5, seconds=3))


def test_text_that_is_not_a_time_is_shown_as_it_is_and_nothing_as_a_dash():
    assert when("around noon") == "around noon"
    assert when(None) == "—"
