"""Quiet hours where the usager lives: the number's overseas territory, else the point's."""
from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.domain import sms, zones

MARTINIQUE = "+596696201234"
REUNION = "+262692123456"
MAYOTTE = "+262639012345"
GUADELOUPE = "+590690001234"
GUYANE = "+594694201234"
MIQUELON = "+508551234"
PARIS_MOBILE = "+33612345678"


@pytest.mark.parametrize(("phone", "point", "zone", "territory"), [
    (MARTINIQUE, "61", "America/Martinique", "972"),        # a Martinique line, a point in the Orne
    (REUNION, "61", "Indian/Reunion", "974"),
    (MAYOTTE, "974", "Indian/Mayotte", "976"),               # +262 639 is Mayotte, not La Réunion
    (GUADELOUPE, "971", "America/Guadeloupe", "971"),
    (GUADELOUPE, "978", "America/Marigot", "978"),           # Saint-Martin shares +590 690
    (GUYANE, "75", "America/Cayenne", "973"),
    (MIQUELON, "61", "America/Miquelon", "975"),
    (PARIS_MOBILE, "974", "Indian/Reunion", "974"),          # a 06 says nothing: the point does
    (PARIS_MOBILE, "61", "Europe/Paris", "61"),
    (None, "972", "America/Martinique", "972"),
    ("+4915112345678", "57", "Europe/Paris", "57"),          # a German number in the Moselle
    ("n'importe quoi", "973", "America/Cayenne", "973"),
])
def test_the_usager_place_comes_from_an_overseas_number_else_from_the_point(phone, point, zone, territory):
    place = zones.of_usager(phone, point)
    assert (place.zone.key, place.territory_code) == (zone, territory)


@pytest.mark.parametrize(("phone", "point", "now", "expected"), [
    # The release at 08:00 Paris is 03:00 in Martinique: it waits until 08:00 there (13:00 Paris).
    (MARTINIQUE, "61", "2026-11-24T08:00:00+01:00", "2026-11-24T08:00:00-04:00"),
    # 19:30 Paris is 22:30 in La Réunion: the next morning, 08:00 there (05:00 Paris).
    (REUNION, "61", "2026-11-24T19:30:00+01:00", "2026-11-25T08:00:00+04:00"),
    (PARIS_MOBILE, "974", "2026-11-24T19:30:00+01:00", "2026-11-25T08:00:00+04:00"),
    # 21:00 Paris is 16:00 in Martinique: sent now.
    (MARTINIQUE, "972", "2026-11-24T21:00:00+01:00", "2026-11-24T21:00:00+01:00"),
    # Saturday 23:30 in Martinique is Sunday 04:30 Paris: Sunday is quiet there too, Monday 08:00.
    (MARTINIQUE, "972", "2026-11-28T23:30:00-04:00", "2026-11-30T08:00:00-04:00"),
    # Sunday 22:00 UTC is already Monday 02:00 in La Réunion: 08:00 Monday there.
    (REUNION, "974", "2026-11-29T22:00:00+00:00", "2026-11-30T08:00:00+04:00"),
    # The abolition of slavery: 22 May in Martinique, 27 May in Guadeloupe and Mayotte's 27 April.
    (MARTINIQUE, "972", "2026-05-22T10:00:00-04:00", "2026-05-23T08:00:00-04:00"),
    (GUADELOUPE, "971", "2026-05-22T10:00:00-04:00", "2026-05-22T10:00:00-04:00"),
    (MAYOTTE, "976", "2026-04-27T10:00:00+03:00", "2026-04-28T08:00:00+03:00"),
    (GUYANE, "973", "2026-06-10T09:00:00-03:00", "2026-06-11T08:00:00-03:00"),
    # La Réunion's 20 December (a Sunday in 2026, so a Monday in 2027).
    (REUNION, "974", "2027-12-20T09:00:00+04:00", "2027-12-21T08:00:00+04:00"),
    # The Orne has no 20 December: a 06 at an Orne point is texted.
    (PARIS_MOBILE, "61", "2027-12-20T09:00:00+01:00", "2027-12-20T09:00:00+01:00"),
])
def test_quiet_hours_sundays_and_holidays_are_the_usagers_own(phone, point, now, expected):
    moment = datetime.fromisoformat(now)
    released = sms.send_after(moment, zones.of_usager(phone, point))
    assert released == datetime.fromisoformat(expected)
    local = released.astimezone(zones.of_usager(phone, point).zone)
    assert 8 <= local.hour < 20 and local.weekday() != 6


def test_a_territory_code_still_means_its_own_place():
    night = datetime.fromisoformat("2026-11-24T23:00:00-04:00")            # Martinique, 23:00
    assert sms.send_after(night, "972") == datetime.fromisoformat("2026-11-25T08:00:00-04:00")
    # Metropolitan France: it is 04:00 in Paris, so 08:00 Paris.
    assert sms.send_after(night, None) == datetime.fromisoformat("2026-11-25T08:00:00+01:00")
