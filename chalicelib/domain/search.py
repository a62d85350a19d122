"""Finding a case by the usager's name: what the agent types, reduced to a comparable key.

"Élodie  D'Argent-Müller" and "elodie d argent muller" give the same key, so an agent
on the phone finds the case however the name is spelt out to them, last name first or not.
"""
from __future__ import annotations

import re
import unicodedata

MIN_QUERY = 2


def fold(text: str) -> str:
    """Lower case, no accents, words separated by one space: 'D'Argent-Müller' -> 'd argent muller'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def name_keys(first_name: str, last_name: str) -> list[str]:
    """Both orders: a prefix of either matches ("martin", "martin jea", "jeanne mar")."""
    first, last = fold(first_name), fold(last_name)
    return sorted({f"{last} {first}", f"{first} {last}"})


def query_prefix(text: str) -> str | None:
    """The key prefix a search looks for, or None when too short to mean anything (one letter
    would list a whole point's cases)."""
    folded = fold(text)
    return folded if len(folded.replace(" ", "")) >= MIN_QUERY else None
