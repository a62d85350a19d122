"""SMS to usagers: one GSM-7 segment each, on any phone.

A message of GSM-7 characters fits 160 per segment (153 per part once split), and the
characters of the extension table (€ [ ] { } ^ ~ | \\ and form feed) count double. One
character outside GSM-7 (ê, ç, ’, «…) switches the whole message to UCS-2: 70 characters, or 67
per part. So every text is first written in GSM-7 (`to_gsm7`), and the one value that can be
long, the contact point's name, is shortened until the message fits in one segment.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime

from anyascii import anyascii

from .models import Case, CaseStatus, Escalation, EscalationStatus, LifeSituation

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


# Characters that take no room: zero-width spaces and joiners, soft hyphens, byte-order marks,
# variation selectors and lone combining marks, private and unassigned code points.
_INVISIBLE = {"Cf", "Cs", "Co", "Cn", "Mn", "Me"}
# Symbols: emoji, pictographs, skin tones. Kept only where Unicode gives them letters (™ -> TM,
# № -> No); anyascii would spell an emoji as ":star:", so it is not asked.
_SYMBOLS = {"So", "Sk"}


def _gsm7_char(ch: str) -> str:
    """One character in GSM-7: itself, its spelling in Latin letters, a space, or nothing."""
    ch = _REPLACEMENTS.get(ch, ch)
    if ch in "\n\r":
        return ch
    if ch.isspace():                      # tab, no-break and thin spaces, line separators
        return " "
    category = unicodedata.category(ch[0])
    if category == "Cc" or category in _INVISIBLE:
        return ""                         # ESC among them: it would open the extension table
    if is_gsm7(ch):
        return ch
    plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if plain and is_gsm7(plain):
        return plain                      # ê -> e, ç -> c, ﬁ -> fi, ² -> 2
    if category in _SYMBOLS:
        return ""
    spelled = anyascii(ch).replace("`", "'")   # Ł -> L, ı -> i, đ -> d, Þ -> Th, Москва -> Moskva
    return spelled if is_gsm7(spelled) else ""


def to_gsm7(text: str) -> str:
    """The same words in GSM-7 only: ê -> e, ç -> c, ’ -> ', « » -> ", Ł -> L, other scripts in
    Latin letters (anyascii). Letters GSM-7 has (é, è, à, ù, É, Ç, ø, ß, Æ...) are kept; tabs and
    odd spaces become a space; emoji, zero-width characters and whatever has no Latin form are
    dropped. Never a « ? » the text did not have; no double space left behind."""
    text = unicodedata.normalize("NFC", text)
    for quote, plain in (("« ", '"'), ("«\u00a0", '"'), (" »", '"'), ("\u00a0»", '"')):
        text = text.replace(quote, plain)
    return re.sub(" {2,}", " ", "".join(_gsm7_char(ch) for ch in text))


# --- the texts -----------------------------------------------------------------------------------

# {day} and {about} name the case in words (" du 24/11", " (CAF)"): render() fills them, and
# leaves them out before it shortens the point's name.
TEMPLATES = {
    "case_created": "Relais SP+: demande enregistrée, dossier {ref}. Contact: {point}, "
                    "{phone}. STOP pour arrêter les SMS",
    "answered": "Relais SP+: le partenaire a répondu (dossier {ref}). Votre conseiller vous "
                "recontacte. {point}, {phone}",
    "needs_info": "Relais SP+: il manque une information pour votre dossier {ref}. Appelez "
                  "{point} au {phone}",
    "closed": "Relais SP+: dossier {ref} clos. Demande{day}{about} à {point}. Satisfait ? "
              "Répondez de 1 (pas du tout) à 5 (tout à fait)",
    # The closing, to a usager who never received an SMS with the reference (the case was
    # closed during the night hold): the first SMS they get, so it says who writes and why.
    "closed_standalone": "{point}: votre demande{day}{about} est traitée, dossier {ref} clos. "
                         "Satisfait ? Répondez de 1 (pas du tout) à 5 (tout à fait)",
    "consent": "Relais SP+: {point} vous aide dans une démarche (dossier {ref}). Répondez OUI "
               "pour confirmer votre accord.",
    # The one SMS after a STOP (services/sms.receive), sent at once: the usager just wrote.
    "opted_out": "Relais SP+: vous ne recevrez plus de SMS. Pour suivre votre dossier {ref}, "
                 "contactez {point}.",
    # The answer to SUIVI (services/sms.follow_up), sent at once: where the case stands, by
    # `follow_up_form`. Never the usager's name nor the case's description.
    "follow_up_open": "Relais SP+: votre demande{day}{about}, dossier {ref}, est en cours auprès de "
                      "{point}.",
    "follow_up_escalated": "Relais SP+: votre demande{day}{about}, dossier {ref}: transmise au "
                           "partenaire, réponse attendue. Contact: {point}.",
    "follow_up_needs_info": "Relais SP+: votre demande{day}{about}, dossier {ref}: il manque une "
                            "information. Contactez {point}.",
    "follow_up_answered": "Relais SP+: votre demande{day}{about}, dossier {ref}: le partenaire a "
                          "répondu, votre conseiller de {point} vous recontacte.",
    "follow_up_closed": "Relais SP+: votre demande{day}{about}, dossier {ref}, est close. Une question: "
                        "{point}.",
    # The thanks for an opinion (AVIS, or words with the satisfaction mark), sent at once.
    "opinion_thanks": "Relais SP+: merci pour votre avis (dossier {ref}). Il est transmis à {point} "
                      "sans votre nom ni votre numéro.",
}

# Texts that name no case: the answer to SUIVI from a number with no case, or naming a
# reference that is not this number's (the same words: nobody can probe references).
NO_CASE_TEXT = ("Relais SP+: aucune demande à ce numéro. Pour suivre un dossier, adressez-vous "
                "au point d'accueil (France Services, mairie) qui vous a reçu.")

# The same texts for a contact point with no phone in the directory.
WITHOUT_PHONE = {
    "case_created": "Relais SP+: demande enregistrée, dossier {ref}. Contact: {point}. STOP pour "
                    "arrêter les SMS",
    "answered": "Relais SP+: le partenaire a répondu (dossier {ref}). Votre conseiller de {point} "
                "vous recontacte.",
    "needs_info": "Relais SP+: il manque une information pour votre dossier {ref}. Votre "
                  "conseiller de {point} vous recontacte.",
}

ANY_POINT = "votre point de contact"      # when not even the first word of the name fits
# Words a shortened name does not end on: "France Services de la" says less than "France Services".
_DANGLING = {"a", "à", "au", "aux", "d'", "de", "des", "du", "en", "et", "l'", "la", "le", "les",
             "par", "pour", "sous", "sur"}
_SEPARATORS = ",;:-–—/&+.( "


def _shorter_names(name: str) -> list[str]:
    """The name, then ever shorter forms made of its first whole words; never a cut word."""
    words = name.split(" ")
    forms = [name]
    for kept in range(len(words) - 1, 0, -1):
        head = words[:kept]
        while head and (head[-1].casefold() in _DANGLING or not head[-1].strip(_SEPARATORS)):
            head.pop()
        form = " ".join(head)
        if form.count("(") > form.count(")"):        # not "Mairie (antenne"
            form = form[:form.rindex("(")]
        form = form.rstrip(_SEPARATORS)
        if form and form not in forms:
            forms.append(form)
    return [*forms, ANY_POINT]


def _in_words(day: str, about: str) -> list[tuple[str, str]]:
    """({day}, {about}) to try, richest first: the partners named, one, none; then no date."""
    about = to_gsm7(about).strip()
    partners = list(dict.fromkeys([about, about.split(", ")[0], ""]))
    when = f" du {day}" if day else ""
    return [(when, f" ({p})" if p else "") for p in partners] + ([("", "")] if when else [])


def _patterns(template: str, phone: str) -> list[tuple[str, str]]:
    """(pattern, phone) to try, best first: with the point's phone when it has one."""
    pattern = TEMPLATES[template]
    if "{phone}" not in pattern:
        return [(pattern, "")]
    without = WITHOUT_PHONE.get(template)
    if without is None:
        raise ValueError(f"template {template!r} has no form for a point without a phone")
    return [(pattern, phone), (without, "")] if phone else [(without, "")]


def render(template: str, *, ref: str, point: str, phone: str = "", day: str = "",
           about: str = "") -> str:
    """The SMS text, in GSM-7 and one segment. A point without a phone gets the form that gives
    none. What gives way when it must, in order: the words naming the case (`about`, "CAF,
    CPAM", then `day`, "24/11"), the end of the point's name, by whole words, then the phone."""
    name = to_gsm7(point).strip() or ANY_POINT
    for pattern, number in _patterns(template, to_gsm7(phone).strip()):
        for short_name in _shorter_names(name):
            if short_name != name and pattern.endswith("{point}"):
                short_name += "."                        # the text ends on a shortened name
            for when, partners in _in_words(day, about):
                text = to_gsm7(pattern.format(ref=ref, point=short_name, phone=number, day=when,
                                              about=partners))
                if is_gsm7(text) and segments(text) == 1:
                    return text
    raise ValueError(f"template {template!r} does not fit one SMS")


# --- what the case is about, in the usager's words -------------------------------------------------

# The life situation in a word or two, for a case no partner was asked about.
# An SMS shows on a locked screen: health and money troubles are never named there.
SITUATION_WORDS = {
    LifeSituation.RETRAITE: "retraite",
    LifeSituation.PRECARITE: "",
    LifeSituation.SANTE: "",
    LifeSituation.EMPLOI: "emploi",
    LifeSituation.LOGEMENT: "logement",
    LifeSituation.IMPOTS: "impôts",
    LifeSituation.PAPIERS: "papiers",
    LifeSituation.FAMILLE: "famille",
    LifeSituation.AUTRE: "",
}


def about(situation: LifeSituation, organisations: Sequence[str]) -> str:
    """What the case was about, as the usager saw it at the desk: the partners the agent asked
    (two at most, "CAF, CPAM"), else the life situation ("retraite"). No personal data."""
    named = list(dict.fromkeys(o for o in organisations if o))[:2]
    return ", ".join(named) if named else SITUATION_WORDS.get(situation, "")


def partners_asked(escalations: Iterable[Escalation]) -> list[str]:
    """The organisations of a case's escalations, first asked first; not those that said they
    were not the right recipient."""
    kept = sorted((e for e in escalations if e.status is not EscalationStatus.WRONG_RECIPIENT),
                  key=lambda e: e.created_at)
    return list(dict.fromkeys(e.organisation_id for e in kept))


def follow_up_form(case: Case, escalations: Iterable[Escalation]) -> str:
    """The SUIVI answer's template for where the case stands now."""
    escalations = list(escalations)
    if case.status is CaseStatus.CLOSED:
        return "follow_up_closed"
    if any(e.status is EscalationStatus.NEEDS_INFO for e in escalations):
        return "follow_up_needs_info"
    if case.status is CaseStatus.ANSWERED:
        return "follow_up_answered"
    if case.status is CaseStatus.ESCALATED:
        return "follow_up_escalated"
    return "follow_up_open"


def render_no_case() -> str:
    text = to_gsm7(NO_CASE_TEXT)
    if not is_gsm7(text) or segments(text) != 1:
        raise ValueError("the no-case text does not fit one SMS")
    return text


# --- is it still true? ------------------------------------------------------------------------------

def still_true(template: str, case: Case, escalations: Iterable[Escalation],
               sent: Iterable[tuple[str, datetime]] = ()) -> bool:
    """Whether an SMS queued as `template` still says where the case stands, now: SMS wait in the
    queue (the night hold, retries), and the case moves on meanwhile. `sent` is what the usager
    already received about this case: (template, when).

    - closed: while the case is closed (not once it is reopened);
    - after the closing, nothing else;
    - needs_info: while a partner still waits for information, and the usager was not already
      told since it asked;
    - answered: while the case is answered;
    - case_created: until another SMS says where the case stands (answered, needs_info) and
      carries the reference as well;
    - consent: until the usager confirms.
    """
    escalations = list(escalations)
    if template in ("closed", "closed_standalone"):
        return case.status is CaseStatus.CLOSED
    if case.status is CaseStatus.CLOSED:
        return False
    asked = [e.paused_at or e.updated_at for e in escalations if e.status is EscalationStatus.NEEDS_INFO]
    if template == "needs_info":
        return bool(asked) and not any(t == "needs_info" and at >= max(asked) for t, at in sent)
    if template == "answered":
        return case.status is CaseStatus.ANSWERED
    if template == "case_created":
        return case.status is not CaseStatus.ANSWERED and not asked
    if template == "consent":
        return case.consent_confirmed_at is None
    return True


def current_form(template: str, case: Case, escalations: Iterable[Escalation],
                 sent: Iterable[tuple[str, datetime]] = ()) -> str | None:
    """The text to send now for an SMS queued as `template`, or None when it is no longer true.
    A closing to a usager who never received an SMS of the case stands on its own."""
    sent = list(sent)
    if not still_true(template, case, escalations, sent):
        return None
    if template == "closed" and not sent:
        return "closed_standalone"
    return template


# --- quiet hours ---------------------------------------------------------------------------------

QUIET_FROM = 20       # nothing from 20:00...
QUIET_UNTIL = 8       # ...to 08:00 where the usager lives, nor on Sundays and public holidays


def send_after(now, where=None):
    """The first moment from `now` when an SMS may be sent: now itself outside quiet hours,
    else 08:00 on the next day that is neither a Sunday nor a public holiday, all of it in the
    usager's own zone and calendar. `where` is a `zones.Place` (see `zones.of_usager`), or a
    territory code, or None for metropolitan France."""
    from datetime import datetime, time, timedelta

    from . import deadlines, zones

    place = where if isinstance(where, zones.Place) else zones.of_territory(where)
    local = now.astimezone(place.zone)

    def open_day(day) -> bool:
        return day.weekday() != 6 and not deadlines.is_public_holiday(day, place.territory_code)

    if open_day(local.date()) and QUIET_UNTIL <= local.hour < QUIET_FROM:
        return now
    day = local.date() if local.hour < QUIET_UNTIL else local.date() + timedelta(days=1)
    while not open_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(QUIET_UNTIL), tzinfo=place.zone).astimezone(now.tzinfo)
