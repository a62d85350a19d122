"""Finding a case by the usager's name: what the agent types, reduced to a comparable key.

"Élodie  D'Argent-Müller" and "elodie d argent muller" give the same key, so an agent
on the phone finds the case however the name is spelt out to them, last name first or not,
and by either half of a compound last name ("Müller" finds "D'Argent-Müller").
"""
from __future__ import annotations

import re
import unicodedata

MIN_QUERY = 2
# A compound last name is also found from each of its later words, up to this many: a usager
# called "Dupré-Lefèvre" may be given as "Lefèvre" over the phone.
MAX_LAST_NAME_TAILS = 3


def fold(text: str) -> str:
    """Lower case, no accents, words separated by one space: 'D'Argent-Müller' -> 'd argent muller'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def last_name_tails(last_name: str) -> list[str]:
    """The later parts of a compound last name: "dupre lefevre" -> ["lefevre"]."""
    words = fold(last_name).split()
    return [" ".join(words[start:]) for start in range(1, len(words))][:MAX_LAST_NAME_TAILS]


def name_keys(first_name: str, last_name: str) -> list[str]:
    """Both orders: a prefix of either matches ("martin", "martin jea", "jeanne mar"); and
    both orders again for each later part of a compound last name ("lefevre jea", "jeanne lefevre")."""
    first = fold(first_name)
    lasts = [fold(last_name), *last_name_tails(last_name)]
    return sorted({key for last in lasts for key in (f"{last} {first}", f"{first} {last}")})


def query_prefix(text: str) -> str | None:
    """The key prefix a search looks for, or None when too short to mean anything (one letter
    would list a whole point's cases)."""
    folded = fold(text)
    return folded if len(folded.replace(" ", "")) >= MIN_QUERY else None
