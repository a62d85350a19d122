"""Retention (RGPD): the personal data of a case closed more than RELAIS_RETENTION_MONTHS ago
(6 by default) is wiped; what the published results need stays.

Wiped: the usager's identity (name, phone, email), the description, the partners' questions
and identifiers, every message and its documents (S3), and the lookups that lead to the usager
(name search, phone, reply addresses). Kept: the case's reference, point, situation, status,
outcome, dates and satisfaction mark, the escalations' statuses and dates, and the audit
events (codes and ids only), so that the results and their rebuild are unchanged.

Each closing writes a marker under the day it closed (PURGE#<day>); the daily job reads the
days that have just passed the period, so its cost follows the cases due, not the cases held.
Each purge is idempotent: a run that stops midway is finished by the next one.

Agents' feedback (remontées) is free text that may name someone despite the form's advice: it
is deleted RELAIS_FEEDBACK_RETENTION_MONTHS (24 by default: eight quarters for the follow-up
commission to compare) after it was sent, with one Query per territory on the part of its
partition that has passed the period. Its audit events (codes and ids) stay.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from aws_lambda_powertools import Logger
from dateutil.relativedelta import relativedelta

from ..bootstrap import Deps
from ..domain.errors import NotFound
from ..domain.events import Actor, EventCode
from ..domain.models import CaseStatus, Identifiers
from ..observability import correlate, count
from .common import event, retry_on_conflict

logger = Logger(service="relais", child=True)
LOOKBACK_DAYS = 31          # days before the cutoff read again: a month of failed runs catches up
PURGED_TEXT = "Texte effacé : la durée de conservation des données personnelles est dépassée."


def cutoff(deps: Deps, now: datetime) -> datetime:
    return now - relativedelta(months=deps.settings.retention_months)


def sweep(deps: Deps, now: datetime) -> dict:
    """Purge every case whose retention period has ended; returns what was done.

    It reads the days before the cutoff's own day: every case closed then is due, so a marker
    it leaves is one of a case reopened or closed again later (that closing has its own).
    A case closed on the cutoff's day waits for the next day's run. A case that fails keeps
    its marker and is tried again the next day; the others go on."""
    limit = cutoff(deps, now)
    purged = skipped = failed = 0
    for back in range(LOOKBACK_DAYS, 0, -1):
        day = (limit.date() - timedelta(days=back)).isoformat()
        for ref, marker in deps.repo.retention_due(day):
            try:
                done = purge(deps, ref, limit, now)
            except Exception:  # noqa: BLE001 - one case must not hold back the others
                logger.exception("retention: case not purged; tried again tomorrow")
                failed += 1
                continue
            purged, skipped = purged + done, skipped + (not done)
            deps.repo.delete_many([marker])
    count("cases_purged", purged)
    count("retention_failures", failed)
    logger.info("retention sweep done", extra={"purged": purged, "skipped": skipped, "failed": failed,
                                                "cutoff": limit.date().isoformat()})
    return {"purged": purged, "skipped": skipped, "failed": failed}


def sweep_feedback(deps: Deps, now: datetime) -> int:
    """Delete the feedback sent before the feedback period's cutoff; returns how many."""
    limit = now - relativedelta(months=deps.settings.feedback_retention_months)
    deleted = 0
    for territory in deps.repo.list_territories():
        old = deps.repo.list_territory_feedback(territory.code, end=limit, newest_first=False).items
        deps.repo.delete_feedback(old)
        deleted += len(old)
    count("feedback_purged", deleted)
    if deleted:
        logger.info("retention: feedback deleted", extra={"deleted": deleted, "cutoff": limit.date().isoformat()})
    return deleted


def _delete_prefix(deps: Deps, prefix: str) -> None:
    deps.documents.delete_prefix(prefix)


def purge(deps: Deps, ref: str, limit: datetime, now: datetime) -> bool:
    """Wipe one case if it is still closed since before `limit`; False if it is not due
    (reopened, or closed again later: that closing has its own marker) or already wiped."""
    correlate(ref)
    try:
        bundle = deps.repo.get_bundle(ref)
    except NotFound:
        return False
    case = bundle.case
    if case.status is not CaseStatus.CLOSED or case.closed_at is None or case.closed_at > limit:
        return False
    if case.purged_at is not None:
        return False
    documents = [a.key for m in bundle.messages for a in m.attachments]
    for key in documents:
        deps.documents.delete(key)
    # The raw inbound emails (accepted or quarantined) of the case, and the quarantine records
    # (sender address, subject): personal data too.
    quarantined = deps.repo.list_quarantined(ref)
    for prefix in (f"inbound/{ref}/", f"quarantine/{ref}/"):
        _delete_prefix(deps, prefix)
    deps.repo.drop_lookups(bundle, quarantined)

    def attempt() -> None:
        with deps.uow() as uow:
            current = uow.cases.get(ref)
            wiped = current.case.model_copy(update={
                "usager": None, "description": PURGED_TEXT, "identifiers": Identifiers(),
                "purged_at": now, "version": current.case.version + 1})
            uow.cases.save(wiped, current.case.version)
            for escalation in current.escalations.values():
                uow.escalations.save(escalation.model_copy(update={
                    "question": PURGED_TEXT, "identifiers": Identifiers(), "reply_token": None,
                    "version": escalation.version + 1}), escalation.version)
            uow.events.record(event(EventCode.CASE_PURGED, Actor.RETENTION, now, ref,
                                    messages=str(len(bundle.messages)), documents=str(len(documents))))
            for message in current.messages:
                uow.messages.remove(message)
            uow.commit()

    retry_on_conflict(attempt)
    return True
