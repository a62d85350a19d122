"""The Services Publics+ experiences' lists cost O(page), not O(experiences) (issue 25).

Against DynamoDB Local, with its real ConsumedCapacity: the same territory with 250
experiences, then with 2,500, each posted and moderated through the services (a tenth of them
still waiting for moderation, the CAF's in its team's inbox). Prints, for each size, the
capacity of one page of each list (the public list, the public list of one organisation, the
moderation queue, the team's inbox) and of one open-data file, then their ratios: close to 1
for the pages, the file's per row.
"""
from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_reminders import CapacityMeter  # noqa: E402

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SIZES = (250, 2_500)     # the smaller already fills every page: 25 waiting, 45 of the CAF's
ORGANISATIONS = ("caf", "cpam", "dgfip", "france-travail", None)
PAGE = 20


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def populate(deps, clock: Clock, count: int) -> None:
    """`count` experiences in the Orne over the past weeks: nine in ten published."""
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.commands import ExperienceModeration, ExperiencePost
    from chalicelib.domain.models import Role
    from chalicelib.services import experiences

    moderator = Principal("bench-moderator", Role.MODERATOR, territory_codes=frozenset({"61"}))
    publish = ExperienceModeration(decision="publish")
    for number in range(count):
        clock.at = NOW - timedelta(days=40) + timedelta(minutes=55 * number * 100 // count)
        posted = experiences.post_public(deps, ExperiencePost(
            territory_code="61", organisation_id=ORGANISATIONS[number % len(ORGANISATIONS)],
            situation="precarite", sentiment="negative" if number % 3 else "positive",
            procedure=f"Démarche {number % 7}",
            text=f"Expérience numéro {number} : mon dossier attend depuis plusieurs semaines sans réponse."),
            client_address=f"10.{number // 250}.{number % 250}.1")
        if number % 10:
            clock.at += timedelta(hours=1)
            experiences.moderate(deps, moderator, posted.id, publish)
    clock.at = NOW


def measure(count: int, endpoint: str, stack) -> dict[str, tuple[float, int]]:
    from chalicelib import bootstrap
    from chalicelib.domain import results as periods
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.models import Role
    from chalicelib.services import experience_data, experiences

    table = f"relais-bench-experiences-{count}"
    os.environ["RELAIS_TABLE"] = table
    stack.create_table(endpoint, table, stream=False)
    stack.seed_demo(endpoint, table)
    bootstrap.reset()
    clock = Clock(NOW)
    deps = bootstrap.deps()
    from devtools.demo_cases import fork

    deps = fork(deps, clock)
    populate(deps, clock, count)
    moderator = Principal("bench-moderator", Role.MODERATOR, territory_codes=frozenset({"61"}))
    responder = Principal("bench-responder", Role.RESPONDER, group_ids=frozenset({"caf-61-experiences"}))
    lists = {
        "public list, first page": lambda: experiences.published(deps, experiences.Filters(), limit=PAGE).items,
        "public list of the CAF in the Orne, first page": lambda: experiences.published(
            deps, experiences.Filters(territory_code="61", organisation_id="caf"), limit=PAGE).items,
        "moderation queue, first page": lambda: experiences.moderation_queue(deps, moderator, "61", limit=PAGE).items,
        "team inbox, first page": lambda: experiences.team_inbox(
            deps, responder, "caf-61-experiences", "61", limit=PAGE).items,
        "open data, one file": lambda: experience_data.open_data(deps, periods.quarter(NOW), None)[0],
    }
    meter = CapacityMeter(deps.dynamodb)
    figures = {}
    for name, read in lists.items():
        meter.reset()
        rows = len(read())
        figures[name] = (meter.units, rows)
    return figures


def main() -> None:
    from harness import figure, record

    from devtools import stack

    port = stack.free_port()
    process = stack.start_dynamodb(port)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        os.environ.update({**stack.LOCAL_CREDENTIALS, "RELAIS_DYNAMODB_ENDPOINT": endpoint, "RELAIS_STAGE": "dev",
                           "POWERTOOLS_LOG_LEVEL": "WARNING"})
        os.environ.pop("RELAIS_AWS_EMULATION", None)
        small, large = (measure(size, endpoint, stack) for size in SIZES)
        figures = []
        for name in small:
            (small_units, small_rows), (large_units, large_rows) = small[name], large[name]
            figures.append(figure(f"{name}, {SIZES[0]} experiences",
                                  f"{small_units:.1f} units ({small_rows} rows)"))
            figures.append(figure(f"{name}, {SIZES[1]:,} experiences",
                                  f"{large_units:.1f} units ({large_rows} rows)"))
            if name.startswith("open data"):
                per_row = large_units / max(large_rows, 1)
                figures.append(figure(f"{name}: units per row, {SIZES[1]:,} experiences", f"{per_row:.2f}",
                                      "<= 1 (a page of the listing, then its items by BatchGetItem)",
                                      per_row <= 1))
            else:
                ratio = large_units / small_units
                figures.append(figure(f"{name}: ratio {SIZES[1]:,} / {SIZES[0]}", f"{ratio:.3f}", "<= 1.1",
                                      ratio <= 1.1))
        record("experiences", figures, notes=[
            "Each list is a Query of one page (20 rows) on its own partition, then a BatchGetItem of "
            "the page's experiences: its cost does not grow with the experiences stored. An open-data "
            "file is at most 1,000 rows (`experience_data.PAGE_ROWS`), the next one behind `suite`."])
    finally:
        stack.stop_process(process)


if __name__ == "__main__":
    main()
