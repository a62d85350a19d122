"""From a posted form to a command, and from validation errors to what the page shows.

Pages show every error twice, as RGAA asks: in a summary at the top (links to the fields)
and under the field itself. Messages are plain French; a form never loses what was typed.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from ..domain.errors import DomainError
from ..domain.validation import french_errors

# What the API says in general terms ("Choisissez une valeur de la liste : ..."), a form
# says about its own field.
FIELD_MESSAGES = {
    "situation": "Choisissez la situation de l'usager.",
    "point_id": "Choisissez le point de contact.",
    "outcome": "Choisissez l'issue de la demande.",
    "useful": "Indiquez si l'accompagnement a été utile à l'usager.",
    "group_ids": "Choisissez au moins un organisme à saisir.",
    "group_id": "Choisissez l'organisme concerné.",
    "kind": "Choisissez une des réponses proposées.",
    "body": "Écrivez votre message.",
    "description": "Décrivez la demande de l'usager.",
    "question": "Écrivez votre question au partenaire.",
    "usager.first_name": "Indiquez le prénom de l'usager.",
    "usager.last_name": "Indiquez le nom de l'usager.",
}
GENERIC_TYPES = {"missing", "string_too_short", "enum", "literal_error", "bool_parsing", "bool_type", "too_short",
                 "string_pattern_mismatch", "list_type"}


@dataclass
class FormErrors:
    summary: list[dict[str, str | None]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.summary)

    @property
    def by_field(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for error in self.summary:
            if error["field"] and error["field"] not in found:
                found[error["field"]] = error["message"]
        return found

    def in_order(self, fields: Sequence[str]) -> list[dict[str, str | None]]:
        """The summary in the order of the form's fields, as a keyboard user meets them: errors
        of the whole page first (an expired page), then each field's in the form's order. A
        nested error ("usager.phone", "group_ids.0") takes its field's place."""
        def place(error: dict[str, str | None]) -> int:
            name = error["field"]
            if not name:
                return -1
            return next((i for i, f in enumerate(fields)
                         if name == f or name.startswith(f + ".") or f.startswith(name + ".")), len(fields))

        return sorted(self.summary, key=place)

    def add(self, field_name: str | None, message: str) -> None:
        self.summary.append({"field": field_name, "message": message})

    def add_validation(self, exc: ValidationError, raw_types: dict[str, str] | None = None) -> None:
        types = {".".join(str(p) for p in e["loc"]): e["type"] for e in exc.errors()}
        for error in french_errors(exc.errors()):
            name = error["field"]
            generic = types.get(name) in GENERIC_TYPES or error["message"] == "Ce champ est obligatoire."
            if name in FIELD_MESSAGES and generic:
                error = {"field": name, "message": FIELD_MESSAGES[name]}
            elif name and name.startswith("group_ids."):
                error = {"field": "group_ids", "message": "Cet organisme n'est pas proposé ici."}
            self.summary.append(error)

    def add_domain(self, exc: DomainError) -> None:
        for error in getattr(exc, "errors", None) or [{"field": exc.field, "message": exc.message}]:
            self.summary.append({"field": error.get("field"), "message": error["message"]})


def validate(model: type[BaseModel], data: dict, errors: FormErrors):
    """The command, or None with its errors added."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors.add_validation(exc)
        return None


def text(fields: dict[str, str], name: str) -> str | None:
    """A text field; empty means absent."""
    value = (fields.get(name) or "").strip()
    return value or None


def checked(fields: dict[str, str], name: str) -> bool:
    return name in fields


def yes_no(fields: dict[str, str], name: str) -> bool | None:
    return {"oui": True, "non": False}.get(fields.get(name, ""))
