"""The published results, kept up to date from the table's stream, checked against the source
data (services/results_check.py), and read for the public page, the open data and the quarterly report.

Every publication of figures goes through `publication`: the cells of the period's quarter and
months, protected together by domain/disclosure.py (primary and secondary suppression).

Each stored change of a case or an escalation adds contribution(new) - contribution(old)
(domain/results.py) to the cells it touches. A stream batch's changes are summed per cell and
written together (`apply_batch`): one transaction per up to 100 items, with a guard per source
that remembers the item's last applied version, so a replayed record adds nothing twice and a
busy cell (the national one) is written once per batch, not once per record.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from ..bootstrap import Deps
from ..domain import disclosure, results
from ..domain.models import Case, Escalation

logger = Logger(service="relais", child=True)
GUARD_DAYS = 3          # stream records live 24 hours: the guard outlives any replay
MODELS: dict[str, type[Case] | type[Escalation]] = {"Case": Case, "Escalation": Escalation}


def _entity(image: dict | None, kind: str):
    if not image or image.get("type") != kind:
        return None
    model = MODELS[kind]
    return model.model_validate({k: v for k, v in image.items() if k in model.model_fields})


def contribution(item) -> results.Contribution:
    if isinstance(item, Case):
        return results.case_contribution(item)
    if isinstance(item, Escalation):
        return results.escalation_contribution(item)
    return Counter()


@dataclass(frozen=True)
class Change:
    """What one stream record adds to the cells: its source item, the version it reached."""

    source: tuple[str, str]
    version: int
    cells: dict[results.Cell, dict[str, int]]


def change_of(record) -> Change | None:
    """A stream record's change to the results, if any: a case or an escalation written.
    Removals (retention) are not subtracted: published figures keep the cases whose personal
    data has been erased. Most changes (a message, a ladder stage) move no figure: None."""
    if record.event_name is None or record.event_name.name not in ("INSERT", "MODIFY"):
        return None
    stream = record.dynamodb
    new_image = stream.new_image if stream else None
    kind = (new_image or {}).get("type")
    if new_image is None or kind not in MODELS:
        return None
    new = _entity(new_image, kind)
    old = _entity(stream.old_image, kind) if record.event_name.name == "MODIFY" else None
    change = results.delta(contribution(old), contribution(new))
    if not change:
        return None
    return Change((new_image["PK"], new_image["SK"]), new.version, results.by_cell(change))


TRANSACTION_ITEMS = 100          # DynamoDB's limit per transaction: guards and cells together


def _chunks(changes: list[Change]) -> list[list[Change]]:
    """The changes in order, in groups that fit one transaction: one change per source in a
    group (a later change of the same source goes to a later group), guards and summed cells
    at most TRANSACTION_ITEMS."""
    chunks: list[list[Change]] = []
    current: list[Change] = []
    cells: set = set()
    for change in changes:
        grown = cells | set(change.cells)
        if current and (change.source in {c.source for c in current}
                        or len(current) + 1 + len(grown) > TRANSACTION_ITEMS):
            chunks.append(current)
            current, grown = [], set(change.cells)
        current.append(change)
        cells = grown
    return [*chunks, current] if current else chunks


def apply_batch(deps: Deps, changes: list[Change]) -> list[Change]:
    """A stream batch's changes added to the cells, summed per cell: one update per cell and
    transaction, not one per record, so a busy national cell is written once per batch. A
    change already applied (a replay) is dropped; a conflict with another batch is retried.
    Returns the changes that could not be applied (their records are retried)."""
    from .common import retry_on_conflict

    expires = deps.now() + timedelta(days=GUARD_DAYS)
    chunks = _chunks(changes)
    for number, chunk in enumerate(chunks):
        def attempt(pending: list[Change] = chunk) -> None:
            while pending:
                refused = deps.repo.apply_results_batch(
                    [(c.source, c.version, c.cells) for c in pending], expires)
                if not refused:
                    return
                logger.info("results: records already applied", extra={"records": len(refused)})
                pending = [c for i, c in enumerate(pending) if i not in refused]

        try:
            retry_on_conflict(attempt, attempts=8)
        except Exception:  # noqa: BLE001 - the stream retries these records
            # This group and every later one wait: a later change of the same source applied
            # first would make the guard refuse this one for good.
            logger.exception("results: a batch's changes not applied; the stream retries them")
            return [c for later in chunks[number:] for c in later]
    return []


def on_record(deps: Deps, record) -> None:
    """One record alone (tests, tools): the same as a batch of one."""
    change = change_of(record)
    if change is not None and apply_batch(deps, [change]):
        raise RuntimeError("results: the record's change was not applied")


def stored(deps: Deps, period: str, kind: str | None = None) -> dict[results.Cell, dict[str, int]]:
    return deps.repo.read_results(period, kind)


def structure(deps: Deps) -> disclosure.Structure:
    """The directory as the suppression's relations need it: one query per territory, plus the
    list of territories and of organisations (bounded by the directory, not by the cases)."""
    points: dict[str, str] = {}
    groups: dict[str, tuple[str, str]] = {}
    territories: set[str] = set()
    for territory in deps.repo.list_territories():
        territories.add(territory.code)
        territory_points, territory_groups = deps.repo.territory_directory(territory.code)
        points |= {p.id: p.territory_code for p in territory_points}
        groups |= {g.id: (g.territory_code, g.organisation_id) for g in territory_groups}
    return disclosure.Structure(points=points, groups=groups, territories=frozenset(territories),
                                networks=frozenset(o.id for o in deps.repo.list_organisations()))


def publication(deps: Deps, period: str, now=None) -> disclosure.Publication:
    """What may be published for the period: reads its quarter's and months' partitions
    (O(cells)) and the directory, then withholds what k-anonymity and differencing require."""
    cells: dict[results.Cell, dict[str, int]] = {}
    for each in disclosure.periods_of(period):
        cells |= stored(deps, each)
    return disclosure.protect(period, cells, structure(deps), current_month=results.month(now or deps.now()))


# --- the published figures, as a document: what a view reads ---------------------------------

PUBLISHED_PREFIX = "published/"
NATIONAL_PART = "national"          # the territories, the networks and France; a territory's part: its points and groups
PART_KINDS = {NATIONAL_PART: ("territory", "network", "national"), "territory": ("point", "group")}


@dataclass(frozen=True)
class Published:
    """One part of a period's publication, as stored: the figures of every scope of its kinds.
    Read like a disclosure.Publication (`figures`, `scopes`) by the pages and the open data."""

    period: str
    built_at: datetime
    rows: dict[str, dict[str, dict]]            # kind -> scope id -> the Figures' fields

    def figures(self, kind: str, scope_id: str) -> results.Figures:
        found = self.rows.get(kind, {}).get(scope_id)
        return results.Figures(**found) if found is not None else results.figures({})

    def scopes(self, kind: str) -> list[str]:
        return sorted(self.rows.get(kind, {}))

    def text(self) -> str:
        return json.dumps({"period": self.period, "built_at": self.built_at.isoformat(), "rows": self.rows})

    @classmethod
    def of(cls, text: bytes | str) -> Published:
        data = json.loads(text)
        return cls(data["period"], datetime.fromisoformat(data["built_at"]), data["rows"])


def _parts(publication: disclosure.Publication, built_at: datetime) -> dict[str, Published]:
    """The national part and every territory's, from one publication."""
    def row(kind: str, scope_id: str) -> dict:
        return asdict(publication.figures(kind, scope_id))

    structure = publication.structure
    parts = {NATIONAL_PART: Published(publication.period, built_at, {
        kind: {scope: row(kind, scope) for scope in publication.scopes(kind)}
        for kind in PART_KINDS[NATIONAL_PART]})}
    for code in structure.territories:
        parts[code] = Published(publication.period, built_at, {
            "point": {p: row("point", p) for p, territory in structure.points.items() if territory == code},
            "group": {g: row("group", g) for g, (territory, _) in structure.groups.items() if territory == code}})
    return parts


def published(deps: Deps, period: str, part: str = NATIONAL_PART) -> Published:
    """A part of the period's publication (NATIONAL_PART or a territory's code), as a view reads
    it: one S3 object, O(what the page shows). With RELAIS_RESULTS_CACHE_SECONDS > 0 a part
    older than that is rebuilt by the view that finds it so, with every other part of the
    period (one publication: O(cells of France), once per period and interval); with 0, each
    view computes the publication (the dev stage, the tests)."""
    from ..adapters.errors import NotStored

    now = deps.now()
    seconds = deps.settings.results_cache_seconds
    key = f"{PUBLISHED_PREFIX}{period}/{part}.json"
    if seconds:
        try:
            stored_part = Published.of(deps.documents.fetch(key).data)
            if timedelta(0) <= now - stored_part.built_at < timedelta(seconds=seconds):
                return stored_part
        except NotStored:
            pass
    parts = _parts(publication(deps, period, now), now)
    if seconds:
        from concurrent.futures import ThreadPoolExecutor

        def put(name: str) -> None:
            deps.documents.put(f"{PUBLISHED_PREFIX}{period}/{name}.json", parts[name].text().encode(),
                               content_type="application/json")

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(put, parts))
        logger.info("published figures rebuilt", extra={"period": period, "parts": len(parts)})
    return parts.get(part) or Published(period, now, {})
