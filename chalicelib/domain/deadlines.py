"""Answer deadlines, counted in business days in Europe/Paris.

A business day is a weekday that is not a public holiday where the case is handled: the
eleven legal holidays of the Code du travail (L3133-1) everywhere, plus the local legal ones of
Alsace-Moselle (Good Friday and 26 December, L3134-13) and of the overseas territories (the
abolition of slavery, L3422-2). The days come from the `holidays` package, filtered: the days
it adds that are customs, not law (Mi-Carême, Good Friday and 21 July in the Antilles), are
ordinary working days for Relais. docs/calendars.md lists the days and their sources.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
# Territory code -> the `holidays` subdivision whose calendar applies there.
LOCAL_CALENDARS = {"57": "57", "67": "6AE", "68": "6AE", "971": "971", "972": "972",
                   "973": "973", "974": "974", "976": "976", "977": "BL", "978": "MF"}
# The days of that calendar Relais counts besides the national ones: the local legal holidays,
# by their names in the package's French calendar (tests/unit/test_deadlines.py pins each
# year's days, so that a renamed holiday fails a test instead of becoming a working day).
_ALSACE_MOSELLE = frozenset({"Vendredi saint", "Saint-Étienne"})          # L3134-13
_ABOLITION = frozenset({"Abolition de l'esclavage"})                       # L3422-2
LOCAL_LEGAL_HOLIDAYS = {"57": _ALSACE_MOSELLE, "67": _ALSACE_MOSELLE, "68": _ALSACE_MOSELLE,
                        **{code: _ABOLITION for code in ("971", "972", "973", "974", "976",
                                                         "977", "978")}}


@lru_cache(maxsize=1024)
def public_holidays(territory_code: str | None, year: int) -> frozenset[date]:
    """The days of a year that Relais counts as public holidays in a territory."""
    import holidays

    days = set(holidays.country_holidays("FR", years=year))         # the 11 of L3133-1
    code = territory_code or ""
    subdivision = LOCAL_CALENDARS.get(code)
    if subdivision:
        local = holidays.country_holidays("FR", subdiv=subdivision, years=year, language="fr")
        allowed = LOCAL_LEGAL_HOLIDAYS[code]
        # Two holidays on one day come as one entry, their names joined by "; ".
        days |= {day for day, names in local.items() if allowed & set(names.split("; "))}
    return frozenset(days)


def is_public_holiday(day: date, territory_code: str | None = None) -> bool:
    return day in public_holidays(territory_code, day.year)


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
