"""Agents' feedback to their territory's coordinators: a difficulty with a procedure
(« remontée ») or a training request, and its triage. Pure: in with state, out with new state.

A feedback's id starts with its creation time, so its sort key (`<created ts>#<id>`, see
adapters/keys.py) is rebuilt from the id alone: a link or an API path needs nothing else.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from .commands import FeedbackCreate, FeedbackTriage
from .deadlines import PARIS
from .errors import Conflict
from .models import Feedback, FeedbackStatus

_ID = re.compile(r"^(\d{8}T\d{12})-[0-9a-f]{6}$")
_ID_TIME = "%Y%m%dT%H%M%S%f"
ORDER = [FeedbackStatus.NEW, FeedbackStatus.ACKNOWLEDGED, FeedbackStatus.SOLVED]
ALREADY_SOLVED = "Cette remontée est déjà résolue : elle ne peut pas revenir en arrière."


def new_id(now: datetime, random_hex: str) -> str:
    """`20260105T101500123456-a1b2c3`: the UTC creation time to the microsecond, then 6 hex."""
    return f"{now.astimezone(UTC).strftime(_ID_TIME)}-{random_hex[:6]}"


def created_at_of(feedback_id: str) -> datetime | None:
    """The creation time an id carries, or None if it is not a feedback id."""
    match = _ID.match(feedback_id or "")
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), _ID_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def open_feedback(command: FeedbackCreate, *, feedback_id: str, territory_code: str, point_id: str,
                  author_id: str, now: datetime) -> Feedback:
    return Feedback(id=feedback_id, kind=command.kind, territory_code=territory_code,
                    point_id=point_id, author_id=author_id,
                    **command.model_dump(exclude={"kind", "point_id"}, exclude_none=True),
                    created_at=now, updated_at=now)


def triage(feedback: Feedback, command: FeedbackTriage, now: datetime) -> Feedback:
    """Forward only: new, then acknowledged, then solved (a step may be skipped). The answer
    is replaced. The same status and answer again change nothing: the same object comes back."""
    if ORDER.index(command.status) < ORDER.index(feedback.status):
        raise Conflict(ALREADY_SOLVED, field="status")
    if command.status is feedback.status and command.answer == feedback.answer:
        return feedback
    return feedback.model_copy(update={"status": command.status, "answer": command.answer,
                                       "updated_at": now, "triaged_at": now,
                                       "version": feedback.version + 1})


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Days as a coordinator means them, in Europe/Paris: [since 00:00, the day after until 00:00)."""
    start = datetime.combine(since, time(0), PARIS).astimezone(UTC) if since else None
    end = (datetime.combine(until + timedelta(days=1), time(0), PARIS).astimezone(UTC)
           if until else None)
    return start, end
