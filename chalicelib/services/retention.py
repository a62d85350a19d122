"""Retention (RGPD): the personal data of a case closed more than RELAIS_RETENTION_MONTHS ago
(6 by default) is wiped; what the published results need stays.

Wiped: the usager's identity (name, phone, email), the description, the partners' questions
and identifiers, every message and its documents (S3), and the lookups that lead to the usager
(name search, phone, reply addresses). Kept: the case's reference, point, situation, status,
outcome, dates and satisfaction mark, the escalations' statuses and dates, and the audit
events (codes and ids only), so that the results and their rebuild are unchanged.

Each closing writes a marker under the day it closed (PURGE#<day>); the daily job plans one unit
per day that has passed the period (`plan`), from a cursor that only moves over days wholly
purged, so its cost follows the cases due, not the cases held, and a backlog is caught up, never
skipped. Units go through the job queue (jobs/units.py). Each purge is idempotent: a unit that
stops midway is finished by its retry.

Agents' feedback (remontées) is free text that may name someone despite the form's advice: it
is deleted RELAIS_FEEDBACK_RETENTION_MONTHS (24 by default: eight quarters for the follow-up
commission to compare) after it was sent, with one Query per territory on the part of its
partition that has passed the period. Its audit events (codes and ids) stay.

A Services Publics+ experience's contact details (the email or phone left for a private reply)
are wiped RELAIS_RETENTION_MONTHS after it was posted, by the same day units: its marker sits
in the day partition of its posting (`PURGE#<day>` / `EXP#<id>`). Its scrubbed text and answer,
which are published, stay.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta

from aws_lambda_powertools import Logger
from dateutil.relativedelta import relativedelta

from ..bootstrap import Deps
from ..domain.errors import NotFound
from ..domain.events import Actor, EventCode
from ..domain.models import CaseStatus, Identifiers
from ..jobs.units import Done, Planned, Unit
from ..observability import correlate, count
from .common import event, retry_on_conflict

logger = Logger(service="relais", child=True)
CURSOR = "retention"         # the job cursor: the oldest closing day not yet wholly purged
LOOKBACK_DAYS = 31          # the last days before the cutoff, planned on every run
MAX_DAYS_PER_RUN = 62       # backlog days planned per run, oldest first
DAY_UNIT_CASES = 100        # cases purged by one unit at most; the rest of the day continues
FEEDBACK_UNIT_ITEMS = 500   # feedback items deleted by one unit at most
PURGED_TEXT = "Texte effacé : la durée de conservation des données personnelles est dépassée."


def cutoff(deps: Deps, now: datetime) -> datetime:
    return now - relativedelta(months=deps.settings.retention_months)


def plan(deps: Deps, now: datetime) -> Planned:
    """The units of a run: one per closing day whose cases are due, one per territory for the
    feedback.

    Days: from the cursor (the oldest day not yet wholly purged) on, oldest first, at most
    MAX_DAYS_PER_RUN of them (a backlog is caught up over several runs, never skipped), and
    always the last LOOKBACK_DAYS (a failing day never holds the recent ones back). The cases of
    a day are all due: a marker left is one of a case reopened or closed again later (that
    closing has its own). A case closed on the cutoff's day waits for the next day's run. The
    cursor moves over each day found empty, contiguously from where it stands."""
    limit = cutoff(deps, now)
    last = limit.date() - timedelta(days=1)
    stored = deps.repo.job_cursor(CURSOR)
    start = date.fromisoformat(stored) if stored else last - timedelta(days=LOOKBACK_DAYS - 1)
    backlog = [start + timedelta(days=n) for n in range(min(MAX_DAYS_PER_RUN, (last - start).days + 1))]
    recent = [last - timedelta(days=n) for n in range(LOOKBACK_DAYS)]
    units, settled = [], True
    for day in sorted(set(backlog) | {d for d in recent if d >= start}):
        if settled and day in backlog and not deps.repo.retention_due(day.isoformat(), 1)[0]:
            deps.repo.advance_job_cursor(CURSOR, (day + timedelta(days=1)).isoformat())
            continue
        settled = False
        units.append(Unit("retention", day.isoformat(), now.isoformat()))
    units += [Unit("retention-feedback", t.code, now.isoformat()) for t in deps.repo.list_territories()]
    logger.info("retention planned", extra={"units": len(units), "from": start.isoformat(),
                                            "cutoff": limit.date().isoformat()})
    return Planned(units, Counter(purged=0, skipped=0, failed=0, feedback_deleted=0))


def purge_day(deps: Deps, unit: Unit) -> Done:
    """One unit: up to DAY_UNIT_CASES cases closed on the unit's day, purged; the rest of the
    day continues in another unit. A case that fails keeps its marker and is tried again on the
    next run; the others go on. Again on the same unit: the markers of the cases done are gone."""
    now = unit.now
    limit = cutoff(deps, now)
    markers, after = deps.repo.retention_due(unit.key, DAY_UNIT_CASES, unit.after)
    counts: Counter[str] = Counter()
    for ref, marker in markers:
        try:
            done = (wipe_experience_contact(deps, ref.removeprefix("EXP#"), limit, now)
                    if ref.startswith("EXP#") else purge(deps, ref, limit, now))
        except Exception:  # noqa: BLE001 - one case must not hold back the others
            logger.exception("retention: case not purged; tried again on the next run")
            counts["failed"] += 1
            continue
        counts["purged" if done else "skipped"] += 1
        deps.repo.delete_many([marker])
    count("cases_purged", counts["purged"])
    count("retention_failures", counts["failed"])
    return Done(counts, [replace(unit, after=after)] if after else [])


def purge_feedback(deps: Deps, unit: Unit) -> Done:
    """One unit: a territory's feedback sent before the feedback period's cutoff, deleted, a
    page at a time (the rest continues in another unit)."""
    limit = unit.now - relativedelta(months=deps.settings.feedback_retention_months)
    page = deps.repo.list_territory_feedback(unit.key, end=limit, newest_first=False,
                                             limit=FEEDBACK_UNIT_ITEMS, cursor=unit.after)
    deps.repo.delete_feedback(page.items)
    count("feedback_purged", len(page.items))
    if page.items:
        logger.info("retention: feedback deleted", extra={"deleted": len(page.items),
                                                          "cutoff": limit.date().isoformat()})
    return Done(Counter(feedback_deleted=len(page.items)),
                [replace(unit, after=page.cursor)] if page.cursor else [])


def wipe_experience_contact(deps: Deps, experience_id: str, limit: datetime, now: datetime) -> bool:
    """The email or phone an experience's author left for a private reply, wiped once the
    experience is older than the period; the published text and answer stay."""
    try:
        experience = deps.repo.get_experience(experience_id)
    except NotFound:
        return False
    if experience.created_at > limit or not (experience.contact_email or experience.contact_phone):
        return False

    def attempt() -> None:
        current = deps.repo.get_experience(experience_id)
        if not (current.contact_email or current.contact_phone):
            return
        wiped = current.model_copy(update={"contact_email": None, "contact_phone": None,
                                           "contact_wiped_at": now, "version": current.version + 1})
        deps.repo.update_experience(wiped, current.version, event(
            EventCode.EXPERIENCE_CONTACT_WIPED, Actor.RETENTION, now, experience_id=experience_id))

    retry_on_conflict(attempt)
    return True


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
