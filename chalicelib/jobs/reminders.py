"""The reminder sweep: climbs the ladder of every escalation whose next stage is due.

It reads the sparse index GSI3 (only escalations with a stage ahead carry it), one unit at a
time: one UTC day of stage times x one shard (`sweep_unit`), so its cost follows the number of
due escalations, not the number of open ones. Each escalation climbs in one transaction: its
new stage (condition: the version it was read at), the Notification of the stage it sends and
the events of the stages it passes (domain/ladder.py `climb`: after an outage, only the latest
stage whose time has come is sent, saying how late it is). A second run, an overlapping run, or
a run after a crash midway finds the stage already done, or does what the crashed run did not.

Cursor, not window: a stored cursor (the job cursor "reminders") is the oldest day still to
read. Each run reads from it to today, at most MAX_DAYS_PER_RUN days (a long backlog is caught
up over several runs, oldest first), and moves it over each day it read whole. It never moves
past LOOKBACK_DAYS before today: those days are read again on every run, because a stage can
land in a day already read (an escalation resumed on a weekend keeps a stage time of the day
before; the index is eventually consistent). A first run (no cursor) starts LOOKBACK_DAYS back.
The unit of work is one day x one shard: fanned out through a queue (issue 21), a day's units
must all be done before the cursor moves over that day.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from aws_lambda_powertools import Logger

from ..domain import ladder
from ..domain.errors import NotFound
from ..domain.events import Actor, EventCode
from ..domain.models import Notification, NotificationKind
from ..observability import correlate, count
from ..services.common import event, retry_on_conflict
from . import job

logger = Logger(service="relais", child=True)
LOOKBACK_DAYS = 7         # read again on every run, behind today (see the module's docstring)
MAX_DAYS_PER_RUN = 31     # 31 days x 8 shards = 248 queries at most per run
CURSOR = "reminders"


@dataclass(frozen=True)
class Plan:
    """The days a run reads: from `start` to `last`; the cursor may move up to `settled`."""

    start: date
    last: date
    settled: date


def plan(cursor: str | None, now: datetime) -> Plan:
    today = now.astimezone(UTC).date()
    settled = today - timedelta(days=LOOKBACK_DAYS)
    # A cursor ahead of `settled` is one of a run "as of" a later time (a replay, the dev route).
    start = min(date.fromisoformat(cursor), settled) if cursor else settled
    return Plan(start, min(today, start + timedelta(days=MAX_DAYS_PER_RUN - 1)), settled)


@job("reminders")
def sweep(deps, now: datetime) -> dict:
    """Read the planned days, each day's shards in turn, and move the cursor over each day done."""
    stages = deps.settings.ladder
    stored = deps.repo.job_cursor(CURSOR)
    days = plan(stored, now)
    if stored is None:
        deps.repo.advance_job_cursor(CURSOR, days.start.isoformat())   # the first run: from here on
        stored = days.start.isoformat()
    totals: Counter[str] = Counter()
    day = days.start
    while day <= days.last:
        for shard in range(ladder.SWEEP_SHARDS):
            totals += sweep_unit(deps, day, shard, now, stages)
        day += timedelta(days=1)
        if day <= days.settled and day.isoformat() > stored:
            deps.repo.advance_job_cursor(CURSOR, day.isoformat())      # every day before it is done
            stored = day.isoformat()
    count("ladder_stages_fired", totals["fired"])
    count("ladder_stages_passed", totals["passed"])
    result = {"fired": totals["fired"], "passed": totals["passed"], "queries": totals["queries"],
              "from": days.start.isoformat(), "to": days.last.isoformat(),
              "days_behind": max(0, (days.settled - days.last).days)}      # left to the next runs
    logger.info("reminder sweep done", extra=result)
    return result


def sweep_unit(deps, day: date, shard: int, now: datetime, stages=ladder.DEFAULT) -> Counter[str]:
    """One unit of work: the escalations of one day and shard whose next stage is due by now."""
    done: Counter[str] = Counter(queries=1)
    for target in deps.repo.due_escalations(day.isoformat(), shard, now):
        step = fire(deps, target.case_ref, target.group_id, now, stages)
        if step is not None:
            done["fired"] += step.send is not None
            done["passed"] += len(step.passed)
    return done


def fire(deps, ref: str, group_id: str, now: datetime, stages=ladder.DEFAULT) -> ladder.Climb | None:
    """Climb the escalation's ladder as far as `now`; None if there is nothing to do."""
    def attempt() -> ladder.Climb | None:
        with deps.uow() as uow:
            try:
                record = uow.cases.get(ref)
            except NotFound:
                return None
            escalation = record.escalations.get(group_id)
            if escalation is None:
                return None
            step = ladder.climb(escalation, now, stages)
            if step is None:
                return None            # answered, paused, done, or climbed by another run
            advanced = escalation.model_copy(update={"ladder_stage": step.reached,
                                                     "version": escalation.version + 1})
            uow.escalations.save(advanced, escalation.version, ladder.next_action_at(advanced, stages))
            for stage in step.passed:
                uow.events.record(event(EventCode.ladder(stage.name, passed=True), Actor.REMINDERS,
                                        now, ref, group_id))
            if step.send is not None:
                data = {"stage": step.send.name}
                if step.late(now):
                    data["scheduled_at"] = step.scheduled_at.isoformat()
                uow.outbox.add(Notification(
                    id=f"ladder-{group_id}-{int(escalation.created_at.timestamp())}-{step.reached - 1}",
                    case_ref=ref, kind=NotificationKind.LADDER, group_id=group_id, data=data,
                    created_at=now))
                uow.events.record(event(EventCode.ladder(step.send.name), Actor.REMINDERS, now, ref, group_id))
            correlate(ref, group_id)
            uow.commit()
        if any(stage.name == "breach" for stage in (step.send, *step.passed) if stage):
            count("escalations_late")
        if step.passed:
            logger.info("ladder stages passed", extra={"passed": [s.name for s in step.passed],
                                                       "sent": step.send.name if step.send else None})
        return step

    return retry_on_conflict(attempt)
