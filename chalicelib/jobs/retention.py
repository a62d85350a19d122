"""The daily retention sweep (services/retention.py): personal data wiped at the end of its
period, the cases' and the agents' feedback's."""
from __future__ import annotations

from datetime import datetime

from ..services import retention
from . import job


@job("retention")
def sweep(deps, now: datetime) -> dict:
    return {**retention.sweep(deps, now), "feedback_deleted": retention.sweep_feedback(deps, now)}
