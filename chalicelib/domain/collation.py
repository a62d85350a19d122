"""French alphabetical order, whatever the machine's locale: « Ardèche » before « Ardennes ».

Python compares code points, so « è » (U+00E8) sorts after every plain letter and « Ardèche »
lands after « Ardennes ». Comparing the letters without their accents and case first, then the
exact text to break ties, gives the order of a French dictionary for names of places and
organisations, without a collation library or the machine's locale.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def french_key(text: str) -> tuple[str, str]:
    """The sort key of a name: its letters without accents, case folded (Œ -> oe, ß -> ss), then
    the name itself."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.casefold().replace("œ", "oe").replace("æ", "ae"), text or ""


def french_sorted(items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    return sorted(items, key=lambda item: french_key(name(item)))
