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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flow  # noqa: E402
from harness import Meter, figure, local_aws, record, session_cookie  # noqa: E402

GOAL = 1.5
CASES = 5
AWS_CALL_SECONDS = 0.008          # a DynamoDB, SES, SNS or SQS call from Lambda, same region


def main() -> None:
    with local_aws():
        from chalice.test import Client

        import app as relais

        with Client(relais.app, stage_name="dev") as client:
            agent = session_cookie(flow.AGENT)
            flow.lifecycle(client, agent)                       # warm: first-use reads of the directory
            meter = Meter()
            cpu = time.process_time()
            with meter.on():
                for _ in range(CASES):
                    flow.lifecycle(client, agent, meter)
            cpu = (time.process_time() - cpu) / CASES
            long = Meter()
            with long.on():
                for _ in range(CASES):
                    flow.lifecycle(client, agent, long, long_texts=True)

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
        figure("write units / floor, the case told at length (a 1.9 KB description, a 0.9 KB question)",
               f"{long.billed_write / long.floor:.2f}x ({long.billed_write / CASES:.1f} units, floor "
               f"{long.floor / CASES:.1f})", f"<= {GOAL}x", long.billed_write / long.floor <= GOAL),
        # Beside the goal (the floor counts writes only): the requests' reads added to the writes.
        figure("read and write units / floor", f"{both:.2f}x"),
        figure("SES emails per lifecycle", f"{per_case['emails']:.1f}"),
        figure("SMS segments per lifecycle", f"{per_case['segments']:.1f}"),
    ]
    notes = ["Per step (read / billed write / floor units, items written):", ""]
    for name, step in meter.by_step.items():
        notes.append(f"- {name}: {step['read'] / CASES:.1f} / {step['billed_write'] / CASES:.1f} / "
                     f"{step['floor'] / CASES:.1f}, {step['items_written'] / CASES:.0f} items")
    notes.append("")
    notes.append("Calls per lifecycle: " + ", ".join(
        f"{operation} {n / CASES:.1f}" for operation, n in sorted(meter.calls.items())))
    notes.append("")
    notes.append("Items written per lifecycle, by type: " + ", ".join(
        f"{kind} {n / CASES:.1f}" for kind, n in sorted(meter.written_types.items(), key=lambda kv: -kv[1])))
    notes.append("")
    notes.append("Billed / floor write units per lifecycle, by type: " + ", ".join(
        f"{kind} {billed / CASES:.1f} / {floor / CASES:.1f}"
        for kind, (billed, floor) in sorted(meter.billed_types.items(), key=lambda kv: -kv[1][0])))
    for line in notes:
        print(f"  {line}")
    # Lambda bills the wall time of each invocation: the app's CPU time plus its waits on AWS.
    # The wall time here is no guide (the dev drain polls DynamoDB Local's stream): the
    # estimate is the CPU time measured plus 8 ms per AWS call.
    aws_calls = (sum(meter.calls.values()) + meter.other_calls) / CASES
    seconds = cpu + aws_calls * AWS_CALL_SECONDS
    figures.append(figure("Lambda duration of a lifecycle, estimated",
                          f"{seconds * 1000:.0f} ms ({cpu * 1000:.0f} ms of CPU measured + {aws_calls:.0f} AWS "
                          f"calls x {AWS_CALL_SECONDS * 1000:.0f} ms)"))
    record("lifecycle", figures, notes, data={**per_case, "seconds": seconds})
    return per_case


if __name__ == "__main__":
    main()
