"""SMS to usagers: one GSM-7 segment each, on any phone.

A message of GSM-7 characters fits 160 per segment (153 per part once split), and the
characters of the extension table (€ [ ] { } ^ ~ | \\ and form feed) count double. One
character outside GSM-7 (ê, ç, ’, «…) switches the whole message to UCS-2: 70 characters, or 67
per part. So every text is first written in GSM-7 (`to_gsm7`), and the one value that can be
long, the contact point's name, is shortened until the message fits in one segment.
"""
from __future__ import annotations

import math
import unicodedata

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = set("\f^{}\\[~]|€")
SEGMENT = 160
SEGMENT_PART = 153
UCS2_SEGMENT = 70
UCS2_PART = 67

# Typographic characters people paste from word processors, in their GSM-7 spelling.
_REPLACEMENTS = {"’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"', "–": "-", "—": "-",
                 "…": "...", "œ": "oe", "Œ": "OE", "\u00a0": " ", "\u202f": " ", "°": "o"}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def gsm7_length(text: str) -> int:
    """Septets used: extension characters take two."""
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)


def segments(text: str) -> int:
    """How many SMS the operator bills for this text."""
    if is_gsm7(text):
        length = gsm7_length(text)
        return 1 if length <= SEGMENT else math.ceil(length / SEGMENT_PART)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= UCS2_SEGMENT else math.ceil(units / UCS2_PART)


def to_gsm7(text: str) -> str:
    """The same words in GSM-7 only: ê -> e, ç -> c, ’ -> ', « » -> ". Letters GSM-7 has
    (é, è, à, ù, É, Ç...) are kept."""
    for quote, plain in (("« ", '"'), ("«\u00a0", '"'), (" »", '"'), ("\u00a0»", '"')):
        text = text.replace(quote, plain)
    out = []
    for ch in text:
        ch = _REPLACEMENTS.get(ch, ch)
        if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in ch):
            out.append(ch)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append("".join(c for c in plain if c in GSM7_BASIC) or "?")
    return "".join(out)


TEMPLATES = {
    "case_created": "Relais SP+: demande enregistrée, dossier {ref}. Contact: {point}, "
                    "{phone}. STOP pour arrêter les SMS",
    "answered": "Relais SP+: le partenaire a répondu (dossier {ref}). Votre conseiller vous "
                "recontacte. {point}, {phone}",
    "needs_info": "Relais SP+: il manque une information pour votre dossier {ref}. Appelez "
                  "{point} au {phone}",
    "closed": "Relais SP+: dossier {ref} clos. Etes-vous satisfait ? Répondez de 1 (pas du tout) "
              "à 5 (tout à fait). {point}",
    "consent": "Relais SP+: {point} vous aide dans une démarche (dossier {ref}). Répondez OUI "
               "pour confirmer votre accord.",
}


def render(template: str, *, ref: str, point: str, phone: str = "") -> str:
    """The SMS text, in GSM-7 and one segment: the point's name is shortened if it must be."""
    pattern = TEMPLATES[template]
    name = to_gsm7(point)
    while True:
        text = to_gsm7(pattern.format(ref=ref, point=name, phone=phone))
        if segments(text) == 1 and is_gsm7(text):
            return text
        if len(name) <= 10:
            raise ValueError(f"template {template!r} does not fit one SMS")
        name = name[:len(name) - 2].rstrip() + "."


# --- quiet hours ---------------------------------------------------------------------------------

QUIET_FROM = 20       # nothing from 20:00...
QUIET_UNTIL = 8       # ...to 08:00 Europe/Paris, nor on Sundays and public holidays


def send_after(now, territory_code: str | None = None):
    """The first moment from `now` when an SMS may be sent: now itself outside quiet hours,
    else 08:00 Paris on the next day that is neither a Sunday nor a public holiday."""
    from datetime import datetime, time, timedelta

    from . import deadlines

    local = now.astimezone(deadlines.PARIS)

    def open_day(day) -> bool:
        return day.weekday() != 6 and not deadlines.is_public_holiday(day, territory_code)

    if open_day(local.date()) and QUIET_UNTIL <= local.hour < QUIET_FROM:
        return now
    day = local.date() if local.hour < QUIET_UNTIL else local.date() + timedelta(days=1)
    while not open_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(QUIET_UNTIL), tzinfo=deadlines.PARIS).astimezone(now.tzinfo)
