"""What a territory's coordinator oversees: its directory, and the escalations now late."""
from __future__ import annotations

from dataclasses import dataclass

from ..bootstrap import Deps
from ..domain import authz, deadlines, visibility
from ..domain.authz import Principal
from ..domain.errors import NotFound
from ..domain.models import ContactPoint, EscalationStatus, ReferentGroup, Territory
from ..domain.territories import DEPARTEMENTS
from ..views import EscalationView

LATE_PER_GROUP = 200


@dataclass(frozen=True)
class TerritoryOverview:
    territory: Territory
    points: list[ContactPoint]
    groups: list[ReferentGroup]
    late: list[EscalationView]
    point_names: dict[str, str]


def territory_overview(deps: Deps, principal: Principal, code: str) -> TerritoryOverview:
    """One query per referent group: its waiting escalations, sorted by due date, so the
    late ones come first and the read stops at the first one still on time."""
    code = code.upper()
    authz.require_territory_reader(principal, code)
    if code not in DEPARTEMENTS:
        raise NotFound("Ce territoire n'existe pas.", field="territory")
    points, groups = deps.repo.territory_directory(code)
    now = deps.now()
    late: list[EscalationView] = []
    for group in groups:
        page = deps.repo.list_group_escalations(group.id, EscalationStatus.SENT, LATE_PER_GROUP, None)
        late += [EscalationView.of(e, group.name, now) for e in page.items
                 if e.paused_at is None and deadlines.lateness(e.due_at, now) == "late"]
    late.sort(key=lambda e: e.due_at)
    points = [visibility.point_as_seen_by(principal.role, p) for p in points]
    groups = [visibility.group_as_seen_by(principal.role, g) for g in groups]
    return TerritoryOverview(Territory(code=code, name=DEPARTEMENTS[code]), points,
                             sorted(groups, key=lambda g: g.name), late,
                             {p.id: p.name for p in points})
