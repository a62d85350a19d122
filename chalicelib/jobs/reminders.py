"""The reminder sweep: fires the ladder stages that are due, each exactly once.

It reads the sparse index GSI3 (only escalations with a stage ahead carry it) for the days
from LOOKBACK_DAYS ago to today, in every shard, up to `now`: its cost follows the number of
due escalations, not the number of open ones. Each stage fires in one transaction: the
escalation moves to its next stage (condition: the version it was read at) together with the
Notification that announces it. A second run, an overlapping run, or a run after a crash
midway finds the stage already fired, or fires what the crashed run did not.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from ..adapters import keys
from ..adapters.dynamo import escalation_write, event_write, notification_write
from ..domain import ladder
from ..domain.errors import NotFound
from ..domain.models import Notification, NotificationKind
from ..observability import correlate, count
from ..services.common import event, retry_on_conflict
from . import job

logger = Logger(service="relais", child=True)
LOOKBACK_DAYS = 7        # a stage missed by a week of failed runs is still fired
SYSTEM_ACTOR = "system-reminders"


@job("reminders")
def sweep(deps, now: datetime) -> dict:
    stages = deps.settings.ladder
    fired = queries = 0
    today = now.date()
    for back in range(LOOKBACK_DAYS, -1, -1):
        day = (today - timedelta(days=back)).isoformat()
        for shard in range(keys.DUE_SHARDS):
            queries += 1
            for target in deps.repo.due_escalations(day, shard, now):
                if fire(deps, target.case_ref, target.group_id, now, stages):
                    fired += 1
    count("ladder_stages_fired", fired)
    logger.info("reminder sweep done", extra={"fired": fired, "queries": queries})
    return {"fired": fired, "queries": queries}


def fire(deps, ref: str, group_id: str, now: datetime, stages=ladder.DEFAULT) -> bool:
    """Fire the escalation's next stage if it is due; False if there is nothing to do."""
    def attempt() -> bool:
        try:
            bundle = deps.repo.get_bundle(ref)
        except NotFound:
            return False
        escalation = bundle.escalations.get(group_id)
        if escalation is None:
            return False
        due = ladder.next_action_at(escalation, stages)
        if due is None or due > now:
            return False            # answered, paused, done, or fired by another run
        stage = stages[escalation.ladder_stage]
        advanced = escalation.model_copy(update={"ladder_stage": escalation.ladder_stage + 1,
                                                 "version": escalation.version + 1})
        notification = Notification(
            id=f"ladder-{group_id}-{int(escalation.created_at.timestamp())}-{escalation.ladder_stage}",
            case_ref=ref, kind=NotificationKind.LADDER, group_id=group_id,
            data={"stage": stage.name}, created_at=now)
        correlate(ref, group_id)
        deps.repo.transact([
            escalation_write(advanced, escalation.version, ladder.next_action_at(advanced, stages)),
            notification_write(notification),
            event_write(event(f"LADDER_{stage.name.upper()}", SYSTEM_ACTOR, now, ref, group_id)),
        ])
        if stage.name == "breach":
            count("escalations_late")
        return True

    return retry_on_conflict(attempt)
