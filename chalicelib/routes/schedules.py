"""The scheduled jobs (EventBridge, UTC), each a Lambda function of its own.

Like the event handlers (events.py), this blueprint is named "app": Lambda enters each job
through app.py, which re-exports it ("app.reminders_schedule" and so on).
"""
from __future__ import annotations

from chalice import Blueprint, Cron, Rate

from ..bootstrap import deps

bp = Blueprint("app")


def run_job(name: str, event) -> dict:
    """Run a job as of now. Its Lambda context is registered first: a job that sends (the
    digest, the quarterly report) sends once, under Powertools idempotency."""
    from .. import jobs
    from ..services.delivery import register_context

    register_context(getattr(event, "context", None))
    d = deps()
    return jobs.run(name, d, d.now())


@bp.schedule(Rate(1, unit=Rate.HOURS), name="reminders")
def reminders_schedule(event):
    """The escalation ladder: reminders before the deadline, then up the ladder after it."""
    return run_job("reminders", event)


@bp.schedule(Cron(0, 7, "?", "*", "MON", "*"), name="weekly_digest")
def digest_schedule(event):
    """Monday 07:00 UTC (08:00 or 09:00 in Paris): each agent's answered cases to close."""
    return run_job("digest", event)


@bp.schedule(Cron(0, 2, "?", "*", "SUN", "*"), name="results_check")
def results_schedule(event):
    """Sunday 02:00 UTC: the recent periods' results checked against the source data. Invoked
    by hand with {"detail": {"recount": true}}: every period recounted (docs/operations.md)."""
    detail = getattr(event, "detail", None)
    recount = isinstance(detail, dict) and detail.get("recount") is True
    return run_job("results-recount" if recount else "results", event)


@bp.schedule(Cron(30, 3, "*", "*", "?", "*"), name="retention")
def retention_schedule(event):
    """Every day, 03:30 UTC: the personal data of cases closed more than RELAIS_RETENTION_MONTHS (6) ago is wiped."""
    return run_job("retention", event)


@bp.schedule(Cron(0, 6, 1, "1,4,7,10", "?", "*"), name="quarterly_report")
def quarterly_report_schedule(event):
    """First day of each quarter, 06:00 UTC: the past quarter's report to each territory's
    follow-up commission (once per territory and quarter)."""
    return run_job("quarterly_report", event)
