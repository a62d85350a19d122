"""Answer deadlines, counted in business days in Europe/Paris."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def is_business_day(day: date) -> bool:
    return day.weekday() < 5


def add_business_days(start: date, days: int) -> date:
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


def due_at(escalated_at: datetime, business_days: int) -> datetime:
    """End of the Nth business day after the escalation (midnight, Paris time), in UTC."""
    due_day = add_business_days(escalated_at.astimezone(PARIS).date(), business_days)
    return datetime.combine(due_day + timedelta(days=1), time(0, 0), tzinfo=PARIS).astimezone(UTC)


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
