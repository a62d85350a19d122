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
