"""The admin's directory import: upload a CSV, read the preview, then apply it."""
from __future__ import annotations

from email import message_from_bytes
from email.policy import HTTP
from urllib.parse import urlencode

from ..domain.errors import DomainError, NotFound
from ..domain.models import Role
from ..services import directory
from . import pages
from .forms import FormErrors
from .session import handler, require, territory_codes

KINDS = [(kind.value, label, ";".join(directory.columns(kind))) for kind, label in (
    (directory.DirectoryKind.ORGANISATIONS, "Organismes partenaires"),
    (directory.DirectoryKind.CONTACT_POINTS, "Points de contact"),
    (directory.DirectoryKind.REFERENT_GROUPS, "Groupes de référents"),
    (directory.DirectoryKind.USERS, "Agents, coordinateurs et administrateurs"),
)]
KIND_LABELS = {kind: label for kind, label, _ in KINDS}
# What the applied import's notice repeats, from the address it redirects to (counts only).
COUNTS = (("crees", "créée", "créées"), ("modifiees", "modifiée", "modifiées"),
          ("inchangees", "inchangée", "inchangées"))


def applied_notice(query: dict[str, str]) -> str | None:
    """« L'import des points de contact est appliqué : 3 lignes créées, 2 modifiées, 40 inchangées. »"""
    if query.get("fait") != "importe":
        return None
    label = KIND_LABELS.get(query.get("type", ""))
    counts = []
    for name, one, several in COUNTS:
        value = query.get(name, "")
        if value.isdigit() and len(value) <= 6:
            number = int(value)
            counts.append(f"{number} {one if number <= 1 else several}")
    what = f"L'import « {label} » est appliqué" if label else "L'import est appliqué"
    if len(counts) != len(COUNTS):
        return f"{what} : l'annuaire est à jour."
    return f"{what} : l'annuaire est à jour. Lignes : {', '.join(counts)}."


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
            filename = part.get_param("filename", header="content-disposition")
            if filename:   # a file was chosen (its name is never kept: only that there is one)
                fields[f"{name}.chosen"] = b"1"
    return fields


def _page(request, user, *, status=200, errors=None, kind="", notice=None, preview=None):
    errors = errors or FormErrors()
    return pages.view(request, "directory.html", user=user, current="/annuaire", status=status,
                      kinds=KINDS, kind=kind, kind_labels=KIND_LABELS, errors=errors.by_field,
                      summary=errors.summary, notice=notice, preview=preview)


@handler
def form(deps, request):
    _, user = require(deps, request, Role.ADMIN)
    return _page(request, user, notice=applied_notice(request.query_params or {}))


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
    elif not parts.get("csv.chosen") and not parts.get("csv"):
        errors.add("csv", "Choisissez un fichier CSV.")
    elif not parts.get("csv"):
        errors.add("csv", "Le fichier est vide : choisissez le fichier CSV exporté de votre tableur.")
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
        report = directory.apply_staged(deps, principal, fields.get("import", ""))
    except DomainError as refused:
        errors.add_domain(refused)
        for error in errors.summary:
            error["field"] = None
        return _page(request, user, status=400, errors=errors)
    counts = {"crees": report.created, "modifiees": report.updated - report.unchanged,
              "inchangees": report.unchanged}
    return pages.redirect(f"/annuaire?{urlencode({'fait': 'importe', 'type': report.kind, **counts})}")


# --- what is loaded -----------------------------------------------------------------------------

LISTINGS = [("organismes", directory.DirectoryKind.ORGANISATIONS, "Organismes"),
            ("points", directory.DirectoryKind.CONTACT_POINTS, "Points de contact"),
            ("groupes", directory.DirectoryKind.REFERENT_GROUPS, "Groupes de référents"),
            ("utilisateurs", directory.DirectoryKind.USERS, "Utilisateurs")]
ROLE_LABELS = {Role.AGENT: "Agent", Role.REFERENT: "Référent", Role.COORDINATOR: "Coordinateur",
               Role.ADMIN: "Administrateur", Role.USAGER: "Usager", Role.RESPONDER: "Répondant",
               Role.MODERATOR: "Modérateur"}


@handler
def loaded(deps, request):
    """The directory as loaded: organisations, a territory's points or groups, the users."""
    principal, user = require(deps, request, Role.ADMIN)
    query = request.query_params or {}
    slug = query.get("type", "points")
    listing = next((entry for entry in LISTINGS if entry[0] == slug), None)
    if listing is None:
        raise NotFound("Cette liste n'existe pas.")
    codes = territory_codes(deps, principal)
    code = (query.get("code") or (codes[0] if codes else "61")).upper()
    items, cursor = directory.loaded_page(deps, principal, listing[1], code, query.get("suite"))
    scoped = listing[1] in (directory.DirectoryKind.CONTACT_POINTS, directory.DirectoryKind.REFERENT_GROUPS)
    return pages.view(request, "directory_loaded.html", user=user, current="/annuaire/contenu",
                      listings=LISTINGS, slug=slug, label=listing[2], items=items, cursor=cursor,
                      codes=codes, code=code, scoped=scoped, role_labels=ROLE_LABELS,
                      first_page=not query.get("suite"))
