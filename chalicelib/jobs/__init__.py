"""Scheduled jobs, by name. Each takes the dependencies and the time it runs as of.

chalicelib/routes/schedules.py schedules them; the dev stage runs them on demand through
POST /_dev/run/<job>?now=<ISO-8601>. A job that fans out (all but the results check) plans units of work that
the job queue's worker runs (jobs/units.py).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

JOBS: dict[str, Callable[..., dict]] = {}


def job(name: str):
    def register(function: Callable[..., dict]):
        JOBS[name] = function
        return function
    return register


def load() -> dict[str, Callable[..., dict]]:
    """Import every job module, so that each registers itself."""
    from . import deferred_email, digest, quarterly_report, reminders, results_check, retention  # noqa: F401

    return JOBS


def _start(name: str, deps, now: datetime):
    from ..domain.errors import NotFound

    load()
    if name not in JOBS:
        known = ", ".join(sorted(JOBS)) or "aucune pour l'instant"
        raise NotFound(f"Cette tâche n'existe pas. Tâches connues : {known}.", field="job")
    return JOBS[name](deps, now)


def run(name: str, deps, now: datetime) -> dict:
    """Run a job as of `now`, as its schedule does: a planned job (jobs/units.py) puts its
    units on the job queue and says how many."""
    from .units import Planned, dispatch

    result = _start(name, deps, now)
    return dispatch(deps, result) if isinstance(result, Planned) else result


def run_inline(name: str, deps, now: datetime) -> dict:
    """The same, with a planned job's units all run here (the dev stage, the tests): what they
    did, summed."""
    from . import units

    result = _start(name, deps, now)
    return units.run_inline(deps, result) if isinstance(result, units.Planned) else result
