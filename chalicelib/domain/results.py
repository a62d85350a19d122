"""The published results of Services Publics+: what each case and escalation adds to them,
and the figures read from the sums.

Every stored case and escalation *contributes* counters to cells: a scope (a contact point,
a territory, a partner network, a referent group, the whole country) in a period (a month and
a quarter, in Paris time, of the moment the counted thing happened). A contribution depends
only on the item's current state, so:
- the stream keeps the sums up to date by adding contribution(new) - contribution(old);
- a rebuild sums the contributions of every item, and must find the same numbers.

No cell is ever keyed by an agent, and `figures` suppresses any cell with fewer than
K_ANONYMITY cases behind it; domain/disclosure.py withholds the complements that keep the
suppressed cells from being derived (every publication goes through it).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from . import deadlines
from .models import Case, CaseStatus, Escalation, EscalationStatus, Outcome

K_ANONYMITY = 5
NATIONAL = "FR"
# Answer times are counted in business hours, in these buckets (upper bounds, hours): the
# median and the 90th percentile are read as the bucket they fall in ("8 h ouvrées au plus").
HOUR_BUCKETS = (1, 2, 4, 8, 16, 24, 32, 40, 48, 64, 80, 120, 160, 240)
OVER = "over"

Cell = tuple[str, str, str]          # (period, scope kind, scope id)
Contribution = Counter               # Counter[(cell, counter name)] -> amount


def month(moment: datetime) -> str:
    return moment.astimezone(deadlines.PARIS).strftime("%Y-%m")


def quarter(moment: datetime) -> str:
    local = moment.astimezone(deadlines.PARIS)
    return f"{local.year}-T{(local.month - 1) // 3 + 1}"


def quarter_bounds(label: str) -> tuple[date, date]:
    """'2026-T4' -> (2026-10-01, 2027-01-01)."""
    year, number = int(label[:4]), int(label[-1])
    start = date(year, 3 * (number - 1) + 1, 1)
    end = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return start, end


def quarter_months(label: str) -> list[str]:
    """'2026-T4' -> ['2026-10', '2026-11', '2026-12']."""
    year, number = int(label[:4]), int(label[-1])
    return [f"{year}-{month:02d}" for month in range(3 * number - 2, 3 * number + 1)]


def quarter_of(period: str) -> str:
    """The quarter a period ('2026-11' or '2026-T4') belongs to."""
    return period if "-T" in period else f"{period[:4]}-T{(int(period[5:]) - 1) // 3 + 1}"


def previous_quarter(label: str) -> str:
    year, number = int(label[:4]), int(label[-1])
    return f"{year - 1}-T4" if number == 1 else f"{year}-T{number - 1}"


def _add(contribution: Contribution, moment: datetime, scopes: list[tuple[str, str]],
         counter: str, amount: int = 1) -> None:
    for period in (month(moment), quarter(moment)):
        for kind, scope_id in scopes:
            contribution[((period, kind, scope_id), counter)] += amount


def bucket(hours: float) -> str:
    for upper in HOUR_BUCKETS:
        if hours <= upper:
            return str(upper)
    return OVER


def case_contribution(case: Case | None) -> Contribution:
    contribution: Contribution = Counter()
    if case is None:
        return contribution
    scopes = [("point", case.point_id), ("territory", case.territory_code), ("national", NATIONAL)]
    _add(contribution, case.created_at, scopes, "cases")
    if case.status is CaseStatus.CLOSED and case.closed_at is not None:
        _add(contribution, case.closed_at, scopes, "closed")
        if case.outcome is Outcome.SOLVED_AT_DESK:
            _add(contribution, case.closed_at, scopes, "desk")
        if case.useful is not None:
            _add(contribution, case.closed_at, scopes, "useful_known")
            if case.useful:
                _add(contribution, case.closed_at, scopes, "useful")
    if case.satisfaction is not None and case.satisfaction_at is not None:
        _add(contribution, case.satisfaction_at, scopes, "sat")
        _add(contribution, case.satisfaction_at, scopes, f"sat{case.satisfaction}")
    return contribution


def answer_hours(escalation: Escalation) -> float:
    """Business hours from the escalation to the answer, without the time spent waiting for
    information from the usager (its length, spread at the opening hours' rate of 8 h a day)."""
    assert escalation.answered_at is not None, "only an answered escalation has an answer time"
    hours = deadlines.business_hours_between(escalation.created_at, escalation.answered_at,
                                             escalation.territory_code)
    return max(0.0, hours - escalation.paused_seconds / 3600 * 8 / 24)


def escalation_contribution(escalation: Escalation | None) -> Contribution:
    contribution: Contribution = Counter()
    if escalation is None or escalation.status is EscalationStatus.WRONG_RECIPIENT:
        return contribution      # a misdirected request says nothing of the partner's speed
    scopes = [("point", escalation.point_id), ("territory", escalation.territory_code),
              ("network", escalation.organisation_id), ("group", escalation.group_id),
              ("national", NATIONAL)]
    _add(contribution, escalation.created_at, scopes, "esc")
    # On time: judged in the period of the deadline, answered or not; but a request the agent
    # withdrew (the case closed) before its deadline, unanswered, never reached its deadline.
    withdrawn = (escalation.status is EscalationStatus.CLOSED and escalation.answered_at is None
                 and escalation.updated_at < escalation.due_at)
    if not withdrawn:
        _add(contribution, escalation.due_at, scopes, "due")
    if escalation.answered_at is not None:
        if escalation.answered_at <= escalation.due_at:
            _add(contribution, escalation.due_at, scopes, "ontime")
        _add(contribution, escalation.answered_at, scopes, "answered")
        _add(contribution, escalation.answered_at, scopes, f"h{bucket(answer_hours(escalation))}")
    return contribution


def delta(old: Contribution, new: Contribution) -> Contribution:
    """What to add to the sums when an item goes from old to new (negative amounts included)."""
    result: Contribution = Counter()
    for key in set(old) | set(new):
        amount = new.get(key, 0) - old.get(key, 0)
        if amount:
            result[key] = amount
    return result


def by_cell(contribution: Contribution) -> dict[Cell, dict[str, int]]:
    cells: dict[Cell, dict[str, int]] = {}
    for (cell, counter), amount in contribution.items():
        cells.setdefault(cell, {})[counter] = amount          # (cell, counter) keys are unique
    return cells


# --- the figures of one cell ------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """The published figures of a cell. None: not enough cases to publish (k-anonymity), or
    nothing to measure."""
    cases: int | None
    desk_rate: float | None            # % of closed cases solved at the desk
    useful_rate: float | None          # % of closed cases the agent judged useful to the usager
    escalations: int | None
    ontime_rate: float | None          # % of escalations due in the period answered in time
    median_hours: str | None           # bucket label: "8" means 8 business hours at most
    p90_hours: str | None
    satisfied_rate: float | None       # % of SMS answers 4 or 5
    net_satisfaction: float | None     # % of 5 minus % of 1 to 3, from -100 to 100
    closed: int | None                 # the number of answers behind each figure
    due: int | None
    answered: int | None
    satisfaction_answers: int | None
    suppressed: bool                   # nothing of the cell is published


def _rate(part: int, whole: int, hidden: bool = False) -> float | None:
    if hidden or whole < K_ANONYMITY:
        return None
    return round(100 * part / whole, 1)


def _percentile(counters: dict[str, int], share: float, hidden: bool = False) -> str | None:
    total = sum(counters.get(f"h{b}", 0) for b in (*map(str, HOUR_BUCKETS), OVER))
    if hidden or total < K_ANONYMITY:
        return None
    running = 0
    for label in (*map(str, HOUR_BUCKETS), OVER):
        running += counters.get(f"h{label}", 0)
        if running >= share * total:
            return label
    return OVER


def figures(counters: dict[str, int], hidden: Collection[str] = ()) -> Figures:
    """A cell's figures; every figure built on fewer than K_ANONYMITY cases is withheld, and so
    is every figure of a family in `hidden` (secondary suppression: domain/disclosure.py).
    A withheld figure is None, counts included, whatever the cell held (0 or 4 alike)."""
    get = counters.get
    cases, closed, escalations = get("cases", 0), get("closed", 0), get("esc", 0)
    due, answered, sat = get("due", 0), get("answered", 0), get("sat", 0)
    off = {family for family, base in (("cases", cases), ("closed", closed), ("useful", get("useful_known", 0)),
                                       ("sat", sat), ("esc", escalations), ("due", due),
                                       ("answered", answered)) if base < K_ANONYMITY} | set(hidden)
    satisfied = get("sat4", 0) + get("sat5", 0)
    detractors = get("sat1", 0) + get("sat2", 0) + get("sat3", 0)
    net = None if "sat" in off else round(100 * (get("sat5", 0) - detractors) / sat, 1)
    return Figures(
        cases=None if "cases" in off else cases,
        desk_rate=_rate(get("desk", 0), closed, "closed" in off),
        useful_rate=_rate(get("useful", 0), get("useful_known", 0), "useful" in off),
        escalations=None if "esc" in off else escalations,
        ontime_rate=_rate(get("ontime", 0), due, "due" in off),
        median_hours=_percentile(counters, 0.5, "answered" in off),
        p90_hours=_percentile(counters, 0.9, "answered" in off),
        satisfied_rate=_rate(satisfied, sat, "sat" in off), net_satisfaction=net,
        closed=None if "closed" in off else closed, due=None if "due" in off else due,
        answered=None if "answered" in off else answered,
        satisfaction_answers=None if "sat" in off else sat,
        suppressed=off >= {"cases", "closed", "useful", "sat", "esc", "due", "answered"})
