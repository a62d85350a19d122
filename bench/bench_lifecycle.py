"""Capacity units per case lifecycle against their floor (goal: at most 1.5x).

The lifecycle is bench/flow.py's: create, escalate, the referent answers by email, SMS sent,
close, every request, stream record and queue message included. DynamoDB Local reports the
capacity of every call (ReturnConsumedCapacity), whatever client made it. The floor is the
sum, over every item written, of its size rounded up to 1 KB: what the writes would cost with
no transaction, no index and no read. Also printed: the SES emails and SMS segments sent (for
the cost model), and the figures per step.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flow  # noqa: E402
from harness import Meter, figure, local_aws, record, session_cookie  # noqa: E402

GOAL = 1.5
CASES = 5


def main() -> None:
    with local_aws():
        from chalice.test import Client

        import app as relais

        with Client(relais.app, stage_name="dev") as client:
            agent = session_cookie(flow.AGENT)
            flow.lifecycle(client, agent)                       # warm: first-use reads of the directory
            meter = Meter()
            with meter.on():
                for _ in range(CASES):
                    flow.lifecycle(client, agent, meter)

    per_case = {name: value / CASES for name, value in (
        ("read", meter.read), ("write", meter.write), ("billed", meter.billed_write), ("floor", meter.floor),
        ("items", meter.items_written), ("emails", meter.emails), ("segments", meter.sms_segments))}
    writes, both = per_case["billed"] / per_case["floor"], (per_case["read"] + per_case["billed"]) / per_case["floor"]
    print(f"capacity per case lifecycle (mean of {CASES}, DynamoDB Local):")
    figures = [
        figure("read units per lifecycle", f"{per_case['read']:.1f}"),
        figure("write units per lifecycle, as AWS bills them", f"{per_case['billed']:.1f} "
               f"(DynamoDB Local reports {per_case['write']:.1f}: it counts a transaction's first item only)"),
        figure("floor: items written, each rounded up to 1 KB",
               f"{per_case['floor']:.1f} units for {per_case['items']:.0f} items"),
        figure("write units / floor", f"{writes:.2f}x", f"<= {GOAL}x", writes <= GOAL),
        figure("read and write units / floor", f"{both:.2f}x", f"<= {GOAL}x", both <= GOAL),
        figure("SES emails per lifecycle", f"{per_case['emails']:.1f}"),
        figure("SMS segments per lifecycle", f"{per_case['segments']:.1f}"),
    ]
    notes = ["Per step (read / billed write / floor units, items written):"]
    for name, step in meter.by_step.items():
        notes.append(f"- {name}: {step['read'] / CASES:.1f} / {step['billed_write'] / CASES:.1f} / "
                     f"{step['floor'] / CASES:.1f}, {step['items_written'] / CASES:.0f} items")
    notes.append("Calls per lifecycle: " + ", ".join(
        f"{operation} {n / CASES:.1f}" for operation, n in sorted(meter.calls.items())))
    notes.append("Items written per lifecycle, by type: " + ", ".join(
        f"{kind} {n / CASES:.1f}" for kind, n in sorted(meter.written_types.items(), key=lambda kv: -kv[1])))
    for line in notes:
        print(f"  {line}")
    record("lifecycle", figures, notes)
    return per_case


if __name__ == "__main__":
    main()
