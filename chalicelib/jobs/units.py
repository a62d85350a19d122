"""Scheduled work fanned out through a queue: a planned job's planner splits its work into
units (a day, a territory...) and puts them on the job queue; the worker (`run_job_units`,
routes/events.py) takes them a few at a time, under a concurrency cap, each unit bounded.

A unit carries the instant its job was planned as of, so a retry or a replay does the same
work; each unit is idempotent (doing it again changes nothing), may hand on a continuation (the
rest of a day too big for one invocation) and reports its counts. A unit that fails is
retried by SQS; after JOB_RECEIVES tries (infra/template.py) it goes to the job dead-letter
queue, which alarms.

The dev stage and the tests run a planned job whole in the process (`run_inline`): the same
planner and units, without the queue; the dev middleware also drains the job queue after each
request, as Lambda's event source would (dev/queue_drain.py).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from aws_lambda_powertools import Logger

from ..observability import count
from ..services.pacing import Deferred

logger = Logger(service="relais", child=True)


@dataclass(frozen=True)
class Unit:
    """One bounded piece of a job: `key` says which (an ISO day, a territory code), `after`
    where a continuation resumes, `as_of` the instant the job was planned as of."""

    job: str
    key: str
    as_of: str
    after: str | None = None

    def body(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def of(cls, body: str) -> Unit:
        return cls(**json.loads(body))

    @property
    def now(self) -> datetime:
        return datetime.fromisoformat(self.as_of)


@dataclass
class Done:
    """What a unit did: its counts, and the units that continue it."""

    counts: Counter[str] = field(default_factory=Counter)
    more: list[Unit] = field(default_factory=list)


@dataclass
class Planned:
    """What a planner decided: the units to run and the plan's own counts (zeros of every count
    its units report, so that a job's summary always has the same keys)."""

    units: list[Unit]
    counts: Counter[str] = field(default_factory=Counter)


Worker = Callable[..., Done]
WORKERS: dict[str, Worker] = {}


def worker(job_name: str):
    def register(function: Worker) -> Worker:
        WORKERS[job_name] = function
        return function
    return register


def enqueue(deps, units: list[Unit]) -> None:
    if units:
        deps.queues.send_many(deps.settings.job_queue, [u.body() for u in units])
        count("job_units_queued", len(units))


def defer(deps, unit: Unit, wait: Deferred) -> None:
    """The email pacing has no token left: the unit comes back after the wait, as a new message,
    so that waiting never counts toward the dead-letter queue."""
    deps.queues.send(deps.settings.job_queue, unit.body(), delay_seconds=wait.seconds)
    logger.info("job unit deferred by the email pacing",
                extra={"job": unit.job, "unit": unit.key, "reason": wait.reason, "delay_seconds": wait.seconds})
    count("job_units_deferred")


def run_unit(deps, unit: Unit) -> Done:
    from . import load

    load()
    done = WORKERS[unit.job](deps, unit)
    logger.info("job unit done", extra={"job": unit.job, "unit": unit.key, "continued": bool(done.more),
                                        **{k: v for k, v in done.counts.items()}})
    return done


def handle_queue(deps, event: dict, context=None) -> dict:
    """A batch of the job queue: each unit run, its continuations queued; a unit that fails is
    reported alone (partial batch response) and comes back."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def handle(record) -> None:         # Powertools hands the record over as `record=`
        unit = Unit.of(record.body)
        try:
            done = run_unit(deps, unit)
        except Deferred as wait:
            defer(deps, unit, wait)
            return
        enqueue(deps, done.more)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(process_partial_response(event=event, record_handler=handle, processor=processor,
                                         context=context))


def dispatch(deps, planned: Planned) -> dict:
    """The scheduled path: the units go on the queue; the job reports how many."""
    enqueue(deps, planned.units)
    return {"units": len(planned.units)}


def run_inline(deps, planned: Planned) -> dict:
    """Every unit and continuation run here, in order: the dev stage's run of a job, and the
    tests'. The counts of all units, summed."""
    counts = Counter(planned.counts)
    pending = list(planned.units)
    while pending:
        unit = pending.pop(0)
        try:
            done = run_unit(deps, unit)
        except Deferred as wait:        # as on the queue: the unit waits for the email pacing
            defer(deps, unit, wait)
            continue
        counts.update(done.counts)
        pending[:0] = done.more
    return dict(counts)
