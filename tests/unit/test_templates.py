"""The template filters pages and emails share."""
from __future__ import annotations

from datetime import UTC, date, datetime


def test_moments_are_shown_in_paris_time():
    from chalicelib.adapters.templates import local_time

    late_evening = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)           # winter: UTC+1
    assert local_time(late_evening) == "01/12/2026"
    assert local_time(late_evening, "61", "%d/%m/%Y à %H:%M") == "01/12/2026 à 00:30"
    assert local_time(datetime(2026, 7, 14, 8, 5, tzinfo=UTC), "61", "%H:%M") == "10:05"   # summer: UTC+2
    assert local_time(date(2026, 12, 1), "972") == "01/12/2026"                 # a date has no time zone


def test_a_message_time_on_the_page_is_paris_time():
    from chalicelib.adapters.templates import environment

    template = environment().from_string('{{ at | local("61", "%d/%m/%Y à %H:%M") }}')
    assert template.render(at=datetime(2026, 11, 23, 14, 35, tzinfo=UTC)) == "23/11/2026 à 15:35"


def test_overseas_pages_read_their_own_clock():
    """An agent in Fort-de-France reads Martinique time (UTC-4, no summer time), one in
    Saint-Denis de La Réunion reads Réunion time (UTC+4): the same message, three clocks."""
    from chalicelib.adapters.templates import environment

    template = environment().from_string('{{ at | local(code, "%d/%m/%Y à %H:%M") }}')
    at = datetime(2026, 11, 23, 23, 35, tzinfo=UTC)
    assert template.render(at=at, code="75") == "24/11/2026 à 00:35"
    assert template.render(at=at, code="972") == "23/11/2026 à 19:35"
    assert template.render(at=at, code="974") == "24/11/2026 à 03:35"
    assert template.render(at=at, code="973") == "23/11/2026 à 20:35"
    assert template.render(at=at, code="976") == "24/11/2026 à 02:35"
    assert template.render(at=at, code=None) == "24/11/2026 à 00:35"


def test_the_zone_is_named_only_outside_paris():
    from chalicelib.adapters.templates import environment

    template = environment().from_string("{{ code | zone_label }}")
    assert template.render(code="972") == "heure de la Martinique"
    assert template.render(code="974") == "heure de La Réunion"
    assert template.render(code="61") == ""
