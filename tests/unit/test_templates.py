"""The template filters pages and emails share."""
from __future__ import annotations

from datetime import UTC, date, datetime


def test_moments_are_shown_in_paris_time():
    from chalicelib.adapters.templates import paris_time

    late_evening = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)           # winter: UTC+1
    assert paris_time(late_evening) == "01/12/2026"
    assert paris_time(late_evening, "%d/%m/%Y à %H:%M") == "01/12/2026 à 00:30"
    assert paris_time(datetime(2026, 7, 14, 8, 5, tzinfo=UTC), "%H:%M") == "10:05"   # summer: UTC+2
    assert paris_time(date(2026, 12, 1)) == "01/12/2026"                 # a date has no time zone


def test_a_message_time_on_the_page_is_paris_time():
    from chalicelib.adapters.templates import environment

    template = environment().from_string('{{ at | paris("%d/%m/%Y à %H:%M") }}')
    assert template.render(at=datetime(2026, 11, 23, 14, 35, tzinfo=UTC)) == "23/11/2026 à 15:35"
