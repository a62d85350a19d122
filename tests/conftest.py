"""Shared fixtures: DynamoDB Local once per session, a fresh table per test, moto for the rest."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

import pytest
import time_machine
from botocore.client import BaseClient

from devtools import local_gateway, stack
from tests.clock import STACK_INSTANT, instant  # noqa: F401  (autouse: the test's instant, or the real-clock guard)

# chalice.test.Client matches "/{proxy+}" as API Gateway does (unknown addresses of any depth).
local_gateway.install()


class DynamoDBLocal:
    """The worker's DynamoDB Local. It keeps the stream of every table ever made, deleted ones
    included (as AWS keeps a stream 24 hours), and each write then costs more: 50 writes took
    323 ms after 100 streamed tables, 672 ms after 300 (measured here, 2026-12-04). So it
    is restarted, in memory and on the same port, between two modules once RECYCLE_AFTER streamed
    tables were made; a module's own tables (a module-scoped world) never see a restart."""

    RECYCLE_AFTER = 60

    def __init__(self) -> None:
        self.port = stack.free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = stack.start_dynamodb(self.port)
        self.streamed = 0

    def recycle_if_worn(self) -> None:
        if self.streamed >= self.RECYCLE_AFTER:
            stack.stop_process(self.process)
            self.process = stack.start_dynamodb(self.port)
            self.streamed = 0


_dynamodb_local: list[DynamoDBLocal] = []      # the worker's, once a test asked for it


def _counted(make, streamed):
    def counting(endpoint, table, *args, **kwargs):
        make(endpoint, table, *args, **kwargs)
        if streamed(*args, **kwargs):
            for server in _dynamodb_local:
                server.streamed += server.endpoint == endpoint
    return counting


stack.create_table = _counted(stack.create_table, lambda stream=True: stream)
stack.enable_stream = _counted(stack.enable_stream, lambda: True)


@pytest.fixture(scope="session")
def dynamodb_endpoint():
    server = DynamoDBLocal()
    _dynamodb_local.append(server)
    yield server.endpoint
    _dynamodb_local.remove(server)
    stack.stop_process(server.process)


@pytest.fixture(scope="module", autouse=True)
def dynamodb_local_unworn():
    """Before a module's fixtures: a worn DynamoDB Local is restarted (DynamoDBLocal)."""
    for server in _dynamodb_local:
        server.recycle_if_worn()


_UNGUARDED_CALL = BaseClient._make_api_call


def whole_table(deps) -> list[dict]:
    """Every item of the test's table, read past the Scan guard: for tests that must show
    something is nowhere (retention)."""
    items, request = [], {"TableName": deps.settings.table_name}
    while True:
        response = _UNGUARDED_CALL(deps.dynamodb, "Scan", request)
        items += response.get("Items", [])
        if "LastEvaluatedKey" not in response:
            return items
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


@pytest.fixture(autouse=True)
def forbid_scan(monkeypatch):
    """Request paths and jobs never Scan: any Scan during a test fails it."""
    original = BaseClient._make_api_call

    def guarded(self, operation_name, api_params):
        if operation_name == "Scan":
            raise AssertionError("DynamoDB Scan called: use a key or an index")
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", guarded)


@pytest.fixture
def table(dynamodb_endpoint, monkeypatch, request):
    """A fresh table per test. With the `demo` fixture, the demo directory is in it before the
    stream is switched on: the stream handler has no directory record to wade through."""
    from chalicelib import bootstrap
    from chalicelib.dev import emulation, streams

    name = f"relais-test-{uuid.uuid4().hex[:10]}"
    # Only tests marked `outbox` get the table's stream, and so the emails it sends.
    streamed = request.node.get_closest_marker("outbox") is not None
    with_demo = "demo" in request.fixturenames
    stack.create_table(dynamodb_endpoint, name, stream=streamed and not with_demo)
    for key, value in {**stack.LOCAL_CREDENTIALS, "POWERTOOLS_SERVICE_NAME": "relais", "RELAIS_DYNAMODB_ENDPOINT": dynamodb_endpoint,
                       "RELAIS_TABLE": name, "RELAIS_STAGE": "dev", "RELAIS_AWS_EMULATION": "moto",
                       "RELAIS_BASE_URL": "http://relais.test"}.items():
        monkeypatch.setenv(key, value)
    emulation.reset()
    bootstrap.reset()
    if with_demo:
        _load_demo(bootstrap.deps())
        if streamed:
            stack.enable_stream(dynamodb_endpoint, name)
    yield name
    # The next test's setup empties the emulation: no second reset here.
    streams.forget(name)
    stack.dynamodb_client(dynamodb_endpoint).delete_table(TableName=name)
    bootstrap.reset()


@pytest.fixture
def deps(table):
    from chalicelib import bootstrap

    return bootstrap.deps()


_demo_items: list[dict] = []


def _load_demo(deps) -> None:
    """The demo directory (Perche and Béthune), imported through the admin CSV service once,
    then replayed item for item into each test's fresh table (the import is its own test)."""
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.models import Role
    from chalicelib.services import directory

    if _demo_items:
        deps.repo.put_many(_demo_items)
        return
    written: list[dict] = []
    original = deps.repo.put_many
    deps.repo.put_many = lambda items: (written.extend(items), original(items))
    admin = Principal(user_id="test-admin", role=Role.ADMIN)
    # The import stamps its items: at one fixed instant, whichever test of the worker comes
    # first (one with no instant of its own included), so every test sees the same directory.
    with time_machine.travel(datetime.fromisoformat(STACK_INSTANT), tick=False):
        for kind in ("organisations", "contact_points", "referent_groups", "responder_teams", "users"):
            text = (stack.DEMO / f"{kind}.csv").read_text(encoding="utf-8")
            directory.import_csv(deps, admin, kind, text, dry_run=False)
    del deps.repo.put_many
    _demo_items.extend(written)


@pytest.fixture
def demo(deps):
    """The demo directory, loaded by the `table` fixture (before its stream is on)."""
    return deps


@pytest.fixture
def client(demo):
    """Chalice's test client on the dev stage, with the demo directory loaded."""
    from chalice.test import Client

    import app as relais
    from chalicelib import bootstrap

    with Client(relais.app, stage_name="dev") as test_client:
        bootstrap.reset()
        yield test_client


# A usager's request, as an agent at the Bretoncelles town hall types it.
CASE = {
    "point_id": "61-mairie-bretoncelles",
    "usager": {"first_name": "Jeanne", "last_name": "Martin", "phone": "06 12 34 56 78",
               "sms_opt_in": True},
    "situation": "precarite",
    "description": "Son RSA n'est plus versé depuis deux mois.",
    "consent_attested": True,
}


LINK = re.compile(r"/connexion/([A-Za-z0-9_\-]+)")


def outbox(region: str = "eu-west-3") -> list[dict]:
    from chalicelib.dev.outbox import read_outbox

    return read_outbox(region)


def _login_mails(email: str) -> list[dict]:
    return [m for m in outbox() if email in m["to"] and "connexion" in m["subject"]]


def login(test_client, email: str) -> dict[str, str]:
    """Sign in through the magic link read from the outbox; returns the Cookie header.

    The request only queues the link (services/auth.py): the table's stream sends it. A test
    whose table has no stream (no `outbox` marker) gets it sent here, by the same sender the
    stream calls, as the stream would have."""
    before = len(_login_mails(email))
    response = test_client.http.post("/api/auth/magic-link", headers={"Content-Type": "application/json"},
                                     body=f'{{"email": "{email}"}}')
    assert response.status_code == 202, response.body
    if len(_login_mails(email)) == before:
        from chalicelib import bootstrap
        from chalicelib.domain.models import Notification, NotificationKind
        from chalicelib.services.outbox import deliver

        deps = bootstrap.deps()
        deliver(deps, Notification(
            id=f"login-test-{uuid.uuid4().hex}", case_ref="", kind=NotificationKind.LOGIN_LINK,
            data={"email": email.lower()}, created_at=deps.now()))
    mails = _login_mails(email)
    assert len(mails) > before, f"no login link for {email}"
    token = LINK.search(mails[-1]["text"]).group(1)
    response = test_client.http.post("/api/auth/session", headers={"Content-Type": "application/json"},
                                     body=f'{{"token": "{token}"}}')
    assert response.status_code == 200, response.body
    cookie = response.headers["Set-Cookie"].split(";")[0]
    return {"Cookie": cookie, "Content-Type": "application/json"}


def count(deps, partition: str, index: str | None = None) -> int:
    """How many items a partition of the table (or of an index) holds: a Query, never a Scan."""
    key = "PK" if index is None else f"{index}PK"
    request = {"TableName": deps.settings.table_name, "KeyConditionExpression": "#pk = :pk",
               "ExpressionAttributeNames": {"#pk": key},
               "ExpressionAttributeValues": {":pk": {"S": partition}}, "Select": "COUNT"}
    if index is None:
        request["ConsistentRead"] = True
    else:
        request["IndexName"] = index
    total = 0
    while True:
        response = deps.dynamodb.query(**request)
        total += response["Count"]
        if "LastEvaluatedKey" not in response:
            return total
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def post_json(test_client, headers: dict, path: str, body: dict | None = None) -> dict:
    """A JSON POST that must succeed (200 or 201); returns the body."""
    response = test_client.http.post(path, headers={**headers, "Content-Type": "application/json"},
                                     body=json.dumps(body or {}))
    assert response.status_code in (200, 201), response.body
    return response.json_body
