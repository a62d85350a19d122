"""Answer deadlines, counted in business days in Europe/Paris.

A business day is a weekday that is not a public holiday where the case is handled: the
national French holidays, plus the local ones of Alsace-Moselle (Good Friday, 26 December)
and of the overseas départements (abolition of slavery), from the `holidays` package.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
# Département code -> the `holidays` subdivision whose calendar applies there.
LOCAL_CALENDARS = {"57": "57", "67": "6AE", "68": "6AE", "971": "971", "972": "972",
                   "973": "973", "974": "974", "976": "976"}


@lru_cache(maxsize=32)
def _holidays(territory_code: str | None):
    import holidays

    return holidays.country_holidays("FR", subdiv=LOCAL_CALENDARS.get(territory_code or ""))


def is_public_holiday(day: date, territory_code: str | None = None) -> bool:
    return day in _holidays(territory_code)


def is_business_day(day: date, territory_code: str | None = None) -> bool:
    return day.weekday() < 5 and not is_public_holiday(day, territory_code)


def add_business_days(start: date, days: int, territory_code: str | None = None) -> date:
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current, territory_code):
            remaining -= 1
    return current


def previous_business_day(day: date, territory_code: str | None = None) -> date:
    current = day - timedelta(days=1)
    while not is_business_day(current, territory_code):
        current -= timedelta(days=1)
    return current


def business_days_between(start: date, end: date, territory_code: str | None = None) -> int:
    """Business days in (start, end]: how far the clock moved from one day to the other."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_business_day(current, territory_code):
            count += 1
    return count


def end_of(day: date) -> datetime:
    """Midnight at the end of a Paris day, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=PARIS).astimezone(UTC)


def due_at(escalated_at: datetime, business_days: int, territory_code: str | None = None) -> datetime:
    """End of the Nth business day after the escalation (midnight, Paris time), in UTC."""
    return end_of(add_business_days(escalated_at.astimezone(PARIS).date(), business_days, territory_code))


def due_date(due: datetime) -> date:
    """The last day on which an answer is on time, for display."""
    return (due.astimezone(PARIS) - timedelta(microseconds=1)).date()


_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre")


def in_words(day: date) -> str:
    """'jeudi 26 novembre', or 'vendredi 1er janvier': the way a French letter says a date."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{_DAYS[day.weekday()]} {number} {_MONTHS[day.month - 1]}"


def lateness(due: datetime, now: datetime) -> str | None:
    """'late' once the deadline passed, 'due_soon' in its last 24 hours, else None."""
    if now >= due:
        return "late"
    if due - now <= timedelta(hours=24):
        return "due_soon"
    return None


# Opening hours used to count answer times: 9:00 to 17:00, Paris time, on business days.
OPENS, CLOSES = time(9, 0), time(17, 0)
MAX_COUNTED_DAYS = 366


def business_hours_between(start: datetime, end: datetime, territory_code: str | None = None) -> float:
    """Hours between two instants that fall within opening hours on business days.

    Four business days make 32 business hours: an answer on the due day is within 32 h."""
    if end <= start:
        return 0.0
    local_start, local_end = start.astimezone(PARIS), end.astimezone(PARIS)
    day, total = local_start.date(), 0.0
    for _ in range(MAX_COUNTED_DAYS):
        if day > local_end.date():
            break
        if is_business_day(day, territory_code):
            opens = datetime.combine(day, OPENS, tzinfo=PARIS)
            closes = datetime.combine(day, CLOSES, tzinfo=PARIS)
            window_start, window_end = max(opens, local_start), min(closes, local_end)
            if window_end > window_start:
                total += (window_end - window_start).total_seconds() / 3600
        day += timedelta(days=1)
    return total
