"""The published results checked against their source data (services/results_check.py): weekly,
the recent periods, a territory per unit; on demand, the full recount."""
from __future__ import annotations

from datetime import datetime

from ..services import results_check
from . import job
from .units import Planned, worker


@job("results")
def check_results(deps, now: datetime) -> Planned:
    return results_check.plan_check(deps, now)


@job("results-recount")
def recount_results(deps, now: datetime) -> Planned:
    return results_check.plan_recount(deps, now)


worker(results_check.CHECK)(results_check.check_territory)
worker(results_check.RECOUNT)(results_check.check_territory)
worker(results_check.NATIONAL)(results_check.check_national)
