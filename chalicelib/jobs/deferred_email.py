"""The `email` worker: a notification the email pacing deferred (services/pacing.py), delivered
again from the job queue. Not a scheduled job: the outbox queues these units itself."""
from __future__ import annotations

from collections import Counter

from ..domain.models import Notification
from .units import Done, Unit, worker


@worker("email")
def deliver_deferred(deps, unit: Unit) -> Done:
    from ..services import outbox

    notification = Notification.model_validate_json(unit.after or "")
    outbox.deliver(deps, notification)      # deferred again: queued again, with its delay
    return Done(Counter(notifications=1))
