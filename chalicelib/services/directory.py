"""The directory: territories, contact points, organisations, referent groups and users.

Admins import it from CSV (comma or semicolon separated, as spreadsheets export it), with a
dry run that previews the changes. A file with any bad row writes nothing.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from enum import StrEnum

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from ..adapters import keys
from ..adapters.dynamo import to_item
from ..bootstrap import Deps
from ..domain import authz
from ..domain.authz import Principal
from ..domain.errors import InvalidInput, NotFound
from ..domain.models import ContactPoint, Organisation, ReferentGroup, Role, Territory, User
from ..domain.territories import DEPARTEMENTS
from ..domain.validation import french_errors
from ..domain.views import DirectoryView, ImportReport
from .auth import user_id_for_email
from .common import event

logger = Logger(child=True)
MAX_ROWS = 5000


class DirectoryKind(StrEnum):
    ORGANISATIONS = "organisations"
    CONTACT_POINTS = "contact_points"
    REFERENT_GROUPS = "referent_groups"
    USERS = "users"


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").replace(",", " ").replace("|", " ").split() if part]


def _rows(text: str) -> list[dict[str, str]]:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InvalidInput("Le fichier CSV est vide.", field="csv")
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"Le fichier dépasse {MAX_ROWS} lignes : découpez-le.", field="csv")
    return rows


def _display_name(email: str) -> str:
    local = email.split("@")[0].replace(".", " ").replace("_", " ").replace("-", " ")
    return " ".join(part.capitalize() for part in local.split()) or email


class _Import:
    """Validates rows into entities, collecting French errors per row and field."""

    def __init__(self, deps: Deps, kind: DirectoryKind):
        self.deps = deps
        self.kind = kind
        self.errors: list[dict] = []

    def parse(self, rows: list[dict[str, str]], build: Callable[[dict[str, str]], object]) -> list:
        entities = []
        for number, row in enumerate(rows, start=2):  # line 1 is the header
            try:
                entity = build(row)
            except ValidationError as exc:
                self.errors += [{"row": number, **e} for e in french_errors(exc.errors())]
                continue
            except InvalidInput as exc:
                self.errors.append({"row": number, "field": exc.field, "message": exc.message})
                continue
            entities.append(entity)
        return entities

    def fail(self, number: int, field: str, message: str) -> None:
        self.errors.append({"row": number, "field": field, "message": message})


def _territory(code: str) -> Territory:
    name = DEPARTEMENTS.get(code.upper())
    if name is None:
        raise InvalidInput("Ce code de département n'existe pas.", field="territory_code")
    return Territory(code=code.upper(), name=name)


def import_csv(deps: Deps, principal: Principal, kind: str, text: str, dry_run: bool) -> ImportReport:
    authz.require_admin(principal)
    try:
        kind = DirectoryKind(kind)
    except ValueError as exc:
        raise NotFound("Ce type d'import n'existe pas : organisations, contact_points, "
                       "referent_groups ou users.") from exc
    rows = _rows(text)
    job = _Import(deps, kind)
    repo = deps.repo
    items: list[dict] = []
    existing_ids: set[str] = set()

    if kind is DirectoryKind.ORGANISATIONS:
        organisations = job.parse(rows, lambda r: Organisation(
            id=r.get("id", ""), name=r.get("name", ""), short_name=r.get("short_name") or r.get("name", "")[:30]))
        items = [to_item(o, keys.organisation(o.id, listed=True)) for o in organisations]
        existing_ids = {o.id for o in repo.list_organisations()}
        ids = [o.id for o in organisations]

    elif kind is DirectoryKind.CONTACT_POINTS:
        points = job.parse(rows, lambda r: ContactPoint(
            id=r.get("id", ""), territory_code=_territory(r.get("territory_code", "")).code,
            name=r.get("name", ""), kind=r.get("kind", ""), phone=r.get("phone") or None,
            address=r.get("address") or None))
        territories = {p.territory_code: _territory(p.territory_code) for p in points}
        items = ([to_item(t, keys.territory(t.code)) for t in territories.values()]
                 + [to_item(p, keys.point(p.id, p.territory_code)) for p in points])
        existing_ids = {p.id for code in territories for p in repo.territory_directory(code)[0]}
        ids = [p.id for p in points]

    elif kind is DirectoryKind.REFERENT_GROUPS:
        groups = job.parse(rows, lambda r: ReferentGroup(
            id=r.get("id", ""), organisation_id=r.get("organisation_id", ""),
            territory_code=_territory(r.get("territory_code", "")).code, name=r.get("name", ""),
            member_emails=[e.lower() for e in _split(r.get("member_emails"))],
            shared_mailbox=(r.get("shared_mailbox") or "").lower() or None,
            answer_days=r.get("answer_days") or 4))
        known_orgs = {o.id for o in repo.list_organisations()}
        for number, group in enumerate(groups, start=2):
            if group.organisation_id not in known_orgs:
                job.fail(number, "organisation_id", "Cet organisme n'existe pas : importez d'abord les organismes.")
        previous = repo.get_groups(g.id for g in groups)
        existing_ids = set(previous)
        items = [to_item(g, keys.group(g.id, g.territory_code)) for g in groups]
        items += _referent_users(deps, groups, previous, job)
        territories = {g.territory_code: _territory(g.territory_code) for g in groups}
        items += [to_item(t, keys.territory(t.code)) for t in territories.values()]
        ids = [g.id for g in groups]

    else:
        users = job.parse(rows, lambda r: User(
            id=user_id_for_email(r.get("email", "")), email=r.get("email", "").lower(),
            display_name=r.get("display_name") or _display_name(r.get("email", "")),
            role=r.get("role") or Role.AGENT.value, point_ids=_split(r.get("point_ids")),
            territory_codes=[c.upper() for c in _split(r.get("territory_codes"))]))
        for number, user in enumerate(users, start=2):
            if user.role is Role.REFERENT:
                job.fail(number, "role", "Les référents sont importés avec leur groupe (referent_groups).")
            if user.role is Role.AGENT and not user.point_ids:
                job.fail(number, "point_ids", "Un agent est rattaché à au moins un point de contact.")
            if user.role is Role.COORDINATOR and not user.territory_codes:
                job.fail(number, "territory_codes", "Un coordinateur suit au moins un territoire.")
            for code in user.territory_codes:
                if code not in DEPARTEMENTS:
                    job.fail(number, "territory_codes", f"Le département {code} n'existe pas.")
        wanted_points = {p for u in users for p in u.point_ids}
        for point_id in wanted_points:
            if repo.get_point(point_id) is None:
                job.fail(0, "point_ids", f"Le point de contact « {point_id} » n'existe pas.")
        existing_ids = set(repo.get_users(u.id for u in users))
        items = [to_item(u, keys.user(u.id)) for u in users]
        ids = [u.id for u in users]

    duplicates = {i for i in ids if ids.count(i) > 1}
    for duplicate in sorted(duplicates):
        job.fail(0, "id", f"L'identifiant « {duplicate} » apparaît plusieurs fois.")
    report = ImportReport(kind=kind.value, dry_run=dry_run, rows=len(rows),
                          created=len(set(ids) - existing_ids), updated=len(set(ids) & existing_ids),
                          errors=job.errors)
    if job.errors and not dry_run:
        raise InvalidInput("Le fichier contient des erreurs : rien n'a été importé.", field="csv",
                           errors=[{"field": f"ligne {e['row']} : {e['field']}" if e["row"] else e["field"],
                                    "message": e["message"]} for e in job.errors])
    if not dry_run:
        repo.put_many(items)
        repo.add_event(event("DIRECTORY_IMPORTED", principal.user_id, deps.now(),
                             kind=kind.value, rows=str(len(rows))))
        logger.info("directory imported", extra={"kind": kind.value, "rows": len(rows)})
    return report


def _referent_users(deps: Deps, groups: list[ReferentGroup], previous: dict[str, ReferentGroup],
                    job: _Import) -> list[dict]:
    """Referents are the members of their groups: add and remove group ids to match."""
    members: dict[str, set[str]] = {}
    for group in groups:
        for email in group.member_emails:
            members.setdefault(email, set()).add(group.id)
    removed = {email: group.id for group in groups if group.id in previous
               for email in previous[group.id].member_emails if email not in group.member_emails}
    emails = set(members) | set(removed)
    existing = deps.repo.get_users(user_id_for_email(e) for e in emails)
    items = []
    for email in sorted(emails):
        user = existing.get(user_id_for_email(email))
        if user and user.role is not Role.REFERENT:
            job.fail(0, "member_emails", "Une adresse de référent est déjà celle d'un autre compte.")
            continue
        group_ids = set(user.group_ids if user else [])
        group_ids |= members.get(email, set())
        if email in removed and email not in members:
            group_ids.discard(removed[email])
        updated = User(id=user_id_for_email(email), email=email, role=Role.REFERENT,
                       display_name=user.display_name if user else _display_name(email),
                       group_ids=sorted(group_ids))
        items.append(to_item(updated, keys.user(updated.id)))
    return items


def read_directory(deps: Deps, principal: Principal, territory_code: str) -> DirectoryView:
    """Any signed-in user reads a territory's directory; only admins see referents' addresses."""
    code = territory_code.upper()
    if principal.role is Role.COORDINATOR:
        authz.require_territory_reader(principal, code)
    if code not in DEPARTEMENTS:
        raise NotFound("Ce territoire n'existe pas.", field="territory")
    points, groups = deps.repo.territory_directory(code)
    if principal.role is not Role.ADMIN:
        groups = [g.model_copy(update={"member_emails": [], "shared_mailbox": None}) for g in groups]
    return DirectoryView(territory=Territory(code=code, name=DEPARTEMENTS[code]),
                         contact_points=points, referent_groups=groups,
                         organisations=deps.repo.list_organisations())


def list_territories(deps: Deps) -> list[Territory]:
    return deps.repo.list_territories()
