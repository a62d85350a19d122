from datetime import date, datetime

from chalicelib.domain.deadlines import PARIS, add_business_days, due_at, due_date


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
