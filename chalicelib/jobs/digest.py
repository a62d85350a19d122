"""The weekly digest: each agent hears once about their cases answered but not yet closed.

One email per agent, listing their cases, never one per case, once per ISO week (Paris).
Planned, then run unit by unit (jobs/units.py): the Monday planner queues one unit per
territory; a unit reads the territory's points' answered cases (one Query per point) and sends
each of their agents one email. An agent who has cases in two territories (one who moved)
gets one email per territory, each whole; no case is left out.

A mark per agent, territory and week (keys.digest_sent) is put before sending, on condition that
it is not there, and kept DIGEST_MARK_DAYS, past the end of the week. A unit retried, replayed
or run again days later in the same week finds the marks and sends nothing twice (the emails'
idempotency records last only 2 days). A send that fails takes its mark back, so that the
retry sends it; a unit that dies between the mark and the send loses that agent's digest for
the week rather than risk sending it twice.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from functools import partial

from aws_lambda_powertools import Logger

from ..adapters.email import OutgoingEmail
from ..adapters.templates import render_email
from ..domain import deadlines
from ..domain.models import CaseStatus, Notification, NotificationKind
from ..domain.ports import UnitOfWork
from ..services.common import stage_once
from ..services.delivery import send_email_once
from ..services.notifications import case_link
from . import job
from .units import Done, Planned, Unit, worker

logger = Logger(service="relais", child=True)
DIGEST_MARK_DAYS = 14         # longer than a week: the mark outlives the week it stands for


@job("digest")
def weekly_digest(deps, now: datetime) -> Planned:
    units = [Unit("digest", territory.code, now.isoformat()) for territory in deps.repo.list_territories()]
    return Planned(units, Counter(agents=0, cases=0))


def week_of(now: datetime) -> str:
    year, week, _ = now.astimezone(deadlines.PARIS).isocalendar()
    return f"{year}-W{week:02d}"


@worker("digest")
def territory_digest(deps, unit: Unit) -> Done:
    """One unit: the answered cases of one territory's points, one email per agent."""
    now, territory = unit.now, unit.key
    waiting: dict[str, list] = defaultdict(list)
    points, _ = deps.repo.territory_directory(territory)
    for point in points:
        cursor = None
        while True:
            page = deps.repo.list_point_cases(point.id, CaseStatus.ANSWERED, 100, cursor)
            for case in page.items:
                waiting[case.created_by].append((case, point))
            cursor = page.cursor
            if not cursor:
                break
    week_id = f"{week_of(now)}-{territory}"            # the mark's and the email's own week
    agents = deps.repo.get_users(waiting) if waiting else {}
    undeliverable = deps.repo.undeliverable([a.email for a in agents.values()]) if agents else set()
    sent = 0
    for agent_id, cases in waiting.items():
        agent = agents.get(agent_id)
        if agent is None or agent.email.strip().lower() in undeliverable:
            continue
        mark = partial(mark_digest, agent.id, week_id, now)
        if not stage_once(deps, mark):
            continue                        # sent this week already
        try:
            send_digest(deps, agent, cases, week_id, now)
        except Exception:
            stage_once(deps, partial(forget_digest, agent.id, week_id))     # not sent: the retry
            raise
        sent += 1
    logger.info("weekly digest of a territory done", extra={"territory": territory, "agents": sent})
    return Done(Counter(agents=sent, cases=sum(len(c) for c in waiting.values())))


def mark_digest(agent_id: str, week_id: str, now: datetime, uow: UnitOfWork) -> None:
    uow.marks.digest(agent_id, week_id, now, now + timedelta(days=DIGEST_MARK_DAYS))


def forget_digest(agent_id: str, week_id: str, uow: UnitOfWork) -> None:
    uow.marks.forget_digest(agent_id, week_id)


def send_digest(deps, agent, cases: list, week_id: str, now: datetime) -> None:
    cases.sort(key=lambda pair: pair[0].updated_at)
    items = [{"ref": c.ref, "point": p.name, "link": case_link(deps, c.ref)} for c, p in cases]
    text, html = render_email("digest", agent=agent, items=items, count=len(items),
                              link=f"{deps.settings.base_url}/tableau-de-bord?vue=a-clore")
    notification = Notification(id=f"digest-{week_id}", kind=NotificationKind.DIGEST, agent_id=agent.id,
                                created_at=now)
    plural = "s" if len(items) > 1 else ""
    send_email_once(deps, notification, agent.email, OutgoingEmail(
        to=[agent.email], subject=f"Relais : {len(items)} dossier{plural} répondu{plural} à clore",
        text=text, html=html))
