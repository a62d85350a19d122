"""The scheduled jobs (EventBridge, UTC), each a Lambda function of its own.

Like the event handlers (events.py), this blueprint is named "app": Lambda enters each job
through app.py, which re-exports it ("app.reminders_schedule" and so on).
"""
from __future__ import annotations

import functools

from chalice import Blueprint, Cron, Rate

from ..bootstrap import deps
from ..observability import heartbeat, logger

bp = Blueprint("app")


def scheduled(expression: Cron | Rate, name: str):
    """bp.schedule, and the job's heartbeat once it has planned its run (`job_ran`, job=<name>):
    the alarm relais-<stage>-<name>-heartbeat (infra/observability.py) sounds when a run goes
    missing, whether the rule stopped or every run failed. A run that raises sends none."""
    def register(handler):
        @functools.wraps(handler)
        def run(event):
            result = handler(event)
            heartbeat(name)
            logger.info("scheduled job planned", extra={"job": name})
            return result
        return bp.schedule(expression, name=name)(run)
    return register


def run_job(name: str, event) -> dict:
    """Run a job as of now. Its Lambda context is registered first: a job that sends (the
    digest, the quarterly report) sends once, under Powertools idempotency."""
    from .. import jobs
    from ..services.delivery import register_context

    register_context(getattr(event, "context", None))
    d = deps()
    return jobs.run(name, d, d.now())


@scheduled(Rate(1, unit=Rate.HOURS), name="reminders")
def reminders_schedule(event):
    """The escalation ladder: reminders before the deadline, then up the ladder after it."""
    return run_job("reminders", event)


@scheduled(Cron(0, 7, "?", "*", "MON", "*"), name="weekly_digest")
def digest_schedule(event):
    """Monday 07:00 UTC (08:00 or 09:00 in Paris): each agent's answered cases to close."""
    return run_job("digest", event)


@scheduled(Cron(0, 2, "?", "*", "SUN", "*"), name="results_check")
def results_schedule(event):
    """Sunday 02:00 UTC: the recent periods' results checked against the source data. Invoked
    by hand with {"detail": {"recount": true}}: every period recounted (docs/operations.md)."""
    detail = getattr(event, "detail", None)
    recount = isinstance(detail, dict) and detail.get("recount") is True
    return run_job("results-recount" if recount else "results", event)


@scheduled(Cron(30, 3, "*", "*", "?", "*"), name="retention")
def retention_schedule(event):
    """Every day, 03:30 UTC: the personal data of cases closed more than RELAIS_RETENTION_MONTHS (6) ago is wiped."""
    return run_job("retention", event)


@scheduled(Cron(0, 6, 1, "1,4,7,10", "?", "*"), name="quarterly_report")
def quarterly_report_schedule(event):
    """First day of each quarter, 06:00 UTC: the past quarter's report to each territory's
    follow-up commission (once per territory and quarter)."""
    return run_job("quarterly_report", event)
