"""Request overhead: the intake request (POST /api/cases) through the API layer, against the raw
boto3 calls it makes (goal: framework, validation and authorization add at most 30 %).

Both run warm, in this process, against DynamoDB Local, interleaved: one case created through
Chalice as API Gateway hands the request over (routing, JSON parsing, pydantic validation,
session and authorization, the service, the response), then the very same boto3 calls that
request made, recorded once and replayed with a fresh reference and fresh ids (so every
conditional write succeeds again). The stage is not "dev", so no stream is played after the
request: what is timed is what API Gateway's Lambda runs.
"""
from __future__ import annotations

import copy
import json
import os
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flow  # noqa: E402
from harness import figure, local_aws, record, session_cookie  # noqa: E402

GOAL = 0.30
RUNS = 150
REF = re.compile(r"\b61-[0-9A-Z]{3}-[0-9A-Z]{3}\b")
HEX_ID = re.compile(r"\b[0-9a-f]{12}\b")


def recorded_calls(client, agent: dict) -> list[tuple[object, str, dict]]:
    """The boto3 calls one intake request makes, in order."""
    from botocore.client import BaseClient

    original, calls = BaseClient._make_api_call, []

    def recording(boto_client, operation, params):
        response = original(boto_client, operation, params)
        calls.append((boto_client, operation, copy.deepcopy(params)))
        return response

    BaseClient._make_api_call = recording
    try:
        flow.post(client, agent, "/api/cases", flow.CASE)
    finally:
        BaseClient._make_api_call = original
    return calls


def fresh(params: dict, ref: str) -> dict:
    """The same call for another case: its reference and its random ids replaced."""
    text = json.dumps(params)
    ids = {old: secrets.token_hex(6) for old in set(HEX_ID.findall(text))}
    text = REF.sub(ref, text)
    for old, new in ids.items():
        text = text.replace(old, new)
    return json.loads(text)


def replay(calls, number: int) -> float:
    from botocore.client import BaseClient

    ref = f"61-R{number // 1296 % 36:X}{number // 36 % 36:X}-{number % 36:X}ZZ"
    prepared = [(client, operation, fresh(params, ref)) for client, operation, params in calls]
    started = time.perf_counter()
    for client, operation, params in prepared:
        BaseClient._make_api_call(client, operation, params)
    return time.perf_counter() - started


def main() -> None:
    with local_aws():
        os.environ["RELAIS_STAGE"] = "bench"          # no dev stream drain after each request
        from chalice.test import Client

        import app as relais
        from chalicelib import bootstrap, config

        config.reset()
        bootstrap.reset()
        with Client(relais.app, stage_name="dev") as client:
            agent = session_cookie(flow.AGENT)
            for _ in range(20):                           # warm: imports, clients, directory reads
                flow.post(client, agent, "/api/cases", flow.CASE)
            calls = recorded_calls(client, agent)
            through_app, raw = [], []
            for number in range(RUNS):
                started = time.perf_counter()
                flow.post(client, agent, "/api/cases", flow.CASE)
                through_app.append(time.perf_counter() - started)
                raw.append(replay(calls, number))

    app_median, raw_median = statistics.median(through_app), statistics.median(raw)
    overhead = app_median / raw_median - 1
    operations = ", ".join(operation for _, operation, _ in calls)
    print(f"intake request, warm, in process, {RUNS} interleaved runs each:")
    figures = [
        figure("through the app (median, p95)", f"{app_median * 1000:.1f} ms, "
               f"{sorted(through_app)[int(RUNS * 0.95)] * 1000:.1f} ms"),
        figure("its raw boto3 calls (median, p95)", f"{raw_median * 1000:.1f} ms, "
               f"{sorted(raw)[int(RUNS * 0.95)] * 1000:.1f} ms ({len(calls)} calls: {operations})"),
        figure("overhead of framework, validation and authorization", f"{overhead * 100:.0f} % "
               f"({(app_median - raw_median) * 1000:.1f} ms)", f"<= {GOAL * 100:.0f} %", overhead <= GOAL),
    ]
    record("request", figures)


if __name__ == "__main__":
    main()
