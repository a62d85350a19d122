from datetime import date, datetime

import pytest

from chalicelib.domain.deadlines import (
    PARIS,
    add_business_days,
    due_at,
    due_date,
    is_business_day,
    is_public_holiday,
)


def test_four_business_days_skip_the_weekend():
    # Thursday 19 November 2026 + 4 business days = Wednesday 25 November
    assert add_business_days(date(2026, 11, 19), 4) == date(2026, 11, 25)


def test_due_at_is_the_end_of_the_last_day_in_paris():
    escalated = datetime(2026, 11, 20, 16, 30, tzinfo=PARIS)  # a Friday
    due = due_at(escalated, 4)
    assert due_date(due) == date(2026, 11, 26)
    assert due == datetime(2026, 11, 27, 0, 0, tzinfo=PARIS)


def test_national_holidays_are_skipped():
    # Tuesday 10 November 2026 + 4 business days, over Armistice Day (Wednesday 11)
    assert add_business_days(date(2026, 11, 10), 4) == date(2026, 11, 17)
    # Thursday 24 December + 2: Christmas Friday, weekend, so Tuesday 29
    assert add_business_days(date(2026, 12, 24), 2) == date(2026, 12, 29)


def test_alsace_moselle_adds_good_friday_and_saint_stephen():
    # Thursday 2 April 2026 + 1: Good Friday (3) and Easter Monday (6) off in Moselle
    assert add_business_days(date(2026, 4, 2), 1, "57") == date(2026, 4, 7)
    assert add_business_days(date(2026, 4, 2), 1, "61") == date(2026, 4, 3)
    # Friday 22 December 2028 + 1 in Bas-Rhin: Christmas Monday, then Saint Stephen on Tuesday
    assert add_business_days(date(2028, 12, 22), 1, "67") == date(2028, 12, 27)
    assert add_business_days(date(2028, 12, 22), 1, "61") == date(2028, 12, 26)


def test_overseas_departements_add_the_abolition_of_slavery():
    # La Réunion: 20 December (a Monday in 2027); Martinique: 22 May (a Monday in 2028)
    assert add_business_days(date(2027, 12, 17), 1, "974") == date(2027, 12, 21)
    assert add_business_days(date(2027, 12, 17), 1, "61") == date(2027, 12, 20)
    assert add_business_days(date(2028, 5, 19), 1, "972") == date(2028, 5, 23)


def test_the_deadline_is_midnight_paris_across_daylight_saving_changes():
    # Escalated Thursday 22 October 2026; clocks go back on Sunday 25 October.
    due = due_at(datetime(2026, 10, 22, 10, 0, tzinfo=PARIS), 4)
    assert due_date(due) == date(2026, 10, 28)
    assert due.utcoffset().total_seconds() == 0 and (due.hour, due.minute) == (23, 0)   # CET
    # Escalated Thursday 26 March 2026; clocks go forward on Sunday 29 March.
    due = due_at(datetime(2026, 3, 26, 10, 0, tzinfo=PARIS), 4)
    assert due_date(due) == date(2026, 4, 1) and (due.hour, due.minute) == (22, 0)      # CEST


# --- the calendars Relais counts (docs/calendars.md) ------------------------------------------

# The eleven legal holidays of the Code du travail (L3133-1), everywhere.
NATIONAL = {
    2026: ["01-01", "04-06", "05-01", "05-08", "05-14", "05-25", "07-14", "08-15", "11-01", "11-11", "12-25"],
    2027: ["01-01", "03-29", "05-01", "05-06", "05-08", "05-17", "07-14", "08-15", "11-01", "11-11", "12-25"],
}
# The local legal holidays: Good Friday and 26 December in Alsace-Moselle (L3134-13); the
# abolition of slavery overseas (L3422-2, loi 83-550, décret 83-1003).
LOCAL = {
    "57": {2026: ["04-03", "12-26"], 2027: ["03-26", "12-26"]},
    "67": {2026: ["04-03", "12-26"], 2027: ["03-26", "12-26"]},
    "68": {2026: ["04-03", "12-26"], 2027: ["03-26", "12-26"]},
    "971": {2026: ["05-27"], 2027: ["05-27"]},
    "972": {2026: ["05-22"], 2027: ["05-22"]},
    "973": {2026: ["06-10"], 2027: ["06-10"]},
    "974": {2026: ["12-20"], 2027: ["12-20"]},
    "976": {2026: ["04-27"], 2027: ["04-27"]},
    "75": {2026: [], 2027: []},
    "61": {2026: [], 2027: []},
}


@pytest.mark.parametrize("year", [2026, 2027])
@pytest.mark.parametrize("territory", sorted(LOCAL))
def test_each_territory_counts_exactly_its_legal_holidays(territory, year):
    from chalicelib.domain.deadlines import public_holidays

    expected = sorted(date.fromisoformat(f"{year}-{day}") for day in NATIONAL[year] + LOCAL[territory][year])
    assert sorted(public_holidays(territory, year)) == expected


@pytest.mark.parametrize("territory, day", [
    ("971", date(2026, 3, 12)),     # Mi-Carême: a custom of the carnival, not a legal holiday
    ("971", date(2027, 3, 4)),
    ("971", date(2026, 4, 3)),      # Good Friday: legal in Alsace-Moselle only
    ("971", date(2027, 3, 26)),
    ("971", date(2026, 7, 21)),     # Victor Schœlcher: a 1914 local decree, lapsed with loi 83-550
    ("972", date(2026, 7, 21)),
    ("972", date(2027, 7, 21)),
    ("61", date(2026, 4, 3)),       # Good Friday in the Orne
    ("61", date(2026, 12, 26)),     # 26 December outside Alsace-Moselle (a Saturday: is_public_holiday)
])
def test_customary_days_are_not_public_holidays(territory, day):
    assert not is_public_holiday(day, territory)


def test_mi_careme_in_guadeloupe_is_a_business_day():
    # Wednesday 11 March 2026 + 1 in Guadeloupe: Thursday 12 (Mi-Carême), as in Paris.
    assert add_business_days(date(2026, 3, 11), 1, "971") == date(2026, 3, 12)
    assert is_business_day(date(2026, 3, 12), "971")
    # Good Friday 3 April 2026 is a working day in Guadeloupe, not in Moselle.
    assert is_business_day(date(2026, 4, 3), "971") and not is_business_day(date(2026, 4, 3), "57")


def test_saint_barthelemy_and_saint_martin_have_their_abolition_days():
    assert is_public_holiday(date(2026, 10, 9), "977")
    assert is_public_holiday(date(2026, 5, 28), "978") and not is_public_holiday(date(2026, 5, 27), "978")
    assert not is_public_holiday(date(2026, 7, 21), "978")
