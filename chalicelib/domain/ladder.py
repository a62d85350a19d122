"""The escalation ladder: what happens, and when, as an answer deadline approaches and slips.

Each stage is an offset in business days from the last day of the deadline (its due date):
-1 is the business day before it (at 08:00 Paris), 0 is the deadline itself (midnight at the
end of the due date), +N is N business days after the deadline. `Escalation.ladder_stage`
counts the stages behind the escalation, sent or passed.

A stage is sent once, at its time. When the sweep comes late (an outage) and finds several
stages whose time has come, it sends only the latest, saying how late it is, and passes the
others (`climb`). A reminder (a stage before the deadline) is never sent within
MIN_REMINDER_GAP of the escalation email, on a day that is not a business day, or after the
deadline: it is passed, and the stages after it keep their time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import pairwise

from . import deadlines
from .models import Escalation, EscalationStatus


@dataclass(frozen=True)
class Stage:
    name: str          # reminder | breach | manager | coordinator
    offset: int        # business days from the due date


# The reminder sweep reads its due escalations in this many shards per day (no hot partition).
SWEEP_SHARDS = 8
DEFAULT = (Stage("reminder", -1), Stage("breach", 0), Stage("manager", 2), Stage("coordinator", 5))
NAMES = tuple(stage.name for stage in DEFAULT)
_OFFSET = re.compile(r"[+-]?[0-9]+")
REMINDER_HOUR = time(8, 0)
# A reminder this soon after the escalation email repeats it: with a 1-day deadline (answer_days
# of the group, from 1), the day-before reminder falls on the escalation's own day or earlier.
MIN_REMINDER_GAP = timedelta(hours=12)
# A stage sent later than this after its time says so (the sweep runs every hour).
LATE_AFTER = timedelta(hours=3)


def parse(text: str | None) -> tuple[Stage, ...]:
    """'reminder:-1,breach:0,manager:2,coordinator:5' -> stages; empty -> the default ladder.

    Refuses (ValueError) what it cannot read as a ladder: an unknown stage, an offset that is
    not a whole number, a stage twice, or stages out of order (each must come later than the
    one before it, as they fire one after the other)."""
    if not text:
        return DEFAULT
    stages = []
    for part in text.split(","):
        name, colon, offset = part.strip().partition(":")
        if name not in NAMES:
            raise ValueError(f"unknown ladder stage {name!r}: the stages are {', '.join(NAMES)}")
        if not colon or not _OFFSET.fullmatch(offset.strip()):
            raise ValueError(f"stage {name!r} needs an offset in whole business days, as in {name}:2")
        stages.append(Stage(name, int(offset)))
    names = [stage.name for stage in stages]
    if len(set(names)) != len(names):
        raise ValueError("each stage may appear once")
    if any(later.offset <= earlier.offset for earlier, later in pairwise(stages)):
        raise ValueError("the stages must come in increasing order of offset")
    return tuple(stages)


def stage_time(stage: Stage, due_at: datetime, territory_code: str | None) -> datetime:
    due_day = deadlines.due_date(due_at)
    if stage.offset < 0:
        day = due_day
        for _ in range(-stage.offset):
            day = deadlines.previous_business_day(day, territory_code)
        return datetime.combine(day, REMINDER_HOUR, tzinfo=deadlines.PARIS).astimezone(due_at.tzinfo)
    if stage.offset == 0:
        return due_at
    return deadlines.end_of(deadlines.add_business_days(due_day, stage.offset, territory_code))


def _waiting(escalation: Escalation) -> bool:
    return escalation.status is EscalationStatus.SENT and escalation.paused_at is None


def _time_of(escalation: Escalation, stage: Stage) -> datetime:
    return stage_time(stage, escalation.due_at, escalation.territory_code)


def _too_soon(escalation: Escalation, stage: Stage, at: datetime) -> bool:
    """A reminder timed within MIN_REMINDER_GAP of the escalation (or before it): never sent."""
    return stage.offset < 0 and at < escalation.created_at + MIN_REMINDER_GAP


def next_action_at(escalation: Escalation, ladder: tuple[Stage, ...] = DEFAULT) -> datetime | None:
    """When the sweep next has something to do: the time of the next stage that may be sent
    (a reminder too close to the escalation is skipped); None once the ladder is done, or
    while nobody waits for the partner (answered, closed, paused for information)."""
    if not _waiting(escalation):
        return None
    for stage in ladder[escalation.ladder_stage:]:
        at = _time_of(escalation, stage)
        if not _too_soon(escalation, stage, at):
            return at
    return None


@dataclass(frozen=True)
class Climb:
    """What the sweep does for one escalation at one moment."""

    send: Stage | None             # the stage to announce now, if any
    scheduled_at: datetime | None  # its time: earlier than now by more than LATE_AFTER is late
    passed: tuple[Stage, ...]      # stages whose time came and that are not sent
    reached: int                   # the escalation's ladder_stage afterwards

    def late(self, now: datetime) -> bool:
        return self.scheduled_at is not None and now - self.scheduled_at > LATE_AFTER


def reminder_applies(escalation: Escalation, stage: Stage, at: datetime, now: datetime) -> bool:
    """Whether a reminder timed `at` may still go out `now`: not too close to the escalation,
    before the deadline, and on a business day (Paris) where the case is handled."""
    return (not _too_soon(escalation, stage, at) and now < escalation.due_at
            and deadlines.is_business_day(now.astimezone(deadlines.PARIS).date(), escalation.territory_code))


def climb(escalation: Escalation, now: datetime, ladder: tuple[Stage, ...] = DEFAULT) -> Climb | None:
    """The stages whose time has come by `now`: the latest is sent (unless it is a reminder
    that no longer applies), the ones before it are passed. None when nothing is due."""
    if not _waiting(escalation):
        return None
    come = [(index, stage, _time_of(escalation, stage))
            for index, stage in enumerate(ladder) if index >= escalation.ladder_stage]
    come = [(index, stage, at) for index, stage, at in come if at <= now]
    if not come:
        return None
    index, stage, at = come[-1]
    earlier = tuple(stage for _, stage, _ in come[:-1])
    if stage.offset < 0 and not reminder_applies(escalation, stage, at, now):
        return Climb(send=None, scheduled_at=None, passed=(*earlier, stage), reached=index + 1)
    return Climb(send=stage, scheduled_at=at, passed=earlier, reached=index + 1)
