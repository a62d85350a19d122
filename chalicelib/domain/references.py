"""Case references: short, unique with a conditional write, easy to read over the phone.

Format: "<département>-<3 chars>-<3 chars>", e.g. "61-K7M-4QX". The alphabet leaves out
0/O, 1/I/L and U so nothing can be misheard or misread.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_BODY_LENGTH = 6
_PATTERN = re.compile(rf"^(\d{{2,3}}|2A|2B)-([{ALPHABET}]{{3}})-([{ALPHABET}]{{3}})$")


def new_reference(departement: str, randbelow=secrets.randbelow) -> str:
    body = "".join(ALPHABET[randbelow(len(ALPHABET))] for _ in range(_BODY_LENGTH))
    return f"{departement.upper()}-{body[:3]}-{body[3:]}"


def normalize_reference(text: str) -> str | None:
    """The canonical reference for what a person typed or read out, or None.

    Accepts lower case, spaces and missing dashes ("61 k7m 4qx", "61K7M4QX").
    """
    compact = re.sub(r"[\s\-._]", "", text or "").upper()
    match = re.fullmatch(r"(2A|2B|97\d|\d{2})([A-Z0-9]{6})", compact)
    if not match:
        return None
    departement, body = match.groups()
    candidate = f"{departement}-{body[:3]}-{body[3:]}"
    return candidate if _PATTERN.match(candidate) else None


def reference_body(text: str) -> str | None:
    """The reference without its département, as an agent may read it out ("k7m 4qx",
    "K7M-4QX"): "K7M-4QX", or None. The département is the agent's point's."""
    compact = re.sub(r"[\s\-._]", "", text or "").upper()
    if len(compact) != _BODY_LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return f"{compact[:3]}-{compact[3:]}"


def refers_to(text: str, ref: str) -> bool:
    """Whether what was typed names this reference, whole or without its département."""
    body = reference_body(text)
    return normalize_reference(text) == ref or (body is not None and ref.endswith(f"-{body}"))
