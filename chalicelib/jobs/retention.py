"""The daily retention sweep (services/retention.py): personal data wiped at the end of its
period, the cases' and the agents' feedback's. Planned, then run unit by unit (jobs/units.py)."""
from __future__ import annotations

from datetime import datetime

from ..services import retention
from . import job
from .units import Planned, worker


@job("retention")
def sweep(deps, now: datetime) -> Planned:
    return retention.plan(deps, now)


worker("retention")(retention.purge_day)
worker("retention-feedback")(retention.purge_feedback)
