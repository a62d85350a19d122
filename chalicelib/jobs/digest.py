"""The weekly digest: each agent hears once about their cases answered but not yet closed.

One email per agent, listing their cases, never one per case. Sent under the same idempotency
as every email, keyed by ISO week and agent: a second run in the same week sends nothing.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from aws_lambda_powertools import Logger

from ..adapters.email import OutgoingEmail
from ..adapters.templates import render_email
from ..domain.models import CaseStatus, Notification, NotificationKind
from ..services.notifications import case_link, send_once
from . import job

logger = Logger(service="relais", child=True)


@job("digest")
def weekly_digest(deps, now: datetime) -> dict:
    waiting: dict[str, list] = defaultdict(list)
    for territory in deps.repo.list_territories():
        points, _ = deps.repo.territory_directory(territory.code)
        for point in points:
            cursor = None
            while True:
                page = deps.repo.list_point_cases(point.id, CaseStatus.ANSWERED, 100, cursor)
                for case in page.items:
                    waiting[case.created_by].append((case, point))
                cursor = page.cursor
                if not cursor:
                    break
    year, week, _ = now.isocalendar()
    agents = deps.repo.get_users(waiting) if waiting else {}
    sent = 0
    for agent_id, cases in waiting.items():
        agent = agents.get(agent_id)
        if agent is None or agent.email in deps.repo.undeliverable([agent.email]):
            continue
        cases.sort(key=lambda pair: pair[0].updated_at)
        items = [{"ref": c.ref, "point": p.name, "link": case_link(deps, c.ref)} for c, p in cases]
        text, html = render_email("digest", agent=agent, items=items, count=len(items),
                                  link=f"{deps.settings.base_url}/tableau-de-bord?vue=a-clore")
        notification = Notification(id=f"digest-{year}-W{week:02d}", case_ref=f"agent-{agent.id}",
                                    kind=NotificationKind.DIGEST, created_at=now)
        plural = "s" if len(items) > 1 else ""
        send_once(deps, notification, agent.email, OutgoingEmail(
            to=[agent.email], subject=f"Relais : {len(items)} dossier{plural} répondu{plural} à clore",
            text=text, html=html))
        sent += 1
    logger.info("weekly digest done", extra={"agents": sent})
    return {"agents": sent, "cases": sum(len(c) for c in waiting.values())}
