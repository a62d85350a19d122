"""Personal data taken out of a free text before anybody moderates or publishes it.

An experience is written by a usager who often puts in what identifies them: a phone number,
an address, a social security number, a CAF number, their name or their child's. Everything
found is replaced by a bracketed word that says what was there (« [téléphone retiré] »), so
a moderator sees that something was removed and the sentence still reads.

What is found, in this order (an earlier kind is never looked for again inside a later one):
- email addresses;
- IBANs: checked with python-stdnum (mod 97); a French-shaped one that fails the check goes too;
- NIRs (social security numbers, 13 digits and their 2-digit key): checked with python-stdnum;
- phone numbers: `phonenumbers`' matcher, French numbers and international ones, any spacing;
- CAF and other file numbers: digits after « allocataire », « dossier », « n° »...;
- any other run of 7 digits or more, however spaced (a number the rules above did not know);
- street addresses: a number then a kind of way (« 12 bis rue des Lilas »), with its postcode
  and town when they follow;
- names, where they can be told: after a title (M., Mme, Madame, Docteur...), after « je
  m'appelle », « mon nom est », a relative (« mon fils Kevin »), a sign-off at the end, names
  written in capitals, and the names the caller already knows (the usager's, from a case).

No library recognises French names in free text without a language model too large for a
Lambda; the name rules are a best effort, which is why a person moderates after them.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from stdnum import iban as _iban
from stdnum.fr import nir as _nir

PHONE = "phone"
EMAIL = "email"
NIR = "nir"
IBAN = "iban"
FILE_NUMBER = "file_number"
NUMBER = "number"
ADDRESS = "address"
NAME = "name"

PLACEHOLDERS: dict[str, str] = {
    PHONE: "[téléphone retiré]",
    EMAIL: "[adresse e-mail retirée]",
    NIR: "[numéro de sécurité sociale retiré]",
    IBAN: "[IBAN retiré]",
    FILE_NUMBER: "[numéro de dossier retiré]",
    NUMBER: "[numéro retiré]",
    ADDRESS: "[adresse retirée]",
    NAME: "[nom retiré]",
}
LABELS: dict[str, str] = {
    PHONE: "numéro de téléphone", EMAIL: "adresse e-mail", NIR: "numéro de sécurité sociale",
    IBAN: "IBAN", FILE_NUMBER: "numéro de dossier", NUMBER: "numéro", ADDRESS: "adresse postale",
    NAME: "nom",
}
MAX_TEXT = 20_000        # longer texts are refused before (validation): this bounds the work

_UPPER = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ"
_LOWER = "a-zàâäçéèêëîïôöùûüÿæœ"
_NAME_WORD = rf"[{_UPPER}][{_LOWER}]+(?:[-'’][{_UPPER}]?[{_LOWER}]+)*"
_CAPS_WORD = rf"[{_UPPER}]{{2,}}(?:[-'’][{_UPPER}]{{2,}})*"

_EMAIL = re.compile(r"[\w.+%-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+", re.UNICODE)
_IBAN_SHAPE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
_NIR_SHAPE = re.compile(r"\b[12378][ .]?\d{2}[ .]?\d{2}[ .]?(?:\d{2}|2[AB])[ .]?\d{3}[ .]?\d{3}"
                        r"(?:[ .]?\d{2})?\b", re.IGNORECASE)
_FILE_NUMBER = re.compile(
    r"(?P<lead>\b(?:allocataire|dossier|matricule|identifiant|client|contrat|"
    r"n°|no\.?|num(?:éro|ero)?\.?)\s*(?:caf|msa|cpam|fiscal|de\s+s[ée]curit[ée]\s+sociale)?"
    r"\s*(?:n°|:|est|=)?\s*)(?P<number>[A-Z]{0,3}\d[\d .-]{3,}\d)", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"(?<![\w])\d(?:[ .-]?\d){6,}(?![\w])")
_WAYS = (r"rue|avenue|av\.?|boulevard|bd|chemin|ch\.?|all[ée]e|place|pl\.?|impasse|imp\.?|route|"
         r"rte|quai|cours|square|sq\.?|r[ée]sidence|lotissement|lot\.?|hameau|lieu[- ]dit|"
         r"passage|voie|sentier|faubourg|fg|cit[ée]|villa|parvis|promenade|rond[- ]point|mont[ée]e")
_ADDRESS = re.compile(
    rf"\b\d{{1,4}}\s*(?i:bis|ter|quater|[abc])?\s*,?\s+(?i:{_WAYS})\b"
    rf"(?:[ ]+(?:{_NAME_WORD}|{_CAPS_WORD}|(?:de|du|des|la|le|les|aux?|et|sur|sous|en)\b|"
    rf"[dl]['’]\s*{_NAME_WORD}|\d{{1,4}}\b(?!\s*(?:€|euros?|jours?|mois|ans?)))){{0,8}}"
    rf"(?:,?\s*\d{{5}}\s+{_NAME_WORD}(?:[ -]{_NAME_WORD}|[ -](?:sur|sous|en|l[ea]s?|de|du|des)\b|[ -]d['’])"
    rf"{{0,4}}(?:[ -]{_NAME_WORD})?)?")
_TITLES = (r"M\.|Mr\.?|MM\.|Mme\.?|Mlle\.?|[Mm]onsieur|[Mm]adame|[Mm]ademoiselle|MONSIEUR|MADAME|Dr\.?|"
           r"[Dd]octeure?|[Mm]a[îi]tre|Me|Pr\.?|[Pp]rofesseure?")
_AFTER_TITLE = re.compile(rf"\b(?P<lead>(?:{_TITLES})\s+)(?P<name>(?:{_NAME_WORD}|{_CAPS_WORD})"
                          rf"(?:\s+(?:{_NAME_WORD}|{_CAPS_WORD})){{0,2}})")
_INTRODUCED = re.compile(
    rf"\b(?P<lead>(?i:je\s+m['’ ]?\s*appelle|je\s+me\s+nomme|mon\s+nom\s+(?:est|c['’]est)|"
    rf"moi\s+c['’]est|(?:mon|ma|mes)\s+(?:fils|fille|mari|femme|épouse|epouse|époux|epoux|"
    rf"compagnon|compagne|conjoint|conjointe|père|pere|mère|mere|frère|frere|sœur|soeur|"
    rf"enfant|petit-fils|petite-fille|voisin|voisine|oncle|tante)|sign[ée]|de\s+la\s+part\s+de)"
    rf"\s*:?\s+)(?P<name>{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|{_CAPS_WORD})){{0,2}})")
_SIGN_OFF = re.compile(
    rf"(?P<lead>(?i:cordialement|bien\s+à\s+vous|merci(?:\s+d'avance)?|salutations|bonne\s+journ[ée]e)"
    rf"[ ,.!]*\s+)(?P<name>{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|{_CAPS_WORD})){{0,2}})\s*\.?\s*$")
_CAPS_NAME = re.compile(rf"\b(?P<name>{_NAME_WORD}\s+{_CAPS_WORD}|{_CAPS_WORD}\s+{_NAME_WORD})\b")
# Words in capitals that are not names: organisations and acronyms usagers write.
_ACRONYMS = frozenset("""CAF CPAM CARSAT MSA DGFIP FIP URSSAF ANTS ANAH APL RSA AAH ASPA AL ALS ALF
PAJE PPA CSS CMU CMUC AME ARE ASS ACRE CESU CNAV CNAF SNCF RATP EDF GDF ENGIE SFR PDF SMS OK TV
DDFIP SIP SIE FT POLE EMPLOI FRANCE TRAVAIL SERVICES PUBLICS MDPH PCH APA PMI CCAS CIAS HLM OPH
TEL NIR IBAN RIB CNI CERFA FAQ SVP RDV RV URGENT MERCI BONJOUR NON OUI PAS TRES BIEN""".split())


@dataclass(frozen=True)
class Scrubbed:
    text: str
    removed: tuple[str, ...]        # the kinds removed, each once, in the order above

    @property
    def labels(self) -> list[str]:
        return [LABELS[kind] for kind in self.removed]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


class _Text:
    """The text and what was removed from it so far."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.removed: list[str] = []

    def replace(self, kind: str, start: int, end: int) -> None:
        self.text = f"{self.text[:start]}{PLACEHOLDERS[kind]}{self.text[end:]}"
        if kind not in self.removed:
            self.removed.append(kind)

    def sub(self, kind: str, pattern: re.Pattern[str], group: str | int = 0,
            keep=lambda match: False) -> None:
        """Replace every match (or its named group) from the end, so offsets stay right."""
        for match in reversed(list(pattern.finditer(self.text))):
            if keep(match) or not match.group(group):
                continue
            self.replace(kind, match.start(group), match.end(group))


def _placeholder_inside(match: re.Match[str]) -> bool:
    return "[" in match.group(0) or "]" in match.group(0)


def _ibans(text: _Text) -> None:
    def keep(match: re.Match[str]) -> bool:
        value = match.group(0)
        return not (_iban.is_valid(value) or (value[:2].upper() == "FR" and len(value.replace(" ", "")) >= 20))
    text.sub(IBAN, _IBAN_SHAPE, keep=keep)


def _nirs(text: _Text) -> None:
    def keep(match: re.Match[str]) -> bool:
        digits = re.sub(r"[ .]", "", match.group(0))
        if len(digits) == 15:
            return not _nir.is_valid(digits)
        return len(digits) != 13     # a NIR without its key: the long-number rule decides
    text.sub(NIR, _NIR_SHAPE, keep=keep)


def _phones(text: _Text) -> None:
    matches = list(phonenumbers.PhoneNumberMatcher(text.text, "FR", leniency=phonenumbers.Leniency.POSSIBLE,
                                                   max_tries=200))
    for match in reversed(matches):
        text.replace(PHONE, match.start, match.end)


def _names(text: _Text, known_names: tuple[str, ...]) -> None:
    text.sub(NAME, _AFTER_TITLE, "name")
    text.sub(NAME, _INTRODUCED, "name")
    text.sub(NAME, _SIGN_OFF, "name")
    text.sub(NAME, _CAPS_NAME, "name",
             keep=lambda m: any(word.upper() in _ACRONYMS for word in re.split(r"\s+", m.group("name"))))
    for name in sorted({n.strip() for n in known_names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        words = [re.escape(part) for part in re.split(r"[\s-]+", name) if part]
        pattern = re.compile(r"(?<![\w])" + r"[\s-]+".join(words) + r"(?![\w])", re.IGNORECASE)
        text.sub(NAME, pattern)


def scrub(text: str, known_names: tuple[str, ...] = ()) -> Scrubbed:
    """`text` with its personal data replaced; `known_names` are removed wherever they appear."""
    work = _Text(text[:MAX_TEXT])
    work.sub(EMAIL, _EMAIL)
    _ibans(work)
    _nirs(work)
    _phones(work)
    work.sub(FILE_NUMBER, _FILE_NUMBER, "number")
    work.sub(NUMBER, _LONG_NUMBER)
    work.sub(ADDRESS, _ADDRESS, keep=_placeholder_inside)
    _names(work, known_names)
    return Scrubbed(text=work.text, removed=tuple(work.removed))


def folded(text: str) -> str:
    """Lower case without accents: how procedures are compared and filtered."""
    return " ".join(_fold(text).split())
