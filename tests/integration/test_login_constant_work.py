"""Asking for a login link does the same work whether the address has an account or not.

An attacker timed POST /api/auth/magic-link: known addresses took longer (a user lookup, a
rate-limit counter, a token, an email), even when the rate limit stopped the email. The
request now writes one queued item, whoever asks; the table's stream looks the address up and
sends the link (services/auth.py, services/notifications.py).

The check is structural, not a stopwatch: every AWS call the request makes (DynamoDB, SES…)
is counted by operation through botocore, for a known, an unknown and a rate-limited address,
through the API and through the login page; the counts must be identical.
"""
from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from botocore.client import BaseClient

from tests.clock import TUESDAY_MORNING
from tests.conftest import outbox

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

KNOWN = "agent.bretoncelles@example.org"
LIMITED = "agent.berdhuis@example.org"
UNKNOWN = "personne.inconnue@example.org"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def aws_calls(monkeypatch):
    """Every botocore API call from now on, as (service, operation)."""
    calls: list[tuple[str, str]] = []
    inner = BaseClient._make_api_call

    def counted(self, operation_name, api_params):
        calls.append((self.meta.service_model.service_name, operation_name))
        return inner(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    return calls


def exhaust_links(deps, email: str) -> None:
    """The address already asked for its 5 links of this quarter hour."""
    from chalicelib.services import auth

    user = deps.repo.get_user_by_email(email)
    now = deps.now()
    window = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    for _ in range(auth.MAX_LINKS_PER_WINDOW):
        deps.repo.count_login_request(user.id, window.isoformat(), window)


def api_request(client, email: str):
    response = client.http.post("/api/auth/magic-link", headers=JSON, body=json.dumps({"email": email}))
    assert response.status_code == 202
    return response.json_body


def page_request(client, email: str):
    page = client.http.get("/connexion")
    cookie = page.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(rb'name="csrf" value="([^"]+)"', page.body).group(1).decode()
    response = client.http.post("/connexion", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        body=f"csrf={csrf}&email={email}")
    assert response.status_code == 200
    return response.body


def calls_for(aws_calls: list, send, client, email: str) -> tuple[Counter, object]:
    aws_calls.clear()
    answer = send(client, email)
    return Counter(aws_calls), answer


@pytest.mark.parametrize("send", [api_request, page_request], ids=["api", "page"])
def test_known_unknown_and_rate_limited_addresses_cost_the_same_calls(client, demo, aws_calls, send):
    exhaust_links(demo, LIMITED)
    send(client, KNOWN)          # warm-up: clients created, templates loaded
    known, known_answer = calls_for(aws_calls, send, client, KNOWN)
    unknown, unknown_answer = calls_for(aws_calls, send, client, UNKNOWN)
    limited, limited_answer = calls_for(aws_calls, send, client, LIMITED)
    upper, _ = calls_for(aws_calls, send, client, KNOWN.upper())
    assert known == unknown == limited == upper, {"known": known, "unknown": unknown, "limited": limited}
    assert known_answer == unknown_answer == limited_answer
    # The request reads nothing about the address and sends nothing: one write, the queued item.
    assert not {op for _, op in known} & {"GetItem", "BatchGetItem", "Query", "UpdateItem", "SendEmail"}
    # One conditional PutItem for the queued item, and one for the dev stream drain's mark.
    assert known[("dynamodb", "PutItem")] == 2 and ("dynamodb", "TransactWriteItems") not in known
    # (the dev stage's queue drains read SQS after every request: the same for all)
    assert {service for service, _ in known} <= {"dynamodb", "sqs"}


@pytest.mark.outbox
def test_the_link_still_arrives_for_a_known_address_only(client, demo):
    exhaust_links(demo, LIMITED)
    for email in (KNOWN, UNKNOWN, LIMITED):
        api_request(client, email)
    assert [mail["to"] for mail in outbox()] == [[KNOWN]]
    assert "/connexion/" in outbox()[0]["text"]
