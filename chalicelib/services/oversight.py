"""What a territory's coordinator oversees: its directory, and the escalations now late.

A late escalation is shown without the usager: its reference, point, partner, dates, how late
it is and the reminders it got. The coordinator reaches the group's manager (their address is
in the directory) and may remind the group once a day (« Relancer »)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from aws_lambda_powertools import Logger

from ..bootstrap import Deps
from ..domain import authz, deadlines, visibility
from ..domain.authz import Principal
from ..domain.errors import Conflict, NotFound, RaceLost
from ..domain.events import EventCode
from ..domain.models import (
    ContactPoint,
    Escalation,
    EscalationStatus,
    Event,
    Notification,
    NotificationKind,
    ReferentGroup,
    Territory,
)
from ..domain.territories import DEPARTEMENTS
from ..observability import correlate
from .common import event

logger = Logger(service="relais", child=True)
LATE_PER_GROUP = 200
NUDGE_STAGE = "relance"          # the ladder email's stage for a coordinator's reminder
LATE_ESCALATION_MISSING = "Cette saisine n'est pas en retard, ou elle n'est pas de votre territoire."


@dataclass(frozen=True)
class LateEscalation:
    """A late escalation as a coordinator sees it: never the usager, the question or the thread."""
    case_ref: str
    group_id: str
    group_name: str
    manager_email: str | None
    point_id: str
    point_name: str
    escalated_on: date
    due_date: date
    days_late: int


@dataclass(frozen=True)
class Reminder:
    """A reminder the group received: by the ladder, or by a coordinator."""
    on: date
    by_coordinator: bool


@dataclass(frozen=True)
class LateEscalationDetail:
    late: LateEscalation
    territory: Territory
    reminders: list[Reminder]
    nudged_today: bool


@dataclass(frozen=True)
class TerritoryOverview:
    territory: Territory
    points: list[ContactPoint]
    groups: list[ReferentGroup]
    late: list[LateEscalation]
    point_names: dict[str, str]


def days_late(escalation: Escalation, now: datetime) -> int:
    """Calendar days since the due day (the deadline is the end of that day): 1 the day after."""
    today = now.astimezone(deadlines.PARIS).date()
    return max(1, (today - deadlines.due_date(escalation.due_at)).days)


def _is_late(escalation: Escalation, now: datetime) -> bool:
    return (escalation.status is EscalationStatus.SENT and escalation.paused_at is None
            and deadlines.lateness(escalation.due_at, now) == "late")


def _late(escalation: Escalation, group: ReferentGroup, point_name: str, now: datetime) -> LateEscalation:
    return LateEscalation(
        case_ref=escalation.case_ref, group_id=escalation.group_id, group_name=group.name,
        manager_email=group.manager_email, point_id=escalation.point_id, point_name=point_name,
        escalated_on=escalation.created_at.astimezone(deadlines.PARIS).date(),
        due_date=deadlines.due_date(escalation.due_at), days_late=days_late(escalation, now))


def _territory(principal: Principal, code: str) -> Territory:
    code = code.upper()
    authz.require_territory_reader(principal, code)
    if code not in DEPARTEMENTS:
        raise NotFound("Ce territoire n'existe pas.", field="territory")
    return Territory(code=code, name=DEPARTEMENTS[code])


def territory_overview(deps: Deps, principal: Principal, code: str) -> TerritoryOverview:
    """One query per referent group: its waiting escalations, sorted by due date, so the
    late ones come first and the read stops at the first one still on time."""
    territory = _territory(principal, code)
    points, groups = deps.repo.territory_directory(territory.code)
    points = [visibility.point_as_seen_by(principal.role, p) for p in points]
    groups = [visibility.group_as_seen_by(principal.role, g) for g in groups]
    point_names = {p.id: p.name for p in points}
    now = deps.now()
    late: list[LateEscalation] = []
    for group in groups:
        page = deps.repo.list_group_escalations(group.id, EscalationStatus.SENT, LATE_PER_GROUP, None)
        late += [_late(e, group, point_names.get(e.point_id, e.point_id), now)
                 for e in page.items if _is_late(e, now)]
    late.sort(key=lambda e: (e.due_date, e.case_ref))
    return TerritoryOverview(territory, points, sorted(groups, key=lambda g: g.name), late, point_names)


def _nudge_day(now: datetime) -> str:
    return now.astimezone(deadlines.PARIS).date().isoformat()


def _nudged_on(events: list[Event], group_id: str, day: str) -> bool:
    return any(e.code is EventCode.ESCALATION_NUDGED and e.group_id == group_id
               and e.data.get("day") == day for e in events)


def _read(deps: Deps, principal: Principal, code: str, ref: str, group_id: str):
    """The case's bundle and the late escalation of that group, in the coordinator's territory;
    anything else does not exist for them."""
    territory = _territory(principal, code)
    try:
        bundle = deps.repo.get_bundle(ref)
    except NotFound as exc:
        raise NotFound(LATE_ESCALATION_MISSING) from exc
    escalation = bundle.escalations.get(group_id)
    group = deps.repo.get_group(group_id) if escalation else None
    if escalation is None or group is None or territory.code not in (escalation.territory_code,
                                                                     group.territory_code):
        raise NotFound(LATE_ESCALATION_MISSING)
    return territory, bundle, escalation, visibility.group_as_seen_by(principal.role, group)


def late_escalation(deps: Deps, principal: Principal, code: str, ref: str,
                    group_id: str) -> LateEscalationDetail:
    """One late escalation, without the usager: reference, point, partner, dates, days late,
    and the reminders the group received (the ladder's and the coordinators')."""
    territory, bundle, escalation, group = _read(deps, principal, code, ref, group_id)
    now = deps.now()
    if not _is_late(escalation, now):
        raise NotFound(LATE_ESCALATION_MISSING)
    point = deps.repo.get_point(escalation.point_id)
    sent = {EventCode.LADDER_REMINDER: False, EventCode.LADDER_BREACH: False,
            EventCode.ESCALATION_NUDGED: True}
    reminders = [Reminder(on=e.at.astimezone(deadlines.PARIS).date(), by_coordinator=sent[e.code])
                 for e in sorted(bundle.events, key=lambda e: e.at)
                 if e.code in sent and e.group_id == group_id and e.at >= escalation.created_at]
    return LateEscalationDetail(
        late=_late(escalation, group, point.name if point else escalation.point_id, now),
        territory=territory, reminders=reminders,
        nudged_today=_nudged_on(bundle.events, group_id, _nudge_day(now)))


def nudge(deps: Deps, principal: Principal, code: str, ref: str, group_id: str) -> bool:
    """« Relancer »: one reminder email to the group, recorded; once a day (Paris) at most.
    True if it was sent now, False if the group was already reminded today."""
    territory, bundle, escalation, _ = _read(deps, principal, code, ref, group_id)
    now = deps.now()
    if not _is_late(escalation, now):
        raise Conflict("Cette saisine n'est plus en retard : le partenaire a répondu, ou attend "
                       "une information. Rien n'a été envoyé.")
    day = _nudge_day(now)
    if _nudged_on(bundle.events, group_id, day):
        return False
    # The notification's id names the day: a second click, even a concurrent one, is refused.
    notification = Notification(
        id=f"relance-{group_id}-{int(escalation.created_at.timestamp())}-{day}", case_ref=ref,
        kind=NotificationKind.LADDER, group_id=group_id, data={"stage": NUDGE_STAGE}, created_at=now)
    try:
        with deps.uow() as uow:
            uow.outbox.add(notification)
            uow.events.record(event(EventCode.ESCALATION_NUDGED, principal.user_id, now, ref,
                                    group_id, day=day, territory=territory.code))
            correlate(ref, group_id)
            uow.commit()
    except RaceLost:
        return False
    logger.info("late escalation nudged by a coordinator")
    return True
