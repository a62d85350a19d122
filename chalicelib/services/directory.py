"""The directory: territories, contact points, organisations, referent groups and users.

Admins import it from CSV (comma or semicolon separated, as spreadsheets export it), with a
dry run that previews the changes. A file with any bad row writes nothing.
"""
from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from ..adapters.errors import NotStored
from ..bootstrap import Deps
from ..domain import authz, visibility
from ..domain.authz import Principal
from ..domain.errors import InvalidInput, NotFound
from ..domain.events import EventCode
from ..domain.models import (
    ContactPoint,
    Organisation,
    ReferentGroup,
    ResponderLevel,
    ResponderTeam,
    Role,
    Territory,
    User,
)
from ..domain.people import name_from_email
from ..domain.territories import DEPARTEMENTS, REGIONS
from ..domain.validation import french_errors
from ..views import DirectoryView, ImportReport
from .auth import new_user_id
from .common import event

logger = Logger(service="relais", child=True)
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024


class DirectoryKind(StrEnum):
    ORGANISATIONS = "organisations"
    CONTACT_POINTS = "contact_points"
    REFERENT_GROUPS = "referent_groups"
    RESPONDER_TEAMS = "responder_teams"
    USERS = "users"


# Each kind's columns: those a file must have, then those it may have (an older file without
# them still imports). The admin page's hints read them too.
COLUMNS: dict[DirectoryKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    DirectoryKind.ORGANISATIONS: (("id", "name"), ("short_name",)),
    DirectoryKind.CONTACT_POINTS: (("id", "territory_code", "name", "kind"), ("phone", "address")),
    DirectoryKind.REFERENT_GROUPS: (("id", "organisation_id", "territory_code", "name", "member_emails"),
                                    ("shared_mailbox", "answer_days", "manager_email")),
    DirectoryKind.RESPONDER_TEAMS: (("id", "organisation_id", "level", "area", "name", "member_emails"),
                                    ("shared_mailbox",)),
    DirectoryKind.USERS: (("email",), ("display_name", "role", "point_ids", "territory_codes")),
}

Row = dict[str, str]
_EXTRA = "__extra__"
_SHORT = "__short__"


def columns(kind: DirectoryKind) -> list[str]:
    required, optional = COLUMNS[kind]
    return [*required, *optional]


def _check_columns(kind: DirectoryKind, header: list[str]) -> list[str]:
    """Refuse a file whose header is not that of the kind chosen (a users file imported as
    points): a required column missing, or a column of another kind only. Returns the columns
    that are nobody's, which import as a warning (a column added later, a note)."""
    expected = columns(kind)
    missing = [c for c in COLUMNS[kind][0] if c not in header]
    others = {c for k in DirectoryKind if k is not kind for c in columns(k)} - set(expected)
    foreign = [c for c in header if c in others]
    if missing or foreign:
        details = [f"il manque : {', '.join(missing)}" if missing else "",
                   f"ces colonnes sont d'un autre type de fichier : {', '.join(foreign)}" if foreign else ""]
        raise InvalidInput(f"Ce fichier n'a pas les colonnes de ce type d'import "
                           f"({' ; '.join(d for d in details if d)}). Colonnes attendues : "
                           f"{';'.join(expected)}. Vérifiez le type choisi, ou l'en-tête du fichier.",
                           field="csv")
    return [c for c in header if c and c not in expected]


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").replace(",", " ").replace("|", " ").split() if part]


def decode_csv(data: bytes | str) -> str:
    """UTF-8 (with or without BOM), or Windows-1252 as French spreadsheets often export it;
    the one place the BOM is taken off, text included."""
    if isinstance(data, bytes):
        raw = data
        try:
            data = raw.decode("utf-8")
        except UnicodeDecodeError:
            data = raw.decode("cp1252", errors="replace")
    return data.lstrip("\ufeff")


NOT_TEXT = ("Ce fichier n'est pas un fichier CSV : il contient des données binaires (un classeur "
            ".xlsx ou .ods, un PDF, une image ?). Enregistrez-le au format CSV depuis votre tableur.")


def _require_text(text: str) -> None:
    """A CSV is text: a NUL or another control character (but tab and line breaks) says the
    file is binary, whatever its name."""
    sample = text[:65536]
    if any(ord(c) < 32 and c not in "\t\r\n" for c in sample) or "\ufffd" in sample:
        raise InvalidInput(NOT_TEXT, field="csv")


def _rows(text: str) -> tuple[list[str], list[tuple[int, Row]]]:
    """The header and the (line number, row) pairs; a row with more cells than the header keeps
    them under _EXTRA, one with fewer says how many under _SHORT."""
    if not text.strip():
        raise InvalidInput("Le fichier CSV est vide.", field="csv")
    _require_text(text)
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter, restkey=_EXTRA)
    rows: list[tuple[int, Row]] = []
    try:
        header = [(name or "").strip() for name in (reader.fieldnames or [])]
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise InvalidInput(f"Le fichier dépasse {MAX_ROWS} lignes : découpez-le.", field="csv")
            cleaned = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k != _EXTRA}
            if row.get(_EXTRA):
                cleaned[_EXTRA] = "yes"
            cells = sum(1 for k, v in row.items() if k != _EXTRA and v is not None)
            if cells < len(header):
                cleaned[_SHORT] = str(cells)
            rows.append((reader.line_num, cleaned))
    except csv.Error as exc:
        raise InvalidInput(f"Le fichier CSV est mal formé à la ligne {reader.line_num} "
                           "(guillemet non refermé ?).", field="csv") from exc
    if not rows:
        raise InvalidInput("Le fichier ne contient que son en-tête : aucune ligne à importer.", field="csv")
    return header, rows


Entity = TypeVar("Entity")


class _Import:
    """Validates rows into entities, collecting French errors per line and field, and warnings:
    what imports but deserves a look."""

    def __init__(self) -> None:
        self.errors: list[dict] = []
        self.warnings: list[dict] = []

    def parse(self, rows: list[tuple[int, Row]], build: Callable[[Row], Entity]) -> list[tuple[int, Entity]]:
        entities: list[tuple[int, Entity]] = []
        for number, row in rows:
            if _EXTRA in row:
                self.fail(number, "colonnes", "Cette ligne a plus de colonnes que l'en-tête. Une valeur "
                                              "contient-elle le séparateur ? Mettez-la entre guillemets.")
                continue
            if _SHORT in row:
                cells = int(row[_SHORT])
                self.fail(number, "colonnes", f"Cette ligne n'a que {cells} colonne{'s' if cells > 1 else ''}, "
                                              f"moins que l'en-tête ({len(row) - 1}) : complétez-la, "
                                              "avec des cellules vides s'il le faut.")
                continue
            try:
                entity = build(row)
            except ValidationError as exc:
                self.errors += [{"row": number, **e} for e in french_errors(exc.errors())]
                continue
            except InvalidInput as exc:
                self.fail(number, exc.field, exc.message)
                continue
            entities.append((number, entity))
        return entities

    def fail(self, number: int | None, field: str | None, message: str) -> None:
        self.errors.append({"row": number, "field": field, "message": message})

    def warn(self, number: int | None, field: str | None, message: str) -> None:
        self.warnings.append({"row": number, "field": field, "message": message})


def _territory(code: str) -> Territory:
    name = DEPARTEMENTS.get(code.upper())
    if name is None:
        raise InvalidInput("Ce code de département n'existe pas.", field="territory_code")
    return Territory(code=code.upper(), name=name)


def _organisations(repo, job: _Import, rows) -> tuple[list, list, dict[str, Any]]:
    parsed = job.parse(rows, lambda r: Organisation(
        id=r.get("id", ""), name=r.get("name", ""),
        short_name=r.get("short_name") or r.get("name", "")[:30]))
    return parsed, [o for _, o in parsed], {o.id: o for o in repo.list_organisations()}


def _contact_points(repo, job: _Import, rows) -> tuple[list, list, dict[str, Any]]:
    parsed = job.parse(rows, lambda r: ContactPoint(
        id=r.get("id", ""), territory_code=_territory(r.get("territory_code", "")).code,
        name=r.get("name", ""), kind=r.get("kind", ""), phone=r.get("phone") or None,
        address=r.get("address") or None))
    for number, point in parsed:
        if not point.phone:
            job.warn(number, "phone", "Ce point n'a pas de téléphone : les SMS aux usagers ne "
                                      "donneront pas de numéro à appeler.")
    territories = {p.territory_code: _territory(p.territory_code) for _, p in parsed}
    existing = {p.id: p for code in territories for p in repo.territory_directory(code)[0]}
    return parsed, [*territories.values(), *(p for _, p in parsed)], existing


def _referent_groups(repo, job: _Import, rows) -> tuple[list, list, dict[str, Any]]:
    parsed = job.parse(rows, lambda r: ReferentGroup(
        id=r.get("id", ""), organisation_id=r.get("organisation_id", ""),
        territory_code=_territory(r.get("territory_code", "")).code, name=r.get("name", ""),
        member_emails=[e.lower() for e in _split(r.get("member_emails"))],
        shared_mailbox=(r.get("shared_mailbox") or "").lower() or None,
        manager_email=(r.get("manager_email") or "").lower() or None,
        answer_days=r.get("answer_days") or 4))
    known_organisations = {o.id for o in repo.list_organisations()}
    for number, group in parsed:
        if group.organisation_id not in known_organisations:
            job.fail(number, "organisation_id", "Cet organisme n'existe pas : importez d'abord les organismes.")
    groups = [g for _, g in parsed]
    previous = repo.get_groups(g.id for g in groups)
    territories = {g.territory_code: _territory(g.territory_code) for g in groups}
    entities = [*groups, *_referent_users(repo, job, groups, previous), *territories.values()]
    return parsed, entities, dict(previous)


def _referent_users(repo, job: _Import, groups: list[ReferentGroup],
                    previous: dict[str, ReferentGroup]) -> list[User]:
    """Referents are their groups' members: the file decides membership of every group it lists."""
    listed = {g.id for g in groups}
    emails = ({e for g in groups for e in g.member_emails}
              | {e for g in previous.values() for e in g.member_emails})
    existing = repo.users_by_email(emails)
    users = []
    for email in sorted(emails):
        user = existing.get(email)
        if user and user.role is not Role.REFERENT:
            job.fail(None, "member_emails", f"L'adresse {email} est déjà celle d'un compte "
                                            f"qui n'est pas référent.")
            continue
        kept = set(user.group_ids if user else []) - listed
        group_ids = kept | {g.id for g in groups if email in g.member_emails}
        users.append(User(id=user.id if user else new_user_id(), email=email, role=Role.REFERENT,
                          display_name=user.display_name if user else name_from_email(email),
                          group_ids=sorted(group_ids)))
    return users


def _area(level: str, area: str) -> str:
    """The area a team's level covers: a département, a region (INSEE code), or FR."""
    area = area.strip().upper()
    if level == ResponderLevel.LOCAL.value and area not in DEPARTEMENTS:
        raise InvalidInput("Une équipe départementale a pour zone un code de département.", field="area")
    if level == ResponderLevel.REGIONAL.value and area not in REGIONS:
        raise InvalidInput("Une équipe régionale a pour zone un code de région (INSEE, ex. 28 pour "
                           "la Normandie).", field="area")
    if level == ResponderLevel.NATIONAL.value and area not in ("", "FR"):
        raise InvalidInput("Une équipe nationale a pour zone FR.", field="area")
    return area or "FR"


def _responder_teams(repo, job: _Import, rows) -> tuple[list, list, dict[str, Any]]:
    """Responder teams answer the experiences of their organisation in their area; their members
    sign in as responders (the file decides membership of every team it lists)."""
    parsed = job.parse(rows, lambda r: ResponderTeam(
        id=r.get("id", ""), organisation_id=r.get("organisation_id", ""), level=r.get("level", ""),
        area=_area(r.get("level", ""), r.get("area", "")), name=r.get("name", ""),
        member_emails=[e.lower() for e in _split(r.get("member_emails"))],
        shared_mailbox=(r.get("shared_mailbox") or "").lower() or None))
    known_organisations = {o.id for o in repo.list_organisations()}
    routes: dict[tuple[str, str, str], int] = {}
    for number, team in parsed:
        if team.organisation_id not in known_organisations:
            job.fail(number, "organisation_id", "Cet organisme n'existe pas : importez d'abord les organismes.")
        route = (team.organisation_id, team.level.value, team.area)
        if route in routes:
            job.fail(number, "area", f"Une autre équipe (ligne {routes[route]}) répond déjà pour cet "
                                     f"organisme à ce niveau et dans cette zone.")
        routes.setdefault(route, number)
    teams = [t for _, t in parsed]
    previous = repo.get_teams([t.id for t in teams])
    listed = {t.id for t in teams}
    emails = ({e for t in teams for e in t.member_emails}
              | {e for t in previous.values() for e in t.member_emails})
    existing = repo.users_by_email(emails)
    users = []
    for email in sorted(emails):
        user = existing.get(email)
        if user and user.role is not Role.RESPONDER:
            job.fail(None, "member_emails", f"L'adresse {email} est déjà celle d'un compte qui "
                                            f"ne répond pas aux expériences.")
            continue
        team_ids = (set(user.group_ids if user else []) - listed) | {t.id for t in teams if email in t.member_emails}
        users.append(User(id=user.id if user else new_user_id(), email=email, role=Role.RESPONDER,
                          display_name=user.display_name if user else name_from_email(email),
                          group_ids=sorted(team_ids)))
    return parsed, [*teams, *users], dict(previous)


_MEMBERS = (Role.REFERENT, Role.RESPONDER)    # their groups or teams come from their own file


def _users(repo, job: _Import, rows) -> tuple[list, list, dict[str, Any]]:
    existing = repo.users_by_email(r.get("email", "") for _, r in rows if "@" in r.get("email", ""))

    def build(row: Row) -> User:
        email = row.get("email", "").lower()
        known = existing.get(email)
        return User(id=known.id if known else new_user_id(), email=email,
                    display_name=row.get("display_name") or name_from_email(email),
                    role=row.get("role") or Role.AGENT.value, point_ids=_split(row.get("point_ids")),
                    territory_codes=[c.upper() for c in _split(row.get("territory_codes"))],
                    # a referent's row names them; their groups come from referent_groups
                    group_ids=known.group_ids if known and known.role in _MEMBERS else [])

    parsed = job.parse(rows, build)
    known_points: dict[str, bool] = {}
    for number, user in parsed:
        previous = existing.get(user.email)
        if user.role is Role.REFERENT and not (previous and previous.role is Role.REFERENT):
            job.fail(number, "role", "Les référents sont importés avec leur groupe (referent_groups) ; "
                                     "une ligne ici ne fait que donner le nom d'un référent déjà importé.")
        elif user.role is Role.REFERENT and (user.point_ids or user.territory_codes):
            job.fail(number, "role", "Un référent n'a ni point de contact ni territoire : ses groupes "
                                     "viennent de referent_groups.")
        elif user.role is not Role.REFERENT and previous and previous.role is Role.REFERENT:
            job.fail(number, "email", "Cette adresse est celle d'un référent : retirez-la d'abord "
                                      "de son groupe (referent_groups).")
        if user.role is Role.RESPONDER and not (previous and previous.role is Role.RESPONDER):
            job.fail(number, "role", "Les répondants sont importés avec leur équipe (responder_teams).")
        elif previous and previous.role is Role.RESPONDER and user.role is not Role.RESPONDER:
            job.fail(number, "email", "Cette adresse est celle d'un répondant : retirez-la d'abord "
                                      "de son équipe (responder_teams).")
        if user.role is Role.MODERATOR and not user.territory_codes:
            job.fail(number, "territory_codes", "Un modérateur suit au moins un territoire.")
        if user.role is Role.AGENT and not user.point_ids:
            job.fail(number, "point_ids", "Un agent est rattaché à au moins un point de contact.")
        if user.role is Role.COORDINATOR and not user.territory_codes:
            job.fail(number, "territory_codes", "Un coordinateur suit au moins un territoire.")
        for code in user.territory_codes:
            if code not in DEPARTEMENTS:
                job.fail(number, "territory_codes", f"Le département {code} n'existe pas.")
        for point_id in user.point_ids:
            if point_id not in known_points:
                known_points[point_id] = repo.get_point(point_id) is not None
            if not known_points[point_id]:
                job.fail(number, "point_ids", f"Le point de contact « {point_id} » n'existe pas.")
    users = [u for _, u in parsed]
    return parsed, users, {u.id: u for u in existing.values()}


_IMPORTERS = {
    DirectoryKind.ORGANISATIONS: _organisations,
    DirectoryKind.CONTACT_POINTS: _contact_points,
    DirectoryKind.REFERENT_GROUPS: _referent_groups,
    DirectoryKind.RESPONDER_TEAMS: _responder_teams,
    DirectoryKind.USERS: _users,
}


def import_csv(deps: Deps, principal: Principal, kind: str, data: bytes | str,
               dry_run: bool) -> ImportReport:
    authz.require_admin(principal)
    try:
        kind = DirectoryKind(kind)
    except ValueError as exc:
        raise NotFound("Ce type d'import n'existe pas : organisations, contact_points, "
                       "referent_groups, responder_teams ou users.", field="kind") from exc
    if len(data) > MAX_BYTES:
        raise InvalidInput("Le fichier dépasse 2 Mo : découpez-le.", field="csv")
    header, rows = _rows(decode_csv(data))
    ignored = _check_columns(kind, header)
    job = _Import()
    if ignored:
        job.warn(None, "colonnes", f"Colonnes inconnues, ignorées : {', '.join(ignored)}.")
    parsed, entities, existing = _IMPORTERS[kind](deps.repo, job, rows)
    lines_by_id: dict[str, list[int]] = {}
    for number, entity in parsed:
        # a user is known by address: a new one has no id yet worth comparing
        lines_by_id.setdefault(entity.email if isinstance(entity, User) else entity.id, []).append(number)
    for entity_id, lines in lines_by_id.items():
        for number in lines[1:]:
            job.fail(number, "id", f"« {entity_id} » apparaît déjà ligne {lines[0]}.")
    ids = {entity.id for _, entity in parsed}
    unchanged = {entity.id for _, entity in parsed if existing.get(entity.id) == entity}
    report = ImportReport(kind=kind.value, dry_run=dry_run, rows=len(rows),
                          created=len(ids - set(existing)), updated=len(ids & set(existing)),
                          unchanged=len(unchanged),
                          errors=sorted(job.errors, key=lambda e: e["row"] or 0),
                          warnings=sorted(job.warnings, key=lambda e: e["row"] or 0))
    if job.errors and not dry_run:
        raise InvalidInput(
            "Le fichier contient des erreurs : rien n'a été importé.", field="csv",
            errors=[{"field": f"ligne {e['row']} : {e['field']}" if e["row"] else e["field"],
                     "message": e["message"]} for e in report.errors])
    if not dry_run:
        deps.repo.put_directory(entities)
        deps.repo.add_event(event(EventCode.DIRECTORY_IMPORTED, principal.user_id, deps.now(),
                                  kind=kind.value, rows=str(len(rows))))
        logger.info("directory imported", extra={"kind": kind.value, "rows": len(rows)})
    return report


def read_directory(deps: Deps, principal: Principal, territory_code: str) -> DirectoryView:
    """Any signed-in user reads a territory's directory; its addresses as the policy allows
    (domain/visibility.py)."""
    code = territory_code.upper()
    if principal.role is Role.COORDINATOR:
        authz.require_territory_reader(principal, code)
    if code not in DEPARTEMENTS:
        raise NotFound("Ce territoire n'existe pas.", field="territory")
    points, groups = deps.repo.territory_directory(code)
    return DirectoryView(territory=Territory(code=code, name=DEPARTEMENTS[code]),
                         contact_points=[visibility.point_as_seen_by(principal.role, p) for p in points],
                         referent_groups=[visibility.group_as_seen_by(principal.role, g) for g in groups],
                         organisations=deps.repo.list_organisations())


def list_territories(deps: Deps) -> list[Territory]:
    return deps.repo.list_territories()


# --- what the pages look up to name and offer things ----------------------------------------

def territory_entries(deps: Deps, code: str) -> tuple[list[ContactPoint], list[ReferentGroup]]:
    """A territory's contact points and partner groups (one Query)."""
    return deps.repo.territory_directory(code)


def points(deps: Deps, point_ids: Iterable[str]) -> list[ContactPoint]:
    """These contact points, in the order of their ids; an unknown id is left out."""
    found = (deps.repo.get_point(point_id) for point_id in point_ids)
    return [p for p in found if p is not None]


def groups(deps: Deps, group_ids: Iterable[str]) -> list[ReferentGroup]:
    """These partner groups, by name."""
    return sorted(deps.repo.get_groups(group_ids).values(), key=lambda g: g.name)


def organisation_short_names(deps: Deps) -> dict[str, str]:
    return {o.id: o.short_name for o in deps.repo.list_organisations()}


# --- the admin page's two steps: preview, then apply what was previewed ---------------------

PREVIEW_ROWS = 10


def _staged_key(import_id: str) -> str:
    return f"imports/{import_id}"


def stage_import(deps: Deps, principal: Principal, kind: str, data: bytes) -> tuple[str, ImportReport, list[list[str]]]:
    """A dry run of the file, kept (S3, private) so that "Appliquer" applies exactly what was
    previewed. Returns its id, the report and the first rows as the spreadsheet shows them."""
    import secrets

    report = import_csv(deps, principal, kind, data, dry_run=True)
    import_id = secrets.token_hex(16)
    deps.documents.put(_staged_key(import_id), data, metadata={"kind": report.kind, "user": principal.user_id})
    text = decode_csv(data)
    first_line = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    sample = list(itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter), PREVIEW_ROWS + 1))
    return import_id, report, sample


def apply_staged(deps: Deps, principal: Principal, import_id: str) -> ImportReport:
    """Apply a previewed file, once; by the admin who previewed it."""
    authz.require_admin(principal)
    if not import_id.isalnum() or len(import_id) != 32:
        raise NotFound("Cet aperçu n'existe plus : déposez le fichier de nouveau.", field="import")
    try:
        staged = deps.documents.fetch(_staged_key(import_id))
    except NotStored as exc:
        raise NotFound("Cet aperçu n'existe plus : déposez le fichier de nouveau.", field="import") from exc
    metadata = staged.metadata
    if metadata.get("user") != principal.user_id:
        raise NotFound("Cet aperçu n'existe plus : déposez le fichier de nouveau.", field="import")
    report = import_csv(deps, principal, metadata.get("kind", ""), staged.data, dry_run=False)
    deps.documents.delete(_staged_key(import_id))
    return report


# --- what is loaded: the admin's listing, a page at a time ----------------------------------

LOADED_PAGE = 50


def loaded_page(deps: Deps, principal: Principal, kind: DirectoryKind, territory_code: str,
                cursor: str | None) -> tuple[list, str | None]:
    """One page of the directory as loaded: the organisations (one partition, a few dozen), a
    territory's points or groups, or the users (by role). One bounded Query a page, never a Scan;
    admins only, who see every address (domain/visibility.py)."""
    authz.require_admin(principal)
    if kind is DirectoryKind.ORGANISATIONS:
        return sorted(deps.repo.list_organisations(), key=lambda o: o.name), None
    if kind is DirectoryKind.USERS:
        page = deps.repo.users_page(LOADED_PAGE, cursor)
        return page.items, page.cursor
    code = territory_code.upper()
    if code not in DEPARTEMENTS:
        raise NotFound("Ce territoire n'existe pas.", field="territory")
    if kind is DirectoryKind.CONTACT_POINTS:
        page = deps.repo.territory_points_page(code, LOADED_PAGE, cursor)
    else:
        page = deps.repo.territory_groups_page(code, LOADED_PAGE, cursor)
    return page.items, page.cursor


# --- the posters of a territory's points, a page at a time ------------------------------------

POSTERS_PAGE = 50


def poster_points(deps: Deps, principal: Principal, territory_code: str,
                  cursor: str | None) -> tuple[list[ContactPoint], str | None]:
    """A page of the territory's contact points, for printing their posters: its coordinators
    and admins (authz.require_poster_printer). One bounded Query a page, never a Scan."""
    code = territory_code.upper()
    authz.require_poster_printer(principal, code)
    if code not in DEPARTEMENTS:
        raise NotFound(authz.POSTERS_NOT_FOUND, field="territory")
    page = deps.repo.territory_points_page(code, POSTERS_PAGE, cursor)
    return page.items, page.cursor
