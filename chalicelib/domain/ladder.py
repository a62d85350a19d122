"""The escalation ladder: what happens, and when, as an answer deadline approaches and slips.

Each stage is an offset in business days from the last day of the deadline (its due date):
-1 is the business day before it (at 08:00 Paris), 0 is the deadline itself (midnight at the
end of the due date), +N is N business days after the deadline. Stages fire in order, once
each; `Escalation.ladder_stage` counts those that fired.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from . import deadlines
from .models import Escalation, EscalationStatus


@dataclass(frozen=True)
class Stage:
    name: str          # reminder | breach | manager | coordinator
    offset: int        # business days from the due date


DEFAULT = (Stage("reminder", -1), Stage("breach", 0), Stage("manager", 2), Stage("coordinator", 5))
REMINDER_HOUR = time(8, 0)


def parse(text: str | None) -> tuple[Stage, ...]:
    """'reminder:-1,breach:0,manager:2,coordinator:5' -> stages; empty -> the default ladder."""
    if not text:
        return DEFAULT
    stages = []
    for part in text.split(","):
        name, _, offset = part.strip().partition(":")
        if name not in {"reminder", "breach", "manager", "coordinator"}:
            raise ValueError(f"unknown ladder stage {name!r}")
        stages.append(Stage(name, int(offset)))
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
