"""Relais's reply extraction before issue 24 (mail-parser-reply after French and English cuts),
kept only so that `make bench` can time the new one side by side with it in one run."""
from __future__ import annotations

import re

_CUTS = [
    # Gmail, Apple Mail, Thunderbird: "Le ... a écrit :" / "On ... wrote:", wrapped or not.
    re.compile(r"^>?\s*(Le|On)\s[^\n]{0,200}?(\n[^\n]{0,200}?){0,2}?(a\s+écrit|wrote)\s*:\s*$",
               re.MULTILINE | re.IGNORECASE),
    # Outlook: a block of "De : / Envoyé : / À : / Objet :" (or English) header lines.
    re.compile(r"^\*?(De|From)\s?\*?\s?:[^\n]*\n(\*?(Envoyé|Date|Sent|À|A|To|Cc|Objet|Subject)\s?\*?\s?:"
               r"[^\n]*\n?){1,}", re.MULTILINE | re.IGNORECASE),
    # Forwards and old-style separators.
    re.compile(r"^[-_ ]{2,}\s*(Forwarded message|Message transféré|Original Message|Message d'origine|"
               r"Début du message réexpédié|Begin forwarded message)\s*:?\s*[-_ ]*$",
               re.MULTILINE | re.IGNORECASE),
    re.compile(r"^_{10,}\s*$", re.MULTILINE),
    # The first quoted line of a top-posted reply.
    re.compile(r"^>", re.MULTILINE),
]
# Signature delimiter and mobile footers: cut even when nothing comes before them (a reply
# with only a photo still has "Envoyé de mon iPhone").
_FOOTERS = [
    re.compile(r"^-- ?$", re.MULTILINE),
    re.compile(r"^\s*(Envoyé (de|depuis) (mon|ma|un|l'application)|Sent from my|Sent from Outlook|"
               r"Get Outlook for|Obtenir Outlook pour|Télécharger Outlook pour|Envoyé à partir de)",
               re.MULTILINE | re.IGNORECASE),
]


def new_text(text: str) -> str:  # noqa: D401 - as it was
    """The part of a reply its author wrote now: no quoted history, signature or footer."""
    from mailparser_reply.parser import EmailMessage as ReplyMessage

    text = text.replace("\r\n", "\n").replace("\xa0", " ")
    end = len(text)
    for pattern in _CUTS:
        match = pattern.search(text, 0, end)
        if match and text[:match.start()].strip():
            end = match.start()
    for pattern in _FOOTERS:
        match = pattern.search(text, 0, end)
        if match:
            end = match.start()
    head = text[:end]
    if not head.strip():
        return ""
    parsed = ReplyMessage(text=head, languages=["fr", "en"], keep_hyphen_lists=True).read()
    body = parsed.replies[0].body if parsed.replies else head
    return re.sub(r"\n{3,}", "\n\n", body).strip()


