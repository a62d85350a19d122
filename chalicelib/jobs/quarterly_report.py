"""The quarterly report reaches each territory's follow-up commission: on the first day of a
quarter, the coordinators get the past quarter's key figures and the link to the full report
(printable, and as CSV). Planned, then run unit by unit (jobs/units.py): one unit per
territory. Sent once per territory and quarter, whatever the number of runs or retries within
the idempotency window (delivery.IDEMPOTENCY_DAYS): a run by hand weeks later sends again."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from aws_lambda_powertools import Logger

from ..adapters.email import OutgoingEmail
from ..adapters.templates import render_email
from ..domain import results as domain
from ..domain.experience_indicators import days_label
from ..domain.models import Notification, NotificationKind
from ..domain.territories import DEPARTEMENTS
from ..services import experience_data, results
from ..services.delivery import send_email_once
from . import job
from .units import Done, Planned, Unit, worker

logger = Logger(service="relais", child=True)


@job("quarterly_report")
def quarterly_report(deps, now: datetime) -> Planned:
    units = [Unit("quarterly_report", t.code, now.isoformat()) for t in deps.repo.list_territories()]
    return Planned(units, Counter(emails=0))


@worker("quarterly_report")
def territory_report(deps, unit: Unit) -> Done:
    """One unit: the past quarter's report to one territory's coordinators."""
    now, code = unit.now, unit.key
    quarter = domain.previous_quarter(domain.quarter(now))
    everyone = deps.repo.territory_coordinators(code)
    undeliverable = deps.repo.undeliverable([c.email for c in everyone]) if everyone else set()
    coordinators = [c for c in everyone if c.email.strip().lower() not in undeliverable]
    if not coordinators:
        return Done(Counter(emails=0))
    published = results.publication(deps, quarter, now)        # the same figures as every publication
    figures = published.figures("territory", code)
    link = f"{deps.settings.base_url}/territoire/rapport?trimestre={quarter}&code={code}"
    name = DEPARTEMENTS.get(code, code)
    # The public page's figures, never per agent; from the cells (a job's role has no published/).
    experiences = experience_data.indicators(deps, quarter, cached=False)
    text, html = render_email("quarterly_report", quarter=quarter, territory=name, figures=figures,
                              link=link, csv_link=link.replace("/rapport?", "/rapport.csv?"),
                              experiences=experiences, territory_experiences=experiences.territory(code),
                              days_label=days_label, k=domain.K_ANONYMITY)
    notification = Notification(id=f"report-{quarter}", kind=NotificationKind.REPORT,
                                territory_code=code, created_at=now)
    for coordinator in coordinators:
        send_email_once(deps, notification, coordinator.email, OutgoingEmail(
            to=[coordinator.email], subject=f"Relais : le rapport du {quarter} pour le comité de suivi ({name})",
            text=text, html=html))
    logger.info("quarterly report sent", extra={"quarter": quarter, "territory": code,
                                                "emails": len(coordinators)})
    return Done(Counter(emails=len(coordinators)))
