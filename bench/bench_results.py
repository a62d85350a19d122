"""A results page costs O(points), not O(cases); a case's change costs a few cells' updates.

Against DynamoDB Local, with its real ConsumedCapacity: the cells of 40 contact points fed
with 400 cases, then with 8,000 cases (each created, half escalated and answered, most
closed), through the same two steps as the stream (an entry journaled per change, then one update per
cell and lane for each batch of 25). Prints the capacity of reading
a quarter's results (the public page and the open data read this), their ratio (target:
close to 1), and the mean capacity of applying one change.
"""
from __future__ import annotations

import os
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_reminders import CapacityMeter  # noqa: E402

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
POINTS = 40


BATCH = 25                  # the stream's batch size (chalicelib/routes/events.py)


class Stream:
    """Changes as the stream adds them: each journaled as an entry, then, a batch at a time,
    the entries summed per cell and lane into one update each (services/results.py)."""

    def __init__(self, deps):
        self.deps, self.pending, self.position = deps, [], 0

    def add(self, source: tuple[str, str], version: int, cells: dict) -> None:
        from chalicelib.services.results import Entry, lane_of

        lane = lane_of(source)
        self.deps.repo.journal_results(lane, source, version, cells, NOW + timedelta(days=3))
        self.position += 1
        self.pending.append(Entry(lane, f"{self.position:040d}", cells))
        if len(self.pending) == BATCH:
            self.flush()

    def flush(self) -> None:
        from chalicelib.services.results import apply_entries

        assert apply_entries(self.deps, self.pending) == []
        self.pending = []


def feed(deps, count: int) -> tuple[float, int]:
    """Apply `count` cases' lives to the results; returns the capacity and the number of changes."""
    from chalicelib.domain import results
    from chalicelib.domain.models import Case, Escalation, Usager

    rng = random.Random(11)
    meter = CapacityMeter(deps.dynamodb)
    stream = Stream(deps)
    changes = 0
    for number in range(count):
        point = f"61-point-{number % POINTS:02d}"
        created = NOW + timedelta(minutes=number)
        case = Case(ref=f"61-B{number:07d}", point_id=point, territory_code="61", created_by="u-bench",
                    usager=Usager(first_name="Jeanne", last_name="Martin", phone="0612345678"),
                    situation="precarite", description="Bench", consent_attested=True,
                    created_at=created, updated_at=created)
        states = [case]
        if rng.random() < 0.8:
            states.append(case.model_copy(update={"status": "closed", "closed_at": created + timedelta(hours=3),
                                                  "outcome": "solved_at_desk", "useful": True, "version": 2}))
        previous = None
        for state in states:
            change = results.delta(results.case_contribution(previous), results.case_contribution(state))
            stream.add((f"CASE#{state.ref}", "CASE"), state.version, results.by_cell(change))
            previous, changes = state, changes + 1
        if number % 2:
            escalation = Escalation(case_ref=case.ref, group_id="61-caf", organisation_id="caf",
                                    territory_code="61", point_id=point, question="?",
                                    due_at=created + timedelta(days=6), created_at=created, updated_at=created,
                                    status="answered", answered_at=created + timedelta(hours=rng.randint(1, 100)))
            stream.add((f"CASE#{case.ref}", "ESC#61-caf"), 1,
                       results.by_cell(results.escalation_contribution(escalation)))
            changes += 1
    stream.flush()
    return meter.units, changes


def measure(count: int, suffix: str, endpoint: str, stack) -> tuple[float, float, int]:
    os.environ["RELAIS_TABLE"] = f"relais-bench-results-{suffix}"
    stack.create_table(endpoint, os.environ["RELAIS_TABLE"], stream=False)
    from chalicelib import bootstrap
    from chalicelib.domain import results as domain
    from chalicelib.services import results

    bootstrap.reset()
    deps = bootstrap.deps()
    units, changes = feed(deps, count)
    meter = CapacityMeter(deps.dynamodb)
    cells = results.stored(deps, domain.quarter(NOW))
    assert cells[(domain.quarter(NOW), "national", "FR")]["cases"] == count
    return meter.units, units / changes, len(cells)


def main() -> None:
    from devtools import stack

    port = stack.free_port()
    process = stack.start_dynamodb(port)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        os.environ.update({**stack.LOCAL_CREDENTIALS, "RELAIS_DYNAMODB_ENDPOINT": endpoint, "RELAIS_STAGE": "dev"})
        os.environ.pop("RELAIS_AWS_EMULATION", None)
        small = measure(400, "S", endpoint, stack)
        large = measure(8_000, "L", endpoint, stack)
        for label, (read, per_change, cells) in (("400 cases", small), ("8,000 cases", large)):
            print(f"results, {POINTS} points, {label}: reading a quarter {read:.1f} capacity units "
                  f"({cells} cells); {per_change:.1f} units per applied change")
        from harness import figure, record

        ratio = large[0] / small[0]
        record("results", [
            figure(f"reading a quarter's results, {POINTS} points, 400 cases", f"{small[0]:.1f} units ({small[2]} cells)"),
            figure(f"reading a quarter's results, {POINTS} points, 8,000 cases", f"{large[0]:.1f} units ({large[2]} cells)"),
            figure("read ratio 8,000 / 400", f"{ratio:.3f}", "<= 1.1", ratio <= 1.1),
            figure("units per change applied to the results", f"{large[1]:.1f}")])
    finally:
        stack.stop_process(process)


if __name__ == "__main__":
    main()
