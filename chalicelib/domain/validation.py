"""Field types with French error messages, shared by entities and commands."""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema

# Overseas regions tried when a national "0..." number is not valid in metropolitan France.
_OVERSEAS_REGIONS = ("RE", "YT", "GP", "MQ", "GF", "PM", "BL", "MF", "NC", "PF", "WF")

if TYPE_CHECKING:
    import phonenumbers
# phonenumbers (about 30 ms and its metadata) is imported by the first phone number read, not
# with every model at cold start: most requests never read one.


# Direction overrides and isolates would let a text show other than what it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def showable(text: str) -> str:
    """Text from outside (an SMS, an email) as it can be stored and shown: no control,
    surrogate or private characters but line breaks and tabs, and no direction overrides. The
    joiners that make up emoji stay, and so do characters newer than Python's Unicode tables
    (the newest emoji)."""
    return "".join(ch for ch in text if ch in "\n\t" or (
        unicodedata.category(ch) not in ("Cc", "Cs", "Co") and ch not in _BIDI_CONTROLS))


def _no_control_chars(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        raise ValueError("Ce texte contient des caractères non autorisés.")
    return value


no_control_chars = _no_control_chars


def unix_newlines(value: object) -> object:
    """A textarea's CRLF (what browsers send) as LF, before the control characters are checked."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def _person_name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("Ce champ est obligatoire.")
    if not re.fullmatch(r"[^\W\d_](?:[^\W\d_]|[ '’\-.])*", value):
        raise ValueError("Un nom ne contient que des lettres, des espaces, des tirets ou des apostrophes.")
    return value


def parse_phone(value: object) -> phonenumbers.PhoneNumber:
    """Parse a French or overseas number as people write it; raise ValueError in French."""
    import phonenumbers

    if value is not None and not isinstance(value, str):
        raise ValueError("Le numéro de téléphone s'écrit comme un texte, par exemple \"06 12 34 56 78\".")
    text = (value or "").strip()
    if not text:
        raise ValueError("Le numéro de téléphone est obligatoire.")
    for region in ("FR", *_OVERSEAS_REGIONS):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
        if text.startswith("+"):
            break
    raise ValueError("Ce numéro de téléphone n'est pas valide. Exemple : 06 12 34 56 78.")


def normalize_phone(value: str) -> str:
    import phonenumbers

    return phonenumbers.format_number(parse_phone(value), phonenumbers.PhoneNumberFormat.E164)


def normalize_optional_phone(value: object) -> str | None:
    """A phone the usager may not have: absent or blank is None, anything else a valid number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return normalize_phone(value)  # type: ignore[arg-type]


def is_sms_capable(e164: str) -> bool:
    import phonenumbers

    return phonenumbers.number_type(phonenumbers.parse(e164)) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _nir(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("Le numéro de sécurité sociale s'écrit comme un texte de 15 caractères.")
    compact = re.sub(r"\s", "", value).upper()
    match = re.fullmatch(r"([12378])(\d{2})(\d{2})(\d{2}|2A|2B)(\d{3})(\d{3})(\d{2})", compact)
    if not match:
        raise ValueError("Le numéro de sécurité sociale compte 15 caractères, clé comprise.")
    body, key = compact[:13], int(compact[13:])
    numeric = int(body.replace("2A", "19").replace("2B", "18"))
    if 97 - numeric % 97 != key:
        raise ValueError("La clé du numéro de sécurité sociale ne correspond pas.")
    return compact


# Directory ids: lower-case words and dashes, readable in URLs and logs ("61-mairie-bretoncelles").
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                      AfterValidator(_no_control_chars)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000),
                     AfterValidator(_no_control_chars)]
MediumText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
                       AfterValidator(_no_control_chars)]
PersonName = Annotated[str, StringConstraints(max_length=100), AfterValidator(_person_name)]
Phone = Annotated[str, BeforeValidator(normalize_phone)]
OptionalPhone = Annotated[str | None, BeforeValidator(normalize_optional_phone)]


def _email(value: str) -> str:
    """pydantic's EmailStr check (email-validator, no DNS), normalised; email-validator is
    imported by the first address read, not by every model that has an address at cold start
    (EmailStr imports it and reads its version from the installed metadata, about 100 ms)."""
    from pydantic.networks import validate_email

    return validate_email(value)[1]


Email = Annotated[str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})]
Nir = Annotated[str | None, BeforeValidator(_nir)]

MAX_HEADCOUNT = 10_000


def _headcount(value: object) -> int | None:
    """How many people, as typed in a form ("1 200") or sent as a JSON number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    digits = re.sub(r"\s", "", value) if isinstance(value, str) else ""   # "1 200", "1\u202f200"
    if (isinstance(value, int | float | Decimal) and not isinstance(value, bool)
            and math.isfinite(value) and value == int(value)):
        number = int(value)    # DynamoDB reads numbers back as Decimal
    elif re.fullmatch(r"[0-9]{1,9}", digits):
        number = int(digits)
    else:
        raise ValueError("Indiquez un nombre entier, par exemple 12.")
    if not 1 <= number <= MAX_HEADCOUNT:
        raise ValueError("Indiquez un nombre entre 1 et 10 000.")
    return number


# A number of people concerned, 1 to 10,000; empty means not given.
Headcount = Annotated[Annotated[int, Field(ge=1, le=MAX_HEADCOUNT)] | None, BeforeValidator(_headcount)]


_FRENCH_BY_TYPE = {
    "missing": "Ce champ est obligatoire.",
    "string_too_short": "Ce texte est trop court : {min_length} caractères au moins.",
    "string_too_long": "Ce texte est trop long : {max_length} caractères au plus.",
    "string_type": "Un texte est attendu.",
    "string_pattern_mismatch": "Ce format n'est pas valide.",
    "enum": "Choisissez une valeur de la liste : {expected}.",
    "literal_error": "Choisissez une valeur de la liste : {expected}.",
    "bool_type": "Répondez par oui (true) ou non (false).",
    "bool_parsing": "Répondez par oui (true) ou non (false).",
    "int_type": "Un nombre entier est attendu.",
    "int_parsing": "Un nombre entier est attendu.",
    "greater_than_equal": "La valeur doit être au moins {ge}.",
    "less_than_equal": "La valeur doit être au plus {le}.",
    "list_type": "Une liste est attendue.",
    "too_short": "Choisissez au moins {min_length} élément(s).",
    "too_long": "Pas plus de {max_length} éléments.",
    "model_type": "Un objet est attendu.",
    "dict_type": "Un objet est attendu.",
    "model_attributes_type": "Un objet est attendu.",
    "extra_forbidden": "Ce champ n'est pas attendu.",
    "json_invalid": "Le corps de la requête n'est pas un JSON valide.",
}


def french_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str | None]]:
    """Turn pydantic's error list into [{field, message}] with a plain French message."""
    result: list[dict[str, str | None]] = []
    for error in errors:
        field = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
        ctx = error.get("ctx") or {}
        if error["type"] == "value_error" and "error" in ctx:
            message = str(ctx["error"])
        elif error["type"] == "value_error":  # email-validator reports a "reason"
            message = "Cette adresse e-mail n'est pas valide."
        elif error["type"] == "string_too_short" and (ctx.get("min_length") == 1
                                                       or not str(error.get("input", "")).strip()):
            message = "Ce champ est obligatoire."
        else:
            template = _FRENCH_BY_TYPE.get(error["type"], "Cette valeur n'est pas valide.")
            try:
                message = template.format(**ctx).replace("' or '", "' ou '")
            except (KeyError, IndexError):
                message = template
        result.append({"field": field or None, "message": message})
    return result
