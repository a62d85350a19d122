"""A scheduled job fanned out through the job queue (jobs/units.py), on DynamoDB Local and moto's
SQS, with retention as the job: units on the queue, a unit that crashes midway and is retried,
a backlog far larger than the days a run looks back, a replayed unit, a day too big for one unit."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from chalicelib import jobs
from chalicelib.adapters.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.events import EventCode
from chalicelib.domain.models import Case, CaseStatus, Event, Usager
from chalicelib.jobs.units import Unit
from chalicelib.services import retention
from tests.clock import TUESDAY_MORNING
from tests.conftest import whole_table

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POINT = "61-mairie-bretoncelles"


def closed_case(deps, number: int, closed_at: datetime) -> str:
    """A case closed at closed_at, with its place in the retention sweep, as close_case leaves it."""
    ref = f"61-RET-{number:03d}"
    case = Case(ref=ref, point_id=POINT, territory_code="61", created_by="u-agent",
                usager=Usager(first_name="Jeanne", last_name="Martin " + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[number % 26], phone="0612345678"),
                situation="emploi", description="Allocations", consent_attested=True,
                created_at=closed_at - timedelta(days=3), updated_at=closed_at,
                status=CaseStatus.CLOSED, closed_at=closed_at, version=2)
    uow = DynamoUnitOfWork(deps.repo)
    uow.cases.create(case)
    uow.cases.schedule_purge(case)
    uow.events.record(Event(id=f"e-{ref}", code=EventCode.CASE_CLOSED, actor_id="u-agent",
                            at=closed_at, case_ref=ref))
    uow.commit()
    return ref


def purged(deps, ref: str) -> bool:
    return deps.repo.get_case(ref).purged_at is not None


def queued(deps) -> list[Unit]:
    url = deps.sqs.get_queue_url(QueueName=deps.settings.job_queue)["QueueUrl"]
    messages = deps.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [Unit.of(m["Body"]) for m in messages]


def sqs_event(*units: Unit) -> dict:
    return {"Records": [{"messageId": f"m-{n}", "receiptHandle": f"r-{n}", "body": unit.body(),
                         "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-3:0:relais-dev-jobs",
                         "awsRegion": "eu-west-3"} for n, unit in enumerate(units)]}


def test_the_scheduled_run_puts_one_unit_per_due_day_and_territory_on_the_queue(demo):
    deps = demo
    closed = NOW - relativedelta(months=6) - timedelta(days=3)
    closed_case(deps, 1, closed)
    closed_case(deps, 2, closed - timedelta(days=5))

    # A first run: the last 31 days before the cutoff's; the empty ones before the first closing
    # are passed over (the cursor moves), each day from there on is a unit; and 61 and 62.
    assert jobs.run("retention", deps, NOW) == {"units": 8 + 2}
    units = []
    while batch := queued(deps):
        units += batch
    days = sorted(u.key for u in units if u.job == "retention")
    cutoff_day = (NOW - relativedelta(months=6)).date()
    assert days == [(cutoff_day - timedelta(days=n)).isoformat() for n in range(8, 0, -1)]
    assert deps.repo.job_cursor(retention.CURSOR) == days[0]
    assert sorted(u.key for u in units if u.job == "retention-feedback") == ["61", "62"]
    assert {u.as_of for u in units} == {NOW.isoformat()}


def test_a_unit_that_crashes_midway_is_retried_and_purges_each_case_once(deps, monkeypatch):
    day = NOW - relativedelta(months=6) - timedelta(days=2)
    refs = [closed_case(deps, n, day) for n in range(3)]
    unit = Unit("retention", day.date().isoformat(), NOW.isoformat())
    original, calls = deps.repo.delete_many, []

    def crash_on_the_second_marker(key_list):
        if key_list and key_list[0]["PK"].startswith("PURGE#"):
            calls.append(key_list)
            if len(calls) == 2:
                raise RuntimeError("the Lambda ran out of time")
        return original(key_list)

    monkeypatch.setattr(deps.repo, "delete_many", crash_on_the_second_marker)
    from chalicelib.jobs import units

    first = units.handle_queue(deps, sqs_event(unit))
    assert first == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}    # SQS shows it again
    assert sum(purged(deps, ref) for ref in refs) == 2                    # it stopped midway
    second = units.handle_queue(deps, sqs_event(unit))
    assert second == {"batchItemFailures": []}
    assert all(purged(deps, ref) for ref in refs)
    purges = [e for e in deps.repo.get_bundle(refs[1]).events if e.code is EventCode.CASE_PURGED]
    assert len(purges) == 1                                                # done once, not twice
    assert deps.repo.retention_due(unit.key, 10)[0] == []


def test_a_backlog_far_older_than_the_lookback_is_caught_up_not_skipped(deps):
    cutoff_day = (NOW - relativedelta(months=6)).date()
    # The job last ran 100 days ago: its cursor stands there, and cases closed all along since.
    deps.repo.advance_job_cursor(retention.CURSOR, (cutoff_day - timedelta(days=100)).isoformat())
    ages = [99, 80, 64, 35, 5]                         # days before the cutoff's day
    refs = [closed_case(deps, n, datetime.combine(cutoff_day - timedelta(days=age), datetime.min.time(),
                                                  tzinfo=UTC) + timedelta(hours=10))
            for n, age in enumerate(ages)]

    first = jobs.run_inline("retention", deps, NOW)
    # The oldest 62 days of the backlog (100 to 39 days back) and the last 31: the case 35 days
    # back waits its turn (the old sweep read the last 31 days only: four would never go).
    assert first["purged"] == 4 and not purged(deps, refs[3])
    later = [jobs.run_inline("retention", deps, NOW + timedelta(days=n))["purged"] for n in (1, 2)]
    assert later == [0, 1] and all(purged(deps, ref) for ref in refs)
    # The cursor moves over every day wholly purged, up to the day before the run's cutoff day.
    jobs.run_inline("retention", deps, NOW + timedelta(days=3))
    assert deps.repo.job_cursor(retention.CURSOR) == (cutoff_day + timedelta(days=3)).isoformat()


def test_a_replayed_unit_changes_nothing(deps):
    day = NOW - relativedelta(months=6) - timedelta(days=1)
    ref = closed_case(deps, 7, day)
    unit = Unit("retention", day.date().isoformat(), NOW.isoformat())
    from chalicelib.jobs import units

    assert units.run_unit(deps, unit).counts == {"purged": 1}
    before = json.dumps(sorted(json.dumps(i, sort_keys=True) for i in whole_table(deps)))
    again = units.run_unit(deps, unit)
    assert sum(again.counts.values()) == 0 and again.more == []
    assert json.dumps(sorted(json.dumps(i, sort_keys=True) for i in whole_table(deps))) == before
    assert purged(deps, ref)


def test_a_day_too_big_for_one_unit_continues_in_the_next(deps, monkeypatch):
    monkeypatch.setattr(retention, "DAY_UNIT_CASES", 2)
    day = NOW - relativedelta(months=6) - timedelta(days=4)
    refs = [closed_case(deps, n, day + timedelta(minutes=n)) for n in range(5)]
    from chalicelib.jobs import units

    first = units.run_unit(deps, Unit("retention", day.date().isoformat(), NOW.isoformat()))
    assert first.counts == {"purged": 2} and len(first.more) == 1 and first.more[0].after
    assert jobs.run_inline("retention", deps, NOW)["purged"] == 3        # the rest, over two units
    assert all(purged(deps, ref) for ref in refs)


def test_a_unit_does_what_its_plan_said_even_when_it_runs_days_later(deps):
    """A unit keeps the instant it was planned as of: run late (a backlog in the queue), it
    purges what was due then, not what has become due since."""
    cutoff = NOW - relativedelta(months=6)
    deps.clock = lambda: NOW + timedelta(days=10)           # the unit runs ten days after its plan
    due = closed_case(deps, 1, cutoff - timedelta(days=1))
    later = closed_case(deps, 2, cutoff + timedelta(hours=2))              # due two hours later
    from chalicelib.jobs import units

    for day in {d.date() for d in (cutoff - timedelta(days=1), cutoff + timedelta(hours=2))}:
        units.run_unit(deps, Unit("retention", day.isoformat(), NOW.isoformat()))
    assert purged(deps, due) and not purged(deps, later)


def test_units_on_the_queue_are_run_by_the_worker_as_lambda_would(deps):
    from chalicelib.dev import queue_drain
    from chalicelib.routes import events

    day = NOW - relativedelta(months=6) - timedelta(days=6)
    refs = [closed_case(deps, n, day) for n in range(3)]
    assert jobs.run("retention", deps, NOW)["units"] >= 1
    assert not any(purged(deps, ref) for ref in refs)          # planned only: nothing done yet
    assert queue_drain.drain(deps, deps.settings.job_queue, events.handle_job_units_event) >= 1
    assert all(purged(deps, ref) for ref in refs)
    assert queued(deps) == []
