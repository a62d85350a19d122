"""The published results, kept up to date from the table's stream, checked against the source
data (services/results_check.py), and read for the public page, the open data and the quarterly report.

Every publication of figures goes through `publication`: the cells of the period's quarter and
months, protected together by domain/disclosure.py (primary and secondary suppression).

Each stored change of a case or an escalation adds contribution(new) - contribution(old)
(domain/results.py) to the cells it touches, in one transaction with a guard that remembers
the item's last applied version: a replayed stream record adds nothing twice.
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


def on_record(deps: Deps, record) -> None:
    """A stream record: a case or an escalation written. Removals (retention) are not
    subtracted: published figures keep the cases whose personal data has been erased."""
    if record.event_name is None or record.event_name.name not in ("INSERT", "MODIFY"):
        return
    stream = record.dynamodb
    new_image = stream.new_image if stream else None
    kind = (new_image or {}).get("type")
    if new_image is None or kind not in MODELS:
        return
    new = _entity(new_image, kind)
    old = _entity(stream.old_image, kind) if record.event_name.name == "MODIFY" else None
    change = results.delta(contribution(old), contribution(new))
    if not change:
        return          # most changes (a message, a ladder stage) move no figure: no write
    applied = deps.repo.apply_results(
        source=(new_image["PK"], new_image["SK"]), version=new.version, cells=results.by_cell(change),
        guard_expires_at=deps.now() + timedelta(days=GUARD_DAYS))
    if not applied:
        logger.info("results: record already applied", extra={"version": new.version})


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
