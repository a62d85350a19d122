"""The admin's directory import: upload a CSV, read the preview, then apply it."""
from __future__ import annotations

from email import message_from_bytes
from email.policy import HTTP

from ..domain.errors import DomainError
from ..domain.models import Role
from ..services import directory
from . import pages
from .forms import FormErrors
from .session import handler, require

KINDS = [
    ("organisations", "Organismes partenaires", "id;name;short_name"),
    ("contact_points", "Points de contact", "id;territory_code;name;kind;phone;address"),
    ("referent_groups", "Groupes de référents",
     "id;organisation_id;territory_code;name;member_emails;shared_mailbox;answer_days;manager_email"),
    ("users", "Agents, coordinateurs et administrateurs", "email;display_name;role;point_ids;territory_codes"),
]
KIND_LABELS = {kind: label for kind, label, _ in KINDS}
NOTICES = {"importe": "L'import est appliqué : l'annuaire est à jour."}


def parse_multipart(content_type: str | None, body: bytes | None) -> dict[str, bytes]:
    """The parts of a multipart/form-data body by field name, with the stdlib's MIME parser."""
    if not content_type or not content_type.lower().startswith("multipart/form-data") or not body:
        return {}
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = message_from_bytes(head + body, policy=HTTP)
    if not message.is_multipart():
        return {}
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name and name not in fields:
            fields[name] = part.get_payload(decode=True) or b""
    return fields


def _page(request, user, *, status=200, errors=None, kind="", notice=None, preview=None):
    errors = errors or FormErrors()
    return pages.view(request, "directory.html", user=user, current="/annuaire", status=status,
                      kinds=KINDS, kind=kind, kind_labels=KIND_LABELS, errors=errors.by_field,
                      summary=errors.summary, notice=notice, preview=preview)


@handler
def form(deps, request):
    _, user = require(deps, request, Role.ADMIN)
    return _page(request, user, notice=NOTICES.get((request.query_params or {}).get("fait", "")))


@handler
def preview(deps, request):
    principal, user = require(deps, request, Role.ADMIN)
    parts = parse_multipart(request.headers.get("content-type"), request.raw_body)
    kind = parts.get("kind", b"").decode("utf-8", errors="replace")
    errors = FormErrors()
    if not pages.csrf_ok(pages.cookie_csrf(request), parts.get("csrf", b"").decode("ascii", errors="replace")):
        errors.add(None, "La page a expiré. Déposez le fichier de nouveau.")
    elif kind not in KIND_LABELS:
        errors.add("kind", "Choisissez ce que contient le fichier.")
    elif not parts.get("csv"):
        errors.add("csv", "Choisissez un fichier CSV.")
    if errors:
        return _page(request, user, status=400, errors=errors, kind=kind)
    try:
        import_id, report, sample = directory.stage_import(deps, principal, kind, parts["csv"])
    except DomainError as refused:
        errors.add_domain(refused)
        for error in errors.summary:
            error["field"] = "csv"
        return _page(request, user, status=400, errors=errors, kind=kind)
    return _page(request, user, kind=kind, preview={"id": import_id, "report": report, "sample": sample})


@handler
def apply(deps, request):
    principal, user = require(deps, request, Role.ADMIN)
    fields = pages.form_fields(request.raw_body)
    errors = FormErrors()
    if not pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf")):
        errors.add(None, "La page a expiré. Déposez le fichier de nouveau.")
        return _page(request, user, status=400, errors=errors)
    try:
        directory.apply_staged(deps, principal, fields.get("import", ""))
    except DomainError as refused:
        errors.add_domain(refused)
        for error in errors.summary:
            error["field"] = None
        return _page(request, user, status=400, errors=errors)
    return pages.redirect("/annuaire?fait=importe")
