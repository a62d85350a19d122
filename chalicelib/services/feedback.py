"""Agents' feedback: a difficulty with a procedure (« remontée ») or a training request, filed
at a contact point and triaged by the coordinators of its territory.

The author's user id is stored for the audit log only: every view and every count leaves it
out, so no coordinator and no published figure identifies an agent.
"""
from __future__ import annotations

from datetime import date, datetime

from aws_lambda_powertools import Logger

from ..bootstrap import Deps
from ..domain import authz
from ..domain import feedback as rules
from ..domain.authz import Principal
from ..domain.commands import FeedbackCreate, FeedbackTriage
from ..domain.errors import InvalidInput, NotFound
from ..domain.events import EventCode
from ..domain.models import Feedback, FeedbackKind, FeedbackStatus, Organisation
from ..domain.territories import DEPARTEMENTS
from ..views import FeedbackSummary, FeedbackView, PageView, summarize
from .common import event, new_id, retry_on_conflict

logger = Logger(service="relais", child=True)


def organisations(deps: Deps) -> list[Organisation]:
    """The partner organisations a difficulty may be about, by name."""
    return sorted(deps.repo.list_organisations(), key=lambda o: o.name.casefold())


def _organisation_names(deps: Deps) -> dict[str, str]:
    return {o.id: o.name for o in deps.repo.list_organisations()}


def _point_names(deps: Deps, territory_code: str) -> dict[str, str]:
    points, _ = deps.repo.territory_directory(territory_code)
    return {p.id: p.name for p in points}


def _territory(principal: Principal, code: str) -> str:
    code = code.upper()
    authz.require_feedback_reader(principal, code)
    if code not in DEPARTEMENTS:
        raise NotFound(authz.FEEDBACK_NOT_FOUND)
    return code


def create_feedback(deps: Deps, principal: Principal, command: FeedbackCreate) -> FeedbackView:
    point_id = authz.agent_point(principal, command.point_id)
    point = deps.repo.get_point(point_id)
    if point is None:
        raise InvalidInput("Ce point de contact n'existe pas.", field="point_id")
    organisation_names = _organisation_names(deps)
    if command.organisation_id is not None and command.organisation_id not in organisation_names:
        raise InvalidInput("Choisissez un organisme de la liste.", field="organisation_id")
    now = deps.now()
    item = rules.open_feedback(command, feedback_id=rules.new_id(now, new_id()),
                               territory_code=point.territory_code, point_id=point.id,
                               author_id=principal.user_id, now=now)
    deps.repo.create_feedback(item, event(EventCode.FEEDBACK_CREATED, principal.user_id, now,
                                          feedback_id=item.id, kind=item.kind.value,
                                          territory=item.territory_code, point_id=item.point_id))
    logger.info("feedback created", extra={"feedback_id": item.id, "kind": item.kind.value})
    return FeedbackView.of(item, {point.id: point.name}, organisation_names)


def list_point_feedback(deps: Deps, principal: Principal, point_id: str | None, limit: int = 50,
                        cursor: str | None = None) -> PageView[FeedbackView]:
    """The feedback of one of the agent's points (every agent of the point sees it), newest first."""
    point_id = authz.agent_point(principal, point_id)
    page = deps.repo.list_point_feedback(point_id, limit, cursor)
    point = deps.repo.get_point(point_id)
    point_names = {point.id: point.name} if point else {}
    organisation_names = _organisation_names(deps) if page.items else {}
    return PageView[FeedbackView](items=[FeedbackView.of(f, point_names, organisation_names)
                                         for f in page.items], cursor=page.cursor)


def list_territory_feedback(deps: Deps, principal: Principal, code: str, *,
                            status: FeedbackStatus | None = None, kind: FeedbackKind | None = None,
                            since: date | None = None, until: date | None = None, limit: int = 50,
                            cursor: str | None = None) -> PageView[FeedbackView]:
    """A territory's feedback, newest first, for its coordinators and admins; days in Paris time."""
    code = _territory(principal, code)
    start, end = rules.day_range(since, until)
    page = deps.repo.list_territory_feedback(code, start, end, status=status, kind=kind,
                                             limit=limit, cursor=cursor)
    if not page.items:
        return PageView[FeedbackView](items=[], cursor=page.cursor)
    point_names, organisation_names = _point_names(deps, code), _organisation_names(deps)
    return PageView[FeedbackView](items=[FeedbackView.of(f, point_names, organisation_names)
                                         for f in page.items], cursor=page.cursor)


def triage_feedback(deps: Deps, principal: Principal, code: str, feedback_id: str,
                    command: FeedbackTriage) -> FeedbackView:
    """A coordinator of the territory moves a feedback forward and answers the point's agents."""
    code = code.upper()
    authz.require_feedback_triager(principal, code)
    created_at = rules.created_at_of(feedback_id)
    if created_at is None:
        raise NotFound(authz.FEEDBACK_NOT_FOUND)

    def attempt() -> Feedback:
        current = deps.repo.get_feedback(code, created_at, feedback_id)
        now = deps.now()
        updated = rules.triage(current, command, now)
        if updated is not current:
            deps.repo.update_feedback(updated, current.version, event(
                EventCode.FEEDBACK_TRIAGED, principal.user_id, now, feedback_id=feedback_id,
                territory=code, status=updated.status.value))
        return updated

    item = retry_on_conflict(attempt)
    logger.info("feedback triaged", extra={"feedback_id": feedback_id, "status": item.status.value})
    return FeedbackView.of(item, _point_names(deps, code), _organisation_names(deps))


def quarter_summary(deps: Deps, territory: str, start: datetime, end: datetime) -> FeedbackSummary:
    """The territory's feedback created in [start, end) (aware datetimes): counts by kind, status
    and organisation, and the items, oldest first. One Query on the territory's partition.

    No authorization here: the caller (the quarterly report) decides who reads it."""
    territory = territory.upper()
    items = deps.repo.list_territory_feedback(territory, start, end, newest_first=False).items
    return summarize(territory, start, end, items, _point_names(deps, territory),
                     _organisation_names(deps))
