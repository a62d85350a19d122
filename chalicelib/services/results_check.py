"""The results checked against their source data, fanned out (jobs/units.py), bounded per unit.

The stream keeps the results cells (services/results.py); these jobs check that the sums still
match the cases and escalations they come from, a territory at a time:

- `results` (weekly): the recent periods only, from the start of the previous quarter (the one
  the follow-up commission reviews). A territory's unit sums the contributions of the items that
  can touch those periods: every open case and escalation, and the closed ones created (due) at
  most HORIZON_DAYS before. It compares the territory's point, territory and group cells; a
  difference is counted in results_cells_drifted and the territory is recounted (below). One
  more unit per recent period compares the national and network cells with the sums of the
  territory and group cells, and repairs them.
- `results-recount` (explicit, `docs/operations.md`): every item of a territory, every period;
  the territory's cells that differ are written whole, the stale ones deleted, and each period
  changed gets its national unit.

A territory's unit reads at most STEP_ITEMS items, then hands on to a continuation; the running
sums travel through S3 (jobs/results/..., one object per step, left to the bucket's lifecycle
rule: SCRATCH_DAYS), so a retried or duplicated step starts again from the sums of the step
before and counts nothing twice.
A case created before the horizon and closed in a recent period is outside the weekly check's
reading: it can only make the check see a difference where there is none, which the exact
recount then finds to be nothing.
"""
from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from ..bootstrap import Deps
from ..domain import results as domain
from ..domain.models import CaseStatus, EscalationStatus
from ..jobs.units import Done, Planned, Unit
from ..observability import count
from . import results

logger = Logger(service="relais", child=True)
CHECK = "results"
RECOUNT = "results-recount"
NATIONAL = "results-national"
STEP_ITEMS = 2_000          # items summed by one unit at most; the rest continues in another
HORIZON_DAYS = 400          # the weekly check reads closed items created (due) this long before its periods
LOCAL_KINDS = ("point", "territory", "group")       # a territory's own cells
SCRATCH_PREFIX = "jobs/results/"
SCRATCH_DAYS = 2            # a step's sums outlive its retries (5 receives, minutes apart)


@dataclass
class Progress:
    """Where a territory's summing stands: its step, the source it reads, and the page in it."""

    step: int = 0
    source: int = 0
    page: str | None = None

    def text(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def of(cls, text: str | None) -> Progress:
        return cls(**json.loads(text)) if text else cls()


def since(now: datetime) -> datetime:
    """The start (Paris) of the quarter before the current one: the weekly check's first period."""
    start, _ = domain.quarter_bounds(domain.previous_quarter(domain.quarter(now)))
    return datetime(start.year, start.month, start.day, tzinfo=domain.deadlines.PARIS)


def recent_periods(now: datetime) -> list[str]:
    """The months and quarters from `since(now)` to now."""
    first = since(now)
    months, moment = [], first
    while domain.month(moment) <= domain.month(now):
        months.append(domain.month(moment))
        moment = (moment.replace(day=1) + timedelta(days=32)).replace(day=1)
    return sorted({*months, *(domain.quarter_of(m) for m in months)})


def plan_check(deps: Deps, now: datetime) -> Planned:
    territories = deps.repo.list_territories()
    units = [Unit(CHECK, t.code, now.isoformat()) for t in territories]
    units += [Unit(NATIONAL, period, now.isoformat()) for period in recent_periods(now)]
    return Planned(units, Counter(cells=0, drifted=0, items=0))


def plan_recount(deps: Deps, now: datetime) -> Planned:
    units = [Unit(RECOUNT, t.code, now.isoformat()) for t in deps.repo.list_territories()]
    return Planned(units, Counter(cells=0, drifted=0, items=0))


def _sources(deps: Deps, territory: str, recent: bool) -> list[tuple[str, str, str | None]]:
    """What a territory's unit reads, in a fixed order: (kind, scope id, status). The weekly
    check reads the open statuses whole and the closed one from the horizon on; a misdirected
    escalation counts for nothing."""
    points, groups = deps.repo.territory_directory(territory)
    if not recent:
        return [("point", p.id, None) for p in points] + [("group", g.id, None) for g in groups]
    case_statuses = [s.value for s in CaseStatus]
    escalation_statuses = [s.value for s in EscalationStatus if s is not EscalationStatus.WRONG_RECIPIENT]
    return ([("point", p.id, s) for p in points for s in case_statuses]
            + [("group", g.id, s) for g in groups for s in escalation_statuses])


def _scratch_key(unit: Unit, step: int) -> str:
    return f"{SCRATCH_PREFIX}{unit.job}/{unit.as_of}/{unit.key}/{step}.json.gz"


def _save(deps: Deps, unit: Unit, step: int, sums: Counter) -> None:
    rows = [[*cell, counter, amount] for (cell, counter), amount in sums.items() if amount]
    deps.documents.put(_scratch_key(unit, step), gzip.compress(json.dumps(rows).encode()),
                       content_type="application/gzip")


def _load(deps: Deps, unit: Unit, step: int) -> Counter:
    rows = json.loads(gzip.decompress(deps.documents.read(_scratch_key(unit, step))))
    return Counter({((period, kind, scope), counter): amount for period, kind, scope, counter, amount in rows})


def _keep(cell: domain.Cell, first_quarter: str | None) -> bool:
    period, kind, _ = cell
    return kind in LOCAL_KINDS and (first_quarter is None or domain.quarter_of(period) >= first_quarter)


def check_territory(deps: Deps, unit: Unit) -> Done:
    """One step of a territory's check (job "results") or recount (job "results-recount")."""
    recent = unit.job == CHECK
    progress = Progress.of(unit.after)
    sums = _load(deps, unit, progress.step - 1) if progress.step else Counter()
    first_quarter = domain.quarter(since(unit.now)) if recent else None
    horizon = since(unit.now) - timedelta(days=HORIZON_DAYS) if recent else None
    sources = _sources(deps, unit.key, recent)
    budget, read = STEP_ITEMS, 0
    while progress.source < len(sources) and budget > 0:
        kind, scope_id, status = sources[progress.source]
        bounded = status in (CaseStatus.CLOSED.value, EscalationStatus.CLOSED.value)
        items, page = deps.repo.results_sources(kind, scope_id, status, horizon if bounded else None,
                                                budget, progress.page)
        for item in items:
            sums.update({key: amount for key, amount in results.contribution(item).items()
                         if _keep(key[0], first_quarter)})
        budget -= len(items)
        read += len(items)
        progress = replace(progress, source=progress.source + (page is None), page=page)
    if progress.source < len(sources):
        _save(deps, unit, progress.step, sums)
        more = replace(progress, step=progress.step + 1)
        return Done(Counter(items=read), [replace(unit, after=more.text())])
    done = _compare(deps, unit, sums, first_quarter, recent)
    done.counts["items"] += read
    return done


def _nonzero(cells: dict) -> dict[domain.Cell, dict[str, int]]:
    kept = {cell: {k: v for k, v in counters.items() if v} for cell, counters in cells.items()}
    return {cell: counters for cell, counters in kept.items() if counters}


def _compare(deps: Deps, unit: Unit, sums: Counter, first_quarter: str | None, recent: bool) -> Done:
    """The territory's cells as summed against the stored ones, for the periods checked."""
    points, groups = deps.repo.territory_directory(unit.key)
    expected = _nonzero(domain.by_cell(sums))
    if recent:                  # what is due after now is checked once its period has begun
        periods = recent_periods(unit.now)
        expected = {cell: c for cell, c in expected.items() if cell[0] in periods}
    else:
        periods = sorted({cell[0] for cell in expected})
    scopes = ([("point", p.id) for p in points] + [("group", g.id) for g in groups]
              + [("territory", unit.key)])
    stored = deps.repo.get_results([(period, *scope) for period in periods for scope in scopes])
    drifted = sorted(cell for cell in set(expected) | set(stored) if expected.get(cell) != stored.get(cell))
    count("results_cells_drifted", len(drifted), zero_too=True)
    counts = Counter(cells=len(expected), drifted=len(drifted))
    if not drifted:
        return Done(counts)
    logger.warning("results drifted from the source data", extra={
        "job": unit.job, "territory": unit.key, "cells": len(drifted),
        "first": ["/".join(cell) for cell in drifted[:5]]})
    if recent:              # the recount, exact, repairs
        return Done(counts, [Unit(RECOUNT, unit.key, unit.as_of)])
    deps.repo.replace_results({cell: expected[cell] for cell in drifted if cell in expected},
                              stale=[cell for cell in drifted if cell not in expected])
    changed = sorted({cell[0] for cell in drifted})
    return Done(counts, [Unit(NATIONAL, period, unit.as_of) for period in changed])


def check_national(deps: Deps, unit: Unit) -> Done:
    """One period's national and network cells against the sums of its territory and group
    cells (O(territories + groups) cells, never the cases); those that differ are repaired."""
    period = unit.key
    structure = results.structure(deps)
    sums: dict[domain.Cell, Counter] = {}
    for counters in results.stored(deps, period, "territory").values():
        sums.setdefault((period, "national", domain.NATIONAL), Counter()).update(counters)
    for (_, _, group_id), counters in results.stored(deps, period, "group").items():
        if group_id in structure.groups:
            _, organisation = structure.groups[group_id]
            sums.setdefault((period, "network", organisation), Counter()).update(counters)
    expected = _nonzero(sums)
    stored = results.stored(deps, period, "national") | results.stored(deps, period, "network")
    drifted = sorted(cell for cell in set(expected) | set(stored) if expected.get(cell) != stored.get(cell))
    count("results_cells_drifted", len(drifted), zero_too=True)
    if drifted:
        logger.warning("national results drifted from their territories' sums: repaired", extra={
            "period": period, "cells": len(drifted), "first": ["/".join(cell) for cell in drifted[:5]]})
        deps.repo.replace_results({cell: expected[cell] for cell in drifted if cell in expected},
                                  stale=[cell for cell in drifted if cell not in expected])
    return Done(Counter(cells=len(expected), drifted=len(drifted)))
