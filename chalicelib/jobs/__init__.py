"""Scheduled jobs, by name. Each takes the dependencies and the time it runs as of.

chalicelib/routes/schedules.py schedules them; the dev stage runs them on demand through
POST /_dev/run/<job>?now=<ISO-8601>.
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
    from . import digest, quarterly_report, reminders, results_check, retention  # noqa: F401

    return JOBS


def run(name: str, deps, now: datetime) -> dict:
    from ..domain.errors import NotFound

    load()
    if name not in JOBS:
        known = ", ".join(sorted(JOBS)) or "aucune pour l'instant"
        raise NotFound(f"Cette tâche n'existe pas. Tâches connues : {known}.", field="job")
    return JOBS[name](deps, now)
