"""The reminder sweep reads only what is due: its cost must not grow with the open escalations.

Against DynamoDB Local, with its real ConsumedCapacity: a sweep with 100 due escalations
among 1,000 open ones, then 100 due among 100,000 open ones. Prints the capacity each sweep
consumed (read and write units, every call included) and their ratio (target: close to 1).
"""
from __future__ import annotations

import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
DUE = 100


class CapacityMeter:
    """Asks DynamoDB for ConsumedCapacity on every call and adds it up."""

    def __init__(self, client):
        self.units = 0.0
        self.calls = 0
        client.meta.events.register("provide-client-params.dynamodb.*", self._ask)
        client.meta.events.register("after-call.dynamodb.*", self._add)

    def _ask(self, params, model, **_):
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "TOTAL"

    def _add(self, parsed, **_):
        consumed = parsed.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            self.units += entry.get("CapacityUnits", 0.0)
        self.calls += 1

    def reset(self):
        self.units, self.calls = 0.0, 0


def populate(deps, open_count: int, table_suffix: str) -> None:
    """`DUE` escalations due now (with their case), the rest due later: some later today, the
    others over the next 30 days, as the sparse index would hold them."""
    from chalicelib.adapters.dynamo import case_write, escalation_write
    from chalicelib.domain import ladder
    from chalicelib.domain.models import Case, Escalation, Usager

    rng = random.Random(7)
    items = []
    for number in range(open_count):
        ref = f"61-{table_suffix}{number:07d}"
        due = number < DUE
        created = NOW - timedelta(days=6 if due else 1)
        escalation = Escalation(case_ref=ref, group_id="61-caf", organisation_id="caf",
                                territory_code="61", point_id="61-mairie-bretoncelles",
                                question="Où en est le dossier ?", due_at=NOW + timedelta(hours=6),
                                created_at=created, updated_at=created, reply_token="b" * 26)
        if due:
            next_action = ladder.next_action_at(escalation) or NOW
            next_action = min(next_action, NOW - timedelta(minutes=rng.randint(1, 600)))
            case = Case(ref=ref, point_id="61-mairie-bretoncelles", territory_code="61", created_by="u-bench",
                        usager=Usager(first_name="Jeanne", last_name="Martin", phone="0612345678"),
                        situation="precarite", description="Bench", consent_attested=True,
                        status="escalated", created_at=created, updated_at=created, version=2)
            items.append(case_write(case, None).item)
        elif number % 10 == 0:
            next_action = NOW + timedelta(minutes=rng.randint(1, 600))          # later today
        else:
            next_action = NOW + timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 1440))
        items.append(escalation_write(escalation, None, next_action).item)
    chunks = [items[i:i + 2500] for i in range(0, len(items), 2500)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(deps.repo.put_many, chunks))


def sweep_capacity(open_count: int, suffix: str, endpoint: str, stack) -> tuple[float, int, int, float]:
    os.environ["RELAIS_TABLE"] = f"relais-bench-{suffix}"
    stack.create_table(endpoint, os.environ["RELAIS_TABLE"], stream=False)
    from chalicelib import bootstrap, jobs

    bootstrap.reset()
    deps = bootstrap.deps()
    deps.clock = lambda: NOW
    # The sweep's own emails leave through the outbox stream, which this table does not have.
    started = time.perf_counter()
    populate(deps, open_count, suffix)
    loaded = time.perf_counter() - started
    meter = CapacityMeter(deps.dynamodb)
    result = jobs.run_inline("reminders", deps, NOW)
    assert result["fired"] == DUE, result
    return meter.units, meter.calls, result["queries"], loaded


def main() -> None:
    from devtools import stack

    port = stack.free_port()
    process = stack.start_dynamodb(port)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        os.environ.update({**stack.LOCAL_CREDENTIALS, "RELAIS_DYNAMODB_ENDPOINT": endpoint,
                           "RELAIS_STAGE": "dev"})
        os.environ.pop("RELAIS_AWS_EMULATION", None)
        small = sweep_capacity(1_000, "S", endpoint, stack)
        large = sweep_capacity(100_000, "L", endpoint, stack)
        for label, (units, calls, queries, loaded) in (("1,000 open", small), ("100,000 open", large)):
            print(f"reminder sweep, {DUE} due among {label}: {units:.1f} capacity units, {calls} calls "
                  f"({queries} index queries); table filled in {loaded:.0f} s")
        from harness import figure, record

        ratio = large[0] / small[0]
        record("reminders", [
            figure(f"reminder sweep, {DUE} due among 1,000 open", f"{small[0]:.1f} read and write units"),
            figure(f"reminder sweep, {DUE} due among 100,000 open", f"{large[0]:.1f} read and write units"),
            figure("ratio 100,000 / 1,000", f"{ratio:.3f}", "<= 1.1", ratio <= 1.1)])
    finally:
        stack.stop_process(process)


if __name__ == "__main__":
    main()
