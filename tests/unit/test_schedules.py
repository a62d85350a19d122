"""The jobs' schedules, as app.py declares them to Chalice (what `make package` turns into
EventBridge rules), against the runbook's table (docs/operations.md): each cron expression is
evaluated over real calendars and must fire exactly when the runbook says."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule

from infra import schedules
from infra.schedules import MONTH_NAMES, rate_interval

pytestmark = pytest.mark.instant("2026-11-24T10:00:00+01:00")
RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
PARIS = ZoneInfo("Europe/Paris")
# From 1 December 2026 to the end of January 2028: every day of 2027, and two New Years.
START, END = date(2026, 12, 1), date(2028, 1, 31)


# The evaluator of EventBridge expressions is infra's (infra/schedules.py): the heartbeat alarms read it.
def cron_times(expression: str, start: date = START, end: date = END) -> list[datetime]:
    return schedules.cron_times(expression, start, end)


def test_the_evaluator_reads_eventbridge_crons():
    one_day = dict(start=date(2027, 3, 1), end=date(2027, 3, 1))          # a Monday
    assert [t.strftime("%H:%M") for t in cron_times("cron(0/20 9-10 ? * MON-FRI *)", **one_day)] == [
        "09:00", "09:20", "09:40", "10:00", "10:20", "10:40"]
    assert cron_times("cron(0 9 ? * 1 *)", **one_day) == []                # 1 is Sunday
    assert cron_times("cron(0 9 ? * 2 *)", **one_day) == [datetime(2027, 3, 1, 9, 0, tzinfo=UTC)]
    assert len(cron_times("cron(15 12 29 FEB ? *)", date(2027, 1, 1), date(2028, 12, 31))) == 1   # 2028 only
    assert rate_interval("rate(1 hour)") == timedelta(hours=1)
    with pytest.raises(NotImplementedError):
        cron_times("cron(0 9 L * ? *)")


# --- what the runbook says, and what app.py declares -------------------------------------------

WEEKDAYS = {"Monday": rrule.MO, "Tuesday": rrule.TU, "Wednesday": rrule.WE, "Thursday": rrule.TH,
            "Friday": rrule.FR, "Saturday": rrule.SA, "Sunday": rrule.SU}
MONTH_ABBREVIATIONS = {name.title(): n for name, n in MONTH_NAMES.items()}


def runbook_triggers() -> dict[str, str]:
    """Logical id -> the runbook's Trigger cell, for the functions EventBridge runs."""
    rows = re.findall(r"^\| `(\w+)` \| EventBridge, ([^|]+?) \|", RUNBOOK.read_text(encoding="utf-8"), re.M)
    return dict(rows)


def runbook_times(phrase: str, start: date = START, end: date = END) -> list[datetime] | timedelta:
    """The runbook's words as fire times (UTC), through dateutil's rrule; `every hour` as an interval."""
    if phrase == "every hour":
        return timedelta(hours=1)
    match = re.fullmatch(r"(?:(every day)|(?P<weekday>[A-Z][a-z]+day)|(?P<day>\d{1,2}) (?P<months>[A-Z][a-z]{2}(?:/[A-Z][a-z]{2})*))"
                         r" (?P<hour>\d\d):(?P<minute>\d\d) UTC", phrase)
    assert match, f"the runbook's schedule is not understood: {phrase!r}"
    at = dict(byhour=int(match["hour"]), byminute=int(match["minute"]), bysecond=0)
    if match["weekday"]:
        rule = dict(freq=rrule.WEEKLY, byweekday=WEEKDAYS[match["weekday"]], **at)
    elif match["day"]:
        rule = dict(freq=rrule.YEARLY, bymonth=[MONTH_ABBREVIATIONS[m] for m in match["months"].split("/")],
                    bymonthday=int(match["day"]), **at)
    else:
        rule = dict(freq=rrule.DAILY, **at)
    first = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    last = datetime.combine(end, datetime.max.time(), tzinfo=UTC)
    return list(rrule.rrule(dtstart=first, until=last, **rule))


def declared() -> dict[str, str]:
    """Logical id -> the schedule expression app.py registers (what the template is given)."""
    from chalice.utils import to_cfn_resource_name

    import app as relais

    return {to_cfn_resource_name(source.name): source.schedule_expression.to_string()
            for source in relais.app.event_sources if hasattr(source, "schedule_expression")}


def test_every_scheduled_function_is_in_the_runbook_and_none_is_missing():
    assert set(declared()) == set(runbook_triggers()) == {
        "Reminders", "WeeklyDigest", "ResultsCheck", "QuarterlyReport", "Retention"}


@pytest.mark.parametrize("logical_id", ["Reminders", "WeeklyDigest", "ResultsCheck", "QuarterlyReport", "Retention"])
def test_each_schedule_fires_when_the_runbook_says(logical_id):
    expression, phrase = declared()[logical_id], runbook_triggers()[logical_id]
    expected = runbook_times(phrase)
    if isinstance(expected, timedelta):
        assert expression.startswith("rate(") and rate_interval(expression) == expected, expression
    else:
        assert cron_times(expression) == expected, (expression, phrase)


def test_the_digest_goes_out_on_monday_mornings_paris_time():
    times = cron_times(declared()["WeeklyDigest"], date(2027, 1, 1), date(2027, 12, 31))
    assert len(times) == 52 and {t.astimezone(PARIS).strftime("%A") for t in times} == {"Monday"}
    # 08:00 in winter, 09:00 in summer: before the counters open.
    assert {t.astimezone(PARIS).hour for t in times} == {8, 9}


def test_the_quarterly_report_goes_out_on_the_first_day_of_each_quarter():
    assert cron_times(declared()["QuarterlyReport"], date(2027, 1, 1), date(2027, 12, 31)) == [
        datetime(2027, month, 1, 6, 0, tzinfo=UTC) for month in (1, 4, 7, 10)]


def test_the_results_check_runs_on_sunday_nights_and_retention_every_night():
    checks = cron_times(declared()["ResultsCheck"], date(2027, 1, 1), date(2027, 12, 31))
    assert len(checks) == 52 and {(t.strftime("%A"), t.hour, t.minute) for t in checks} == {("Sunday", 2, 0)}
    sweeps = cron_times(declared()["Retention"], date(2027, 1, 1), date(2027, 12, 31))
    assert len(sweeps) == 365 and {(t.hour, t.minute) for t in sweeps} == {(3, 30)}


@pytest.mark.parametrize("function, job", [
    ("reminders", "reminders"), ("weekly_digest", "digest"), ("results_check", "results"),
    ("retention", "retention"), ("quarterly_report", "quarterly_report"),
])
def test_each_scheduled_function_runs_its_job_as_of_now(function, job, monkeypatch):
    """Through the Lambda entry point, with the job itself replaced: no AWS call is made."""
    from chalice.test import Client

    import app as relais
    from chalicelib import bootstrap, jobs

    ran = []
    monkeypatch.setattr(jobs, "run", lambda name, deps, now: ran.append((name, now)) or {"ok": True})
    bootstrap.reset()
    try:
        with Client(relais.app, stage_name="dev") as client:
            event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                    resources=[f"arn:aws:events:eu-west-3:1:rule/{function}"])
            assert client.lambda_.invoke(function, event).payload == {"ok": True}
    finally:
        bootstrap.reset()
    [(name, now)] = ran
    assert name == job
    assert abs(now - datetime(2026, 11, 24, 9, 0, tzinfo=UTC)) < timedelta(minutes=1)


def test_the_results_check_runs_the_full_recount_when_invoked_for_it(monkeypatch):
    """The runbook's hand invocation (docs/operations.md 4c): {"detail": {"recount": true}}."""
    from chalice.test import Client

    import app as relais
    from chalicelib import bootstrap, jobs

    ran = []
    monkeypatch.setattr(jobs, "run", lambda name, deps, now: ran.append(name) or {"units": 0})
    bootstrap.reset()
    try:
        with Client(relais.app, stage_name="dev") as client:
            for detail in ({"recount": True}, {}, {"recount": "yes"}):
                event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                        detail=detail, resources=[])
                client.lambda_.invoke("results_check", event)
    finally:
        bootstrap.reset()
    assert ran == ["results-recount", "results", "results"]


def _heartbeats(output: str) -> list[dict]:
    import json

    lines = [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]
    return [line for line in lines if "job_ran" in line]


@pytest.mark.parametrize("function", ["reminders", "weekly_digest", "results_check", "retention", "quarterly_report"])
def test_each_scheduled_function_sends_its_heartbeat_once_its_run_is_planned(function, monkeypatch, capsys):
    """The EMF line the heartbeat alarm watches (infra/observability.py): job_ran=1, namespace
    Relais, dimensions service and job, the schedule's name; none when the run raises."""
    from chalice.test import Client

    import app as relais
    from chalicelib import bootstrap, jobs

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    outcomes = iter([{"units": 3}, RuntimeError("the table is unreachable")])

    def run(name, deps, now):
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(jobs, "run", run)
    bootstrap.reset()
    try:
        with Client(relais.app, stage_name="dev") as client:
            event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                    resources=[])
            capsys.readouterr()
            assert client.lambda_.invoke(function, event).payload == {"units": 3}
            [line] = _heartbeats(capsys.readouterr().out)
            with pytest.raises(RuntimeError):
                client.lambda_.invoke(function, event)
            assert _heartbeats(capsys.readouterr().out) == []
    finally:
        bootstrap.reset()
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Relais" and directive["Dimensions"] == [["service", "job"]]
    assert (line["service"], line["job"], line["job_ran"]) == ("relais", function, [1.0])
