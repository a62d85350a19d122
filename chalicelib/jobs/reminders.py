"""The reminder sweep: climbs the ladder of every escalation whose next stage is due, and of
every unanswered published experience (issue 25: `fire_experience`, domain/experiences.LADDER),
which shares the index and its bounds.

It reads the sparse index GSI3 (only escalations with a stage ahead carry it): one partition per
UTC day of stage times and shard, so its cost follows the number of due escalations, not the
number of open ones. Each escalation climbs in one transaction: its new stage (condition: the
version it was read at), the Notification of the stage it sends and the events of the stages it
passes (domain/ladder.py `climb`: after an outage, only the latest stage whose time has come is
sent, saying how late it is). A second run, an overlapping run, or a run after a crash midway
finds the stage already done, or does what the crashed run did not.

Planned, then run unit by unit (jobs/units.py): the hourly planner puts one unit per day on the
job queue; a unit reads its day's shards in turn and climbs at most UNIT_ESCALATIONS
escalations, then hands the rest of its day to a continuation. A climbed escalation leaves the
day's partition (its next stage is later), so a retried unit finds only what is left.

Cursor, not window: a stored cursor (the job cursor "reminders") is the oldest day that may
still hold a due stage. Each run plans from it to today, at most MAX_DAYS_PER_RUN days (a long
backlog is caught up over several runs, oldest first), and moves it over each day it finds
clear in every shard, contiguously. It never moves past LOOKBACK_DAYS before today: those days
are planned on every run, because a stage can land in a day already read (an escalation resumed
on a weekend keeps a stage time of the day before; the index is eventually consistent). A first
run (no cursor) starts LOOKBACK_DAYS back.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from aws_lambda_powertools import Logger

from ..domain import experiences as experience_rules
from ..domain import ladder
from ..domain.errors import NotFound
from ..domain.events import Actor, EventCode
from ..domain.models import Notification, NotificationKind
from ..domain.ports import ExperienceRef
from ..observability import correlate, count
from ..services.common import event, retry_on_conflict
from . import job
from .units import Done, Planned, Unit, worker

logger = Logger(service="relais", child=True)
LOOKBACK_DAYS = 7         # planned again on every run, behind today (see the module's docstring)
MAX_DAYS_PER_RUN = 31     # days planned per run at most: a longer backlog takes several runs
UNIT_ESCALATIONS = 200    # escalations climbed by one unit at most; the rest of its day continues
CURSOR = "reminders"


@dataclass(frozen=True)
class Plan:
    """The days a run plans: from `start` to `last`; the cursor may move up to `settled`."""

    start: date
    last: date
    settled: date


def plan(cursor: str | None, now: datetime) -> Plan:
    today = now.astimezone(UTC).date()
    settled = today - timedelta(days=LOOKBACK_DAYS)
    # A cursor ahead of `settled` is one of a run "as of" a later time (a replay, the dev route).
    start = min(date.fromisoformat(cursor), settled) if cursor else settled
    return Plan(start, min(today, start + timedelta(days=MAX_DAYS_PER_RUN - 1)), settled)


def clear(deps, day: date, now: datetime) -> bool:
    """No stage of this day is due by now, in any shard (one item read at most per shard)."""
    return not any(deps.repo.due_escalations(day.isoformat(), shard, now, limit=1)[0]
                   for shard in range(ladder.SWEEP_SHARDS))


@job("reminders")
def sweep(deps, now: datetime) -> Planned:
    """One unit per day from the cursor to today; the cursor moves over the days found clear."""
    stored = deps.repo.job_cursor(CURSOR)
    days = plan(stored, now)
    if stored is None:
        deps.repo.advance_job_cursor(CURSOR, days.start.isoformat())   # the first run: from here on
    units, contiguous, probes = [], True, 0
    day = days.start
    while day <= days.last:
        if contiguous and day < days.settled:
            probes += ladder.SWEEP_SHARDS
            if clear(deps, day, now):
                deps.repo.advance_job_cursor(CURSOR, (day + timedelta(days=1)).isoformat())
                day += timedelta(days=1)
                continue
        contiguous = False
        units.append(Unit("reminders", day.isoformat(), now.isoformat()))
        day += timedelta(days=1)
    behind = max(0, (days.settled - days.last).days)              # left to the next runs
    logger.info("reminder sweep planned", extra={"units": len(units), "from": days.start.isoformat(),
                                                 "to": days.last.isoformat(), "days_behind": behind})
    return Planned(units, Counter(fired=0, passed=0, queries=probes))


@worker("reminders")
def sweep_day(deps, unit: Unit) -> Done:
    """One unit: the escalations of one day whose next stage is due by the unit's instant, shard
    after shard, UNIT_ESCALATIONS at most; `after` ("<shard>|<page>") is where a continuation
    resumes."""
    now, stages = unit.now, deps.settings.ladder
    shard_text, _, page = (unit.after or "0|").partition("|")
    shard, page = int(shard_text), page or None
    done: Counter[str] = Counter(fired=0, passed=0, queries=0)
    budget = UNIT_ESCALATIONS
    while shard < ladder.SWEEP_SHARDS and budget > 0:
        targets, page = deps.repo.due_escalations(unit.key, shard, now, limit=budget, after=page)
        done["queries"] += 1
        budget -= len(targets)
        for target in targets:
            step = (fire_experience(deps, target.experience_id, now) if isinstance(target, ExperienceRef)
                    else fire(deps, target.case_ref, target.group_id, now, stages))
            if step is not None:
                done["fired"] += step.send is not None
                done["passed"] += len(step.passed)
        if page is None:
            shard += 1
    count("ladder_stages_fired", done["fired"])
    count("ladder_stages_passed", done["passed"])
    more = [replace(unit, after=f"{shard}|{page or ''}")] if shard < ladder.SWEEP_SHARDS else []
    return Done(done, more)


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


def fire_experience(deps, experience_id: str, now: datetime,
                    stages=experience_rules.LADDER) -> ladder.Climb | None:
    """Climb an unanswered published experience's ladder as far as `now` (its new stage, the
    Notification of the stage it sends and the events of the stages it passes, in one
    transaction on the version it was read at); None if there is nothing to do."""
    def attempt() -> ladder.Climb | None:
        try:
            current = deps.repo.get_experience(experience_id)
        except NotFound:
            return None
        step = experience_rules.climb(current, now, stages)
        if step is None:
            return None              # answered, or climbed by another run
        events = [event(EventCode.EXPERIENCE_REMINDER, Actor.REMINDERS, now, experience_id=experience_id,
                        stage=stage.name, passed="yes") for stage in step.passed]
        notices: tuple[Notification, ...] = ()
        if step.send is not None:
            notices = (Notification(id=f"experience-ladder-{experience_id}-{step.reached - 1}",
                                    kind=NotificationKind.EXPERIENCE_LADDER, experience_id=experience_id,
                                    data={"stage": step.send.name}, created_at=now),)
            events.append(event(EventCode.EXPERIENCE_REMINDER, Actor.REMINDERS, now,
                                experience_id=experience_id, stage=step.send.name))
        deps.repo.update_experience(experience_rules.climbed(current, step, stages), current.version, None,
                                    notifications=notices, events=tuple(events))
        return step

    return retry_on_conflict(attempt)
