"""schemathesis against /api/openapi.json: generated requests, valid and invalid, never a 5xx.

Every operation of the document gets requests that follow its schema (positive) and requests
that break it (negative), each sent by a role drawn among anonymous, agent, referent,
coordinator and admin, and for a path's {ref} sometimes a real case of the world, so the
requests reach past authentication and lookups into the services. The requests go through
the Chalice app in process, against DynamoDB Local, exactly as API Gateway would hand them over.

Each answer must be:
- below 500, and below 500 only by the app's own doing (a 503 "busy" is for AWS throttling only);
- for a refusal (4xx), the API's error shape with a French message (schemathesis' checks
  validate every answer against the document, which declares that shape).
"""
from __future__ import annotations

import json

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.clock import TUESDAY_MORNING
from tests.integration import test_authorization_matrix as matrix

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

world = matrix.world
ROLES = ["anonymous", "agent", "referent", "coordinator", "admin"]
# Requests per operation, per generation mode. 22 operations x 2 modes x 25 = about 1,100 requests.
EXAMPLES = 25
LOGOUT = "/api/auth/logout"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def schema(world):
    document = world.client.http.get("/api/openapi.json")
    assert document.status_code == 200
    return schemathesis.openapi.from_dict(json.loads(document.body))


def operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


def send(world: matrix.World, case, role: str) -> schemathesis.Response:
    """The case through the Chalice app in process; the answer as schemathesis reads it."""
    kwargs = case.as_transport_kwargs(base_url="http://relais.test")
    prepared = requests.Request(method=kwargs["method"], url=kwargs["url"], headers=kwargs.get("headers"),
                                params=kwargs.get("params"), cookies=kwargs.get("cookies"),
                                data=kwargs.get("data"), json=kwargs.get("json")).prepare()
    headers = {key: value for key, value in prepared.headers.items() if key.lower() != "cookie"}
    if role != "anonymous":
        headers["Cookie"] = world.sessions[role]["Cookie"]
    path = prepared.path_url
    body = prepared.body or b""
    answer = world.client.http.request(case.method.upper(), path, headers=headers,
                                       body=body.encode() if isinstance(body, str) else body)
    return schemathesis.Response(
        status_code=answer.status_code,
        headers={key.lower(): [value] for key, value in answer.headers.items()},
        content=answer.body if isinstance(answer.body, bytes) else (answer.body or "").encode(),
        request=prepared, elapsed=0.0, verify=False)


@schemathesis.serializer("text/csv")
def csv_serializer(ctx, value):
    """The directory import takes CSV text: schemathesis hands over strings, or other values in
    negative mode, which go out as their text."""
    return (value if isinstance(value, str) else json.dumps(value)).encode("utf-8")


def fuzz(world: matrix.World, schema, mode, ref: str, only: str | None = None):
    """Every operation (or only the one at that path), EXAMPLES requests each: what was served
    (operation, status) and the answers that broke a check."""
    served: list[tuple[str, int]] = []
    failures: list[str] = []
    for operation in operations(schema):
        if only and operation.path != only:
            continue

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(ROLES),
               real_ref=st.booleans())
        def run(case, role, real_ref):
            if case.operation.path == LOGOUT:
                role = "anonymous"    # signing out would end the world's sessions for what follows
            if real_ref and "ref" in (case.path_parameters or {}):
                case.path_parameters = {**case.path_parameters, "ref": ref}
            response = send(world, case, role)
            served.append((case.operation.label, response.status_code))
            try:
                case.validate_response(response, checks=CHECKS)
            except (FailureGroup, AssertionError) as failure:   # one check, or several, broken
                failures.append(f"{case.operation.label} as {role}: {response.status_code} "
                                f"{response.content[:300]!r}\n  {case.as_curl_command()}\n  {failure}")

        try:
            run()
        except hypothesis.errors.Unsatisfiable:
            # Negative mode: an operation with no parameter and no body has nothing to break.
            assert mode is schemathesis.GenerationMode.NEGATIVE
            assert not operation.body and not list(operation.iter_parameters()), operation.label
    return served, failures


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_no_generated_request_gets_a_server_error(world, schema, mode):
    served, failures = fuzz(world, schema, mode, matrix.open_escalated_case(world).ref)

    statuses = sorted({status for _, status in served})
    print(f"\n{len(served)} {mode.value} requests over {len({label for label, _ in served})} operations;"
          f" statuses {statuses}")
    assert not failures, f"{len(failures)} answer(s) broke a check:\n" + "\n".join(failures[:15])
    assert all(status < 500 for _, status in served)
    # The generated requests did reach the services, not only the doors.
    assert any(200 <= status < 300 for _, status in served)
    assert {401, 403, 404} <= set(statuses)


def test_the_fuzzing_sees_a_server_error(world, schema, monkeypatch):
    """The check can fail: a service that breaks is caught, as a 500 the answer's checks report."""
    from chalicelib.services import auth

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(auth, "principal_for", broken)
    served, failures = fuzz(world, schema, schemathesis.GenerationMode.POSITIVE, "61-AAA-AAA",
                            only="/api/me")
    assert served and all(status == 500 for _, status in served)
    assert len(failures) == len(served)
    assert "Server error" in failures[0]


def test_the_document_describes_every_json_route(schema):
    """What schemathesis fuzzes is the whole API: every /api route of the app, the document
    itself aside, is in it (the /_dev routes are not in the document, and answer 404 outside dev)."""
    from app import app

    described = {(op.path, op.method.upper()) for op in operations(schema)}
    routes = {(path, method) for path, entry in app.routes.items() if path.startswith("/api/")
              for method in entry if path != "/api/openapi.json"}
    assert len(described) >= 20
    assert routes == described


def test_a_body_without_its_content_type_is_refused_on_every_route(world):
    """A JSON body sent without Content-Type was taken as JSON (an outside attack: a message
    posted that way). Every route that takes a body now refuses a non-empty one without its
    media type (415), before authentication or any read; an empty body needs none."""
    from chalicelib.routes.common import api

    ref = matrix.open_escalated_case(world).ref
    before = world.owner_view(ref)
    routes = [(op.path.replace("{ref}", ref).replace("{territory}", "61").replace("{kind}", "organisations")
               .replace("{feedback_id}", "f1"), op)
              for op in api.operations if op.method in ("POST", "PUT", "PATCH")]
    assert any(op.path == "/api/cases/{ref}/messages" for _, op in routes)
    for role in ("anonymous", "agent", "referent", "admin"):
        cookie = {} if role == "anonymous" else {"Cookie": world.sessions[role]["Cookie"]}
        for path, _op in routes:
            body = json.dumps({"body": "Sans type de contenu.", "kind": "answer", "email": "a@example.org"})
            answer = world.client.http.post(path, headers=cookie, body=body)
            assert answer.status_code == 415, (path, role, answer.status_code, answer.body[:200])
            assert json.loads(answer.body)["field"] == "Content-Type"
    assert world.owner_view(ref) == before
    # an empty POST (a reopen, a logout) needs no Content-Type: refused for its own reasons only
    answer = world.client.http.post(f"/api/cases/{ref}/reopen",
                                    headers={"Cookie": world.sessions["agent"]["Cookie"]}, body="")
    assert answer.status_code != 415
