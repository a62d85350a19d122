"""Values that arrive in a URL or a form field, parsed once for every route (API and pages).

Whatever is typed or forged there (%%%, 0001-01-01, 9999-T4, a NUL, a huge number, ten
thousand fields) becomes either a value the services can compute with, or a French error
(ValueError here, InvalidInput or a 400 page at the edge): never an overflow deep inside.

Dates are bounded to years Relais can meaningfully hold: a day's range in Europe/Paris, a
quarter's bounds and the day after them all stay inside what datetime can represent.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated
from urllib.parse import parse_qs

from pydantic import AfterValidator

FIRST_YEAR = 2000
LAST_YEAR = 2099
DAY_FORMAT = "Indiquez une date au format JJ/MM/AAAA."
DAY_OUT_OF_RANGE = f"Indiquez une date entre {FIRST_YEAR} et {LAST_YEAR}."
MAX_CURSOR = 2000
_QUARTER = re.compile(r"^(\d{4})-T([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _in_range(day: date) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(DAY_OUT_OF_RANGE)
    return day


# A date of the API (YYYY-MM-DD), within the years Relais holds.
Day = Annotated[date, AfterValidator(_in_range)]


def day(text: str | None) -> date | None:
    """A day as a date field sends it (YYYY-MM-DD), or as typed without a date picker
    (JJ/MM/AAAA); None when empty; ValueError (French) otherwise."""
    value = (text or "").strip()
    if not value:
        return None
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            parsed = parse(value)
        except ValueError:
            continue
        return _in_range(parsed)
    raise ValueError(DAY_FORMAT)


def quarter(text: str | None) -> str | None:
    """'2026-T4' if that is what was asked and it is within the years held, else None."""
    found = _QUARTER.match(text or "")
    if found is None or not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
        return None
    return text


def period(text: str | None) -> str | None:
    """A quarter ('2026-T4') or a month ('2026-11') within the years held, else None."""
    if quarter(text):
        return text
    found = _MONTH.match(text or "")
    if found is None or not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
        return None
    return text


def cursor(text: str | None) -> str | None:
    """A pagination cursor as it travels (opaque); the repository checks what it stands for."""
    value = (text or "").strip()
    if not value:
        return None
    if len(value) > MAX_CURSOR or "\x00" in value:
        raise ValueError("Ce curseur de pagination n'est pas valide.")
    return value


def embedded_query(text: str | None, max_fields: int) -> dict[str, str]:
    """A query string carried in a form field (a list's filters): the first value of each
    name; more fields than any page of ours sends, or a malformed one, reads as none."""
    try:
        return {name: values[0] for name, values in
                parse_qs(text or "", max_num_fields=max_fields).items()}
    except ValueError:
        return {}
