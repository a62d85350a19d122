"""A national day: each scheduled job's largest unit measured on DynamoDB Local, then its units
and its queue's drain extrapolated to 2,840 points at 3 times the yearly average (issue 21).

Every job is bounded per unit (jobs/units.py), so its largest unit is one that does its whole
bound: 200 escalations climbed (reminders), 100 cases wiped (retention), 2,000 items summed
(a results check step), one territory's digest at national density (12 answered cases per
point, 28 points: 336 cases) and one territory's quarterly report over the cells of France
(2,840 points). Each is built here and run once, through its worker, in this process: its wall
time, its CPU time and its memory (resident before it + the peak of what it allocated) are
measured against RunJobUnits' timeout and memory (infra/template.py). The number of units and the queue's drain at 5
workers are then computed from the national volumes below: those are extrapolated, and named.
"""
from __future__ import annotations

import gc
import math
import os
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from harness import figure, local_aws, record  # noqa: E402

# The nation, as the issue and the project's own figures give it (extrapolated from here on).
CASES_PER_YEAR = 9_000_000
POINTS = 2_840
TERRITORIES = 101
PEAK = 3                          # the peak against the yearly average
WORKING_DAYS = 250
ESCALATED = 0.4                   # assumed share of cases escalated to a partner
STAGES_PER_ESCALATION = 1.5       # assumed ladder stages fired per escalation (a reminder, some breaches)
ANSWERED_OPEN_PER_POINT = 12      # assumed answered cases still open per point on a Monday
LARGEST_TERRITORY = 3             # the largest territory against the average one (Nord, Paris...)
PEAK_HOUR_SHARE = 0.2             # assumed share of a day's emails sent in its busiest hour
HELD_SHARE = 0.3                  # assumed share of a Monday's SMS held by the quiet hours (the weekend's)
from chalicelib.routes.events import JOB_WORKERS as WORKERS  # noqa: E402
from chalicelib.routes.events import SMS_WORKERS  # noqa: E402
from infra.template import FUNCTION_MEMORY, JOB_WORKER_TIMEOUT  # noqa: E402
from infra.template import RESERVED_CONCURRENCY as RESERVED  # noqa: E402

TIMEOUT_S, MEMORY_MB = JOB_WORKER_TIMEOUT, FUNCTION_MEMORY["run_job_units"]
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POINT, TERRITORY = "61-mairie-bretoncelles", "61"


def measured(run) -> dict:
    """Wall and CPU seconds, and memory in MB (resident before + allocation peak), of run()."""
    gc.collect()
    resident = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    done = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    return {"wall": wall, "cpu": cpu, "memory": resident + peak, "done": done}


def case(ref: str, created: datetime, status: str = "escalated", **extra):
    from chalicelib.domain.models import Case, Usager

    return Case(ref=ref, point_id=extra.pop("point_id", POINT), territory_code=TERRITORY,
                created_by=extra.pop("created_by", "u-bench"),
                usager=Usager(first_name="Jeanne", last_name="Martin", phone="0612345678"),
                situation="precarite", description="Bench", consent_attested=True, status=status,
                created_at=created, updated_at=created, version=2, **extra)


def reminders_unit(deps) -> dict:
    """200 escalations whose reminder is due today, in one day's partitions."""
    from chalicelib.adapters.dynamo import case_write, escalation_write
    from chalicelib.domain import ladder
    from chalicelib.domain.models import Escalation
    from chalicelib.jobs import reminders
    from chalicelib.jobs.units import Unit

    items = []
    for number in range(reminders.UNIT_ESCALATIONS):
        ref, created = f"61-REM-{number:04d}", NOW - timedelta(days=3)
        escalation = Escalation(case_ref=ref, group_id="61-caf", organisation_id="caf", territory_code=TERRITORY,
                                point_id=POINT, question="Où en est le dossier ?", due_at=NOW + timedelta(hours=20),
                                created_at=created, updated_at=created, reply_token=f"{number:026d}")
        items += [case_write(case(ref, created), None).item,
                  escalation_write(escalation, None, min(ladder.next_action_at(escalation) or NOW, NOW)).item]
    deps.repo.put_many(items)
    return measured(lambda: reminders.sweep_day(deps, Unit("reminders", NOW.date().isoformat(), NOW.isoformat())))


def retention_unit(deps) -> dict:
    """100 cases closed on one day past the period, each with its purge marker."""
    from dateutil.relativedelta import relativedelta

    from chalicelib.adapters.unit_of_work import DynamoUnitOfWork
    from chalicelib.jobs.units import Unit
    from chalicelib.services import retention

    closed = NOW - relativedelta(months=6) - timedelta(days=2)
    for number in range(retention.DAY_UNIT_CASES):
        uow = DynamoUnitOfWork(deps.repo)
        wiped = case(f"61-RET-{number:04d}", closed - timedelta(days=3), "closed", closed_at=closed)
        uow.cases.create(wiped)
        uow.cases.schedule_purge(wiped)
        uow.commit()
    unit = Unit("retention", closed.date().isoformat(), NOW.isoformat())
    return measured(lambda: retention.purge_day(deps, unit))


def results_step(deps) -> dict:
    """One step of a territory's recount: STEP_ITEMS cases read and summed, the sums to S3."""
    from chalicelib.adapters.dynamo import case_write
    from chalicelib.jobs.units import Unit
    from chalicelib.services import results_check

    items = [case_write(case(f"61-RES-{n:05d}", NOW - timedelta(days=n % 150, hours=n % 7), "closed",
                             closed_at=NOW - timedelta(days=n % 150), outcome="solved_at_desk"), None).item
             for n in range(results_check.STEP_ITEMS + 100)]
    deps.repo.put_many(items)
    return measured(lambda: results_check.check_territory(deps, Unit("results-recount", TERRITORY, NOW.isoformat())))


def digest_unit(deps) -> dict:
    """A territory at national density: 28 points' answered cases (the demo's 8 points carry them)."""
    from chalicelib.adapters.dynamo import case_write
    from chalicelib.jobs import digest
    from chalicelib.jobs.units import Unit

    points, _ = deps.repo.territory_directory(TERRITORY)
    agents = [deps.repo.get_user_by_email(f"agent.{p.id.split('-', 2)[2]}@example.org") for p in points]
    pairs = [(p, a) for p, a in zip(points, agents, strict=True) if a is not None]
    cases = round(POINTS / TERRITORIES) * ANSWERED_OPEN_PER_POINT
    deps.repo.put_many([case_write(case(f"61-DIG-{n:04d}", NOW - timedelta(days=5), "answered",
                                        point_id=pairs[n % len(pairs)][0].id,
                                        created_by=pairs[n % len(pairs)][1].id), None).item
                        for n in range(cases)])
    return measured(lambda: digest.territory_digest(deps, Unit("digest", TERRITORY, NOW.isoformat())))


def report_unit(deps) -> dict:
    """One territory's quarterly report, its publication reading the cells of 2,840 points."""
    from chalicelib.adapters import keys
    from chalicelib.adapters.dynamo.items import plain_item
    from chalicelib.domain import results as domain
    from chalicelib.jobs.quarterly_report import territory_report
    from chalicelib.jobs.units import Unit

    quarter = domain.previous_quarter(domain.quarter(NOW))
    cells = [plain_item(keys.results_cell(period, "point", f"XX-point-{n:04d}"), "ResultsCell",
                        cases=40 + n % 30, closed=30, esc=12, due=10, ontime=8, answered=9, h8=9)
             for period in (quarter, *domain.quarter_months(quarter)) for n in range(POINTS)]
    deps.repo.put_many(cells)
    return measured(lambda: territory_report(deps, Unit("quarterly_report", TERRITORY, NOW.isoformat())))


def national() -> dict[str, dict]:
    """Units per run and service level, from the national volumes (extrapolated)."""
    escalations = CASES_PER_YEAR * ESCALATED
    stages_peak_day = PEAK * escalations * STAGES_PER_ESCALATION / WORKING_DAYS
    closings_peak_day = PEAK * CASES_PER_YEAR / 365
    recent_items = CASES_PER_YEAR / 2 * (1 + ESCALATED)          # two quarters of cases and escalations
    return {
        "reminders": {"units": math.ceil(stages_peak_day / 200), "level_s": 3600, "level": "within the hour",
                      "volume": f"{stages_peak_day:,.0f} stages on a peak day, all due at one run (worst case)",
                      "quota": "none beyond Lambda's"},
        "retention": {"units": math.ceil(closings_peak_day / 100) + TERRITORIES, "level_s": 86400,
                      "level": "within a day", "volume": f"{closings_peak_day:,.0f} closings on a peak day",
                      "quota": "none"},
        "results": {"units": math.ceil(recent_items / 2000) + TERRITORIES + 8, "level_s": 7 * 86400,
                    "level": "within a week", "volume": f"{recent_items:,.0f} items in the recent periods",
                    "quota": "S3 requests (a few thousand)"},
        "digest": {"units": TERRITORIES, "level_s": 3600, "level": "within the hour (before 09:00)",
                   "volume": f"{POINTS * ANSWERED_OPEN_PER_POINT:,} answered cases; the largest territory x{LARGEST_TERRITORY}",
                   "quota": "SES: one email per agent, about 8,500, paced at the SES rate"},
        "quarterly_report": {"units": TERRITORIES, "level_s": 86400, "level": "within a day",
                             "volume": "one report per territory", "quota": "SES: a few hundred emails"},
    }


def main() -> None:
    with local_aws(table="relais-national", stream=False):
        from chalicelib import bootstrap

        deps = bootstrap.deps()
        deps.clock = lambda: NOW
        runs = {"reminders": reminders_unit(deps), "retention": retention_unit(deps),
                "results": results_step(deps), "digest": digest_unit(deps),
                "quarterly_report": report_unit(deps)}
    # The largest territory's digest: its emails and queries scale with it (extrapolated).
    runs["digest"] = {**runs["digest"], "wall": runs["digest"]["wall"] * LARGEST_TERRITORY,
                      "cpu": runs["digest"]["cpu"] * LARGEST_TERRITORY}
    volumes = national()
    figures, rows = [], [f"| Job (RunJobUnits, {TIMEOUT_S} s, {MEMORY_MB} MB) | Largest unit: wall, CPU | Memory | Units per run | "
                         "Drain at 5 workers | Service level | Quota |", "|---|---|---|---|---|---|---|"]
    for name, run in runs.items():
        plan = volumes[name]
        drain = plan["units"] * run["wall"] / WORKERS
        time_share, memory_share = run["wall"] / TIMEOUT_S, run["memory"] / MEMORY_MB
        figures.append(figure(f"{name}: largest unit", f"{run['wall']:.1f} s wall ({time_share:.0%} of {TIMEOUT_S} s), "
                              f"{run['cpu']:.1f} s CPU, {run['memory']:.0f} MB ({memory_share:.0%} of {MEMORY_MB} MB)",
                              "<= 25 % of the timeout and of the memory", max(time_share, memory_share) <= 0.25))
        figures.append(figure(f"{name}: drain of {plan['units']:,} units at {WORKERS} workers",
                              f"{drain / 60:.1f} min", plan["level"], drain <= plan["level_s"]))
        rows.append(f"| `{name}` | {run['wall']:.1f} s, {run['cpu']:.1f} s | {run['memory']:.0f} MB | "
                    f"{plan['units']:,} ({plan['volume']}) | {drain / 60:.1f} min | {plan['level']} | {plan['quota']} |")
    notes = ["Measured: each job's largest unit (its whole bound), built and run on DynamoDB Local, in one "
             "process; the digest's largest territory is the measured one times "
             f"{LARGEST_TERRITORY}. Extrapolated: the units per run and the drain, from "
             f"{CASES_PER_YEAR:,} cases a year, {POINTS:,} points, a peak of {PEAK}x the average, "
             f"{ESCALATED:.0%} of cases escalated, {STAGES_PER_ESCALATION} ladder stages per escalation "
             "(assumptions, named in bench/bench_national_day.py).", "", *rows]
    flows, flow_rows = outbound_and_inbound()
    figures += flows
    notes += ["", "The outbox's emails, the SMS queue and the inbound replies on the same peak day (extrapolated "
              "from the lifecycle's measured emails and SMS segments, bench/bench_lifecycle.py; the limits are "
              "the prod settings and the quotas of docs/operations.md, 9a):", "", *flow_rows]
    record("national_day", figures, notes)


def outbound_and_inbound() -> tuple[list[dict], list[str]]:
    """Emails (paced, services/pacing.py), SMS and inbound replies on a peak day, from the
    lifecycle's measured messages (build/bench/lifecycle.json, written by the bench run before
    this one) and the prod settings."""
    import json

    from harness import FIGURES

    lifecycle = json.loads((FIGURES / "lifecycle.json").read_text(encoding="utf-8"))["data"]
    prod = json.loads((HERE.parent / ".chalice" / "config.json").read_text(encoding="utf-8"))
    env = prod["stages"]["prod"]["environment_variables"]
    rate, cap = int(env["RELAIS_SES_MAX_PER_SECOND"]), int(env["RELAIS_SES_MAX_PER_DAY"])
    lifecycles = PEAK * CASES_PER_YEAR / WORKING_DAYS
    emails = lifecycles * lifecycle["emails"] + POINTS * 3          # + Monday's digest (about 3 agents a point)
    peak_hour = emails * PEAK_HOUR_SHARE
    segments = lifecycles * lifecycle["segments"]
    held = segments * HELD_SHARE
    replies = lifecycles * ESCALATED
    figures = [
        figure("emails on a peak day against the daily cap", f"{emails:,.0f} against {cap:,}",
               "under the cap (RELAIS_SES_MAX_PER_DAY)", emails <= cap),
        figure("emails in the peak hour against the paced rate", f"{peak_hour / 3600:.1f} a second against {rate}",
               "under the rate (RELAIS_SES_MAX_PER_SECOND)", peak_hour / 3600 <= rate),
    ]
    rows = ["| Flow | Volume on a peak day | Limit | Drain | Service level | Quota it needs |", "|---|---|---|---|---|---|",
            f"| Emails (outbox, digest, reports; paced) | {emails:,.0f} ({lifecycle['emails']:.1f} a lifecycle); "
            f"{peak_hour / 3600:.1f} a second in the peak hour | {rate} a second, {cap:,} a UTC day | "
            f"{emails / rate / 3600:.1f} h of sending at the rate | within minutes in the peak hour | "
            f"SES: {math.ceil(emails / 50_000) * 50_000:,} a day, {math.ceil(peak_hour / 3600 * 1.5)} a second |",
            f"| SMS (SendSms, {SMS_WORKERS} workers) | {segments:,.0f} segments ({lifecycle['segments']:.1f} a "
            f"lifecycle); {held:,.0f} held by the quiet hours | released over the hour after 08:00 | "
            f"{held / 3600:.1f} segments a second for an hour | within 2 hours of 08:00 | "
            f"an origination of at least {math.ceil(held / 3600)} parts a second |",
            f"| Replies by email (ReceiveEmail, {RESERVED['receive_email']} reserved, "
            f"{FUNCTION_MEMORY['receive_email']:,} MB) | {replies:,.0f} | SES's 40 MB a message "
            "(bench/bench_inbound_memory.py) | as they come | within the minute | SES receiving: none |"]
    return figures, rows


if __name__ == "__main__":
    main()
