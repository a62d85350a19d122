"""The escalation ladder: what happens, and when, as an answer deadline approaches and slips.

Each stage is an offset in business days from the last day of the deadline (its due date):
-1 is the business day before it (at 08:00 Paris), 0 is the deadline itself (midnight at the
end of the due date), +N is N business days after the deadline. Stages fire in order, once
each; `Escalation.ladder_stage` counts those that fired.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from itertools import pairwise

from . import deadlines
from .models import Escalation, EscalationStatus


@dataclass(frozen=True)
class Stage:
    name: str          # reminder | breach | manager | coordinator
    offset: int        # business days from the due date


DEFAULT = (Stage("reminder", -1), Stage("breach", 0), Stage("manager", 2), Stage("coordinator", 5))
NAMES = tuple(stage.name for stage in DEFAULT)
_OFFSET = re.compile(r"[+-]?[0-9]+")
REMINDER_HOUR = time(8, 0)


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


def next_action_at(escalation: Escalation, ladder: tuple[Stage, ...] = DEFAULT) -> datetime | None:
    """When the next stage fires; None once the ladder is done, or while nobody waits for the
    partner (answered, closed, paused for information from the usager)."""
    if (escalation.status is not EscalationStatus.SENT or escalation.paused_at is not None
            or escalation.ladder_stage >= len(ladder)):
        return None
    return stage_time(ladder[escalation.ladder_stage], escalation.due_at, escalation.territory_code)
