"""The published results, kept up to date from the table's stream, checked against the source
data (services/results_check.py), and read for the public page, the open data and the quarterly report.

Every publication of figures goes through `publication`: the cells of the period's quarter and
months, protected together by domain/disclosure.py (primary and secondary suppression).

Each stored change of a case or an escalation adds contribution(new) - contribution(old)
(domain/results.py) to the cells it touches, in two steps of the table's stream, with no
transaction (a transaction bills every item twice):

1. `journal`: the change is written once as an entry of its lane (one of LANES partitions,
   by source), a put refused when the entry is there, so a replayed record adds nothing.
2. `apply_entries`: the lane's partition comes back on the stream, in order, to one writer at
   a time. A batch's entries are summed per cell, and each cell takes one conditional ADD per
   lane that also moves the cell's mark for that lane: a replayed entry is at or below the
   mark and adds nothing. A busy cell (the national one) is written once per batch and lane,
   never in a transaction, so there is no conflict to retry and nothing waits on it.

Positions are the stream's sequence numbers, which follow the order in which records are
published to the stream. The weekly repair (services/results_check.py) writes cells whole
and keeps their marks.
"""
from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from ..bootstrap import Deps
from ..domain import disclosure, results
from ..domain import experience_indicators as experience_figures
from ..domain.models import Case, Escalation, Experience

logger = Logger(service="relais", child=True)
MODELS: dict[str, type[Case] | type[Escalation] | type[Experience]] = {
    "Case": Case, "Escalation": Escalation, "Experience": Experience}


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
    if isinstance(item, Experience):
        return experience_figures.contribution(item)
    return Counter()


@dataclass(frozen=True)
class Change:
    """What one stream record adds to the cells: its source item, the version it reached.
    An experience's cells (kinds `exp-...`, domain/experience_indicators.py) share the
    period's partition with the cases' and are summed the same way."""

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


LANES = 4                   # the entries' partitions: each is one ordered stream, with one writer
ENTRY_DAYS = 3              # stream records live 24 hours: an entry outlives any replay of its record
WRITERS = 8                 # concurrent writes of a batch's entries and cells
_journaled = False          # the dev stream's drain reads the entries this wrote (take_journaled)


def lane_of(source: tuple[str, str]) -> int:
    return zlib.crc32(source[0].encode()) % LANES


@dataclass(frozen=True)
class Entry:
    """A journaled change as its lane's stream hands it back: its position in the stream
    (zero-padded, so that positions compare as strings) and its amounts per cell."""

    lane: int
    position: str
    cells: dict[results.Cell, dict[str, int]]


def entry_of(record) -> Entry | None:
    """A stream record's journaled entry, if it is one (an INSERT of a ResultsEntry)."""
    if record.event_name is None or record.event_name.name != "INSERT" or not record.dynamodb:
        return None
    image = record.dynamodb.new_image or {}
    if image.get("type") != "ResultsEntry":
        return None
    cells = {(period, kind, scope): {name: int(amount) for name, amount in counters.items()}
             for period, kind, scope, counters in json.loads(image["cells"])}
    return Entry(int(image["lane"]), record.dynamodb.sequence_number.zfill(40), cells)


def journal(deps: Deps, changes: list[Change]) -> list[Change]:
    """Step 1: each change written once, as an entry of its source's lane (a put keyed by the
    source and the version it reached, refused when there: a replayed record adds nothing).
    Returns the changes that could not be written (their records are retried)."""
    global _journaled
    from concurrent.futures import ThreadPoolExecutor

    expires = deps.now() + timedelta(days=ENTRY_DAYS)

    def write(change: Change) -> Change | None:
        try:
            if not deps.repo.journal_results(lane_of(change.source), change.source, change.version,
                                             change.cells, expires):
                logger.info("results: record already journaled")
            return None
        except Exception:  # noqa: BLE001 - the stream retries the record
            logger.exception("results: a change not journaled; the stream retries it")
            return change

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        failed = [change for change in pool.map(write, changes) if change is not None]
    _journaled = _journaled or len(failed) < len(changes)
    return failed


def apply_entries(deps: Deps, entries: list[Entry]) -> list[Entry]:
    """Step 2: a batch's entries added to the cells, summed per cell and lane: one update per
    cell and lane, whatever the number of changes (the national cell is written once per
    batch and lane, not once per change). Each update moves the cell's mark for the lane to
    its last entry's position, on condition that the mark is below its first: a lane has one
    writer at a time, in stream order, so a cell whose mark is further has had the entries up
    to its mark added, and only those after it are added (a replay adds nothing). Returns
    the entries not added (their records are retried)."""
    from concurrent.futures import ThreadPoolExecutor

    updates: dict[tuple[int, results.Cell], list[tuple[str, dict[str, int]]]] = {}
    for entry in sorted(entries, key=lambda e: e.position):
        for cell, counters in entry.cells.items():
            updates.setdefault((entry.lane, cell), []).append((entry.position, counters))

    def add(key: tuple[int, results.Cell]) -> bool:
        lane, cell = key
        pending, at = updates[key], None
        try:
            for _ in range(4):
                summed: dict[str, int] = {}
                for _, counters in pending:
                    for name, amount in counters.items():
                        summed[name] = summed.get(name, 0) + amount
                # Changes that cancel out in this cell still move its mark: a retry of the
                # batch's tail alone must find them added.
                summed = {name: amount for name, amount in summed.items() if amount}
                mark = deps.repo.add_to_cell(cell, summed, lane=lane, upto=pending[-1][0],
                                             above=pending[0][0], at=at)
                if mark is None:
                    return True
                pending, at = [(position, c) for position, c in pending if position > mark], mark
                if not pending:
                    return True                 # all added before: a replay
                logger.info("results: a cell had part of the batch already", extra={"lane": lane})
            raise RuntimeError("results: a cell's mark kept moving (a second writer on the lane?)")
        except Exception:  # noqa: BLE001 - the stream retries the lane's entries
            logger.exception("results: a cell not updated; the stream retries its lane")
            return False

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        done = dict(zip(updates, pool.map(add, updates), strict=True))
    failed_lanes = {lane for (lane, _), ok in done.items() if not ok}
    return [entry for entry in entries if entry.lane in failed_lanes]


def take_journaled() -> bool:
    """Whether entries were journaled since the last call (the dev drain reads them then)."""
    global _journaled
    journaled, _journaled = _journaled, False
    return journaled


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
        cells |= {cell: counters for cell, counters in stored(deps, each).items()
                  if cell[1] not in experience_figures.ALL_KINDS}       # protected apart (experience_publication)
    return disclosure.protect(period, cells, structure(deps), current_month=results.month(now or deps.now()))


def experience_publication(deps: Deps, period: str) -> experience_figures.Publication:
    """The experience indicators of the period's quarter (a month reads its quarter's): the
    quarter's partition, its experience kinds only (O(organisations x levels + territories)),
    protected against small cells and differencing."""
    from ..domain.territories import DEPARTEMENTS

    quarter = results.quarter_of(period)
    cells: dict[results.Cell, dict[str, int]] = {}
    for kind in experience_figures.KINDS:
        cells |= stored(deps, quarter, kind)
    return experience_figures.protect(quarter, cells, [o.id for o in deps.repo.list_organisations()],
                                      DEPARTEMENTS)


def experience_published(deps: Deps, period: str, cached: bool = True) -> experience_figures.Published:
    """The experience indicators of the period's quarter as a view reads them: like `published`,
    one S3 object (published/experiences-<quarter>.json: the API's role may read and write
    published/, outside the period folders of `published`) while younger than
    RELAIS_RESULTS_CACHE_SECONDS, else rebuilt from the cells; with 0, or not `cached` (a job,
    whose role has no published/), computed each time."""
    from ..adapters.errors import NotStored

    now, seconds = deps.now(), deps.settings.results_cache_seconds if cached else 0
    key = f"{PUBLISHED_PREFIX}experiences-{results.quarter_of(period)}.json"
    if seconds:
        try:
            kept = experience_figures.Published.of(deps.documents.fetch(key).data)
            if timedelta(0) <= now - kept.built_at < timedelta(seconds=seconds):
                return kept
        except NotStored:
            pass
    document = experience_figures.Published.of_publication(experience_publication(deps, period), now)
    if seconds:
        deps.documents.put(key, document.text().encode(), content_type="application/json")
    return document


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
