"""The quarterly report reaches each territory's follow-up commission: on the first day of a
quarter, the coordinators get the past quarter's key figures and the link to the full report
(printable, and as CSV). Sent once per territory and quarter, whatever the number of runs within
the idempotency window (delivery.IDEMPOTENCY_DAYS): a run by hand weeks later sends again."""
from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger

from ..adapters.email import OutgoingEmail
from ..adapters.templates import render_email
from ..domain import results as domain
from ..domain.models import Notification, NotificationKind
from ..domain.territories import DEPARTEMENTS
from ..services import results
from ..services.delivery import send_email_once
from . import job

logger = Logger(service="relais", child=True)


@job("quarterly_report")
def quarterly_report(deps, now: datetime) -> dict:
    quarter = domain.previous_quarter(domain.quarter(now))
    published = results.publication(deps, quarter, now)        # the same figures as every publication
    sent = 0
    for territory in deps.repo.list_territories():
        everyone = deps.repo.territory_coordinators(territory.code)
        undeliverable = deps.repo.undeliverable([c.email for c in everyone])
        coordinators = [c for c in everyone if c.email not in undeliverable]
        if not coordinators:
            continue
        figures = published.figures("territory", territory.code)
        link = f"{deps.settings.base_url}/territoire/rapport?trimestre={quarter}&code={territory.code}"
        name = DEPARTEMENTS.get(territory.code, territory.name)
        text, html = render_email("quarterly_report", quarter=quarter, territory=name, figures=figures,
                                  link=link, csv_link=link.replace("/rapport?", "/rapport.csv?"))
        notification = Notification(id=f"report-{quarter}", kind=NotificationKind.REPORT,
                                    territory_code=territory.code, created_at=now)
        for coordinator in coordinators:
            send_email_once(deps, notification, coordinator.email, OutgoingEmail(
                to=[coordinator.email], subject=f"Relais : le rapport du {quarter} pour le comité de suivi ({name})",
                text=text, html=html))
            sent += 1
    logger.info("quarterly reports sent", extra={"quarter": quarter, "emails": sent})
    return {"quarter": quarter, "emails": sent}


