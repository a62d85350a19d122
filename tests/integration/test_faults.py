"""Faults: 30 % of the calls to DynamoDB, SES, End User Messaging SMS and SQS fail (throttling or 5xx) while the
whole demo flow runs. botocore's retries absorb most; what is left goes back to its source (the
stream, the SMS queue) and is retried. Nothing is lost and nothing is sent twice.

The faults are answered before the request leaves (botocore's before-send event), so both
DynamoDB Local and moto see only the calls that got through. The retries' waits are shortened:
this test is about what happens, not how long it takes.
"""
from __future__ import annotations

import json
import os
import random
import re
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from botocore.awsrequest import AWSResponse

from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, outbox

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]
AGENT = "agent.bretoncelles@example.org"
REFERENTS = ["referent.61-caf@example.org", "referent2.61-caf@example.org"]
FAULTY = ("dynamodb", "sesv2", "pinpoint-sms-voice-v2", "sqs")
RATE = 0.3


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_):
        yield self.data


class Faults:
    """Fails RATE of the calls, seeded, and counts them. Each service's first call fails too,
    so that every one is seen failing.

    DynamoDB (DynamoDB Local, over HTTP): the attempt is answered with a throttling error or a
    503 before it leaves (before-send), and botocore retries it, as against AWS.
    SES, SQS (moto, which serves them inside botocore's send) and SMS (emulation.py, before-call): the whole call fails,
    as when botocore's retries are spent (before-call), and the application's own retries (the
    stream, the SMS queue, the user) must carry it."""

    def __init__(self, seed: int = 2026):
        self.random = random.Random(seed)
        self.calls: Counter = Counter()
        self.injected: Counter = Counter()

    active = True

    def _fails(self, service: str) -> bool:
        if not self.active:
            return False
        self.calls[service] += 1
        if self.calls[service] > 1 and self.random.random() >= RATE:
            return False
        self.injected[service] += 1
        return True

    def attempt(self, request, event_name: str, **_):
        if event_name.split(".")[1] != "dynamodb" or not self._fails("dynamodb"):
            return None
        if self.random.random() < 0.5:
            body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                               "message": "Rate of requests exceeds the allowed throughput."}).encode()
            return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Body(body))
        return AWSResponse(request.url, 503, {}, _Body(b"Service Unavailable"))

    def call(self, event_name: str, **_):
        service = event_name.split(".")[1]
        if service not in FAULTY or service == "dynamodb" or not self._fails(service):
            return None
        code = self.random.choice(["Throttling", "ServiceUnavailable"])
        status = 400 if code == "Throttling" else 503
        return (AWSResponse("https://aws.invalid", status, {}, _Body(b"")),
                {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}})


@pytest.fixture
def faults(client, monkeypatch):
    from botocore.retries import standard

    from chalicelib import bootstrap
    from chalicelib.adapters import aws

    monkeypatch.setenv("RELAIS_SESSION_HOURS", str(24 * 60))
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.001)
    bootstrap.reset()
    injected = Faults(int(os.environ.get("RELAIS_FAULT_SEED", "2026")))
    events = aws._boto_session().events
    events.register_first("before-send", injected.attempt)
    events.register_first("before-call", injected.call)
    bootstrap.reset()                                      # clients made from now on see them
    yield injected
    events.unregister("before-send", injected.attempt)
    events.unregister("before-call", injected.call)
    bootstrap.reset()


def patient(call, tries: int = 6):
    """A user who tries again when the page says to (503): returns the first other answer."""
    for _ in range(tries):
        response = call()
        if response.status_code < 500:
            return response
    return response


def test_the_demo_flow_survives_thirty_percent_of_failed_aws_calls(client, faults, instant):
    from chalicelib import bootstrap

    agent = signed_in(client, AGENT)
    create = patient(lambda: client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)))
    assert create.status_code == 201, create.body
    ref = create.json_body["ref"]
    escalate = patient(lambda: client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-caf"], "question": "Pouvez-vous vérifier le RSA ?"})))
    assert escalate.status_code == 201, escalate.body
    settle(client, agent)
    escalations = [m for m in outbox() if m["to"][0] in REFERENTS and ref in (m["subject"] or "")]
    assert sorted(m["to"][0] for m in escalations) == REFERENTS          # each referent once
    token = re.search(r"reponse\+([\w-]+)@", escalations[0]["reply_to"]).group(1)

    answer = _reply(REFERENTS[0], f"reponse+{token}@in.relais.example.org", "Droit rétabli.")
    received = patient(lambda: client.http.post("/_dev/inbound-email", headers={"Content-Type": "message/rfc822"},
                                                body=answer))
    assert received.status_code == 200 and received.json_body["outcome"] in ("accepted", "duplicate")
    close = patient(lambda: client.http.post(f"/api/cases/{ref}/close", headers=agent, body=json.dumps(
        {"outcome": "solved_with_partner", "useful": True})))
    assert close.status_code in (200, 409), close.body                    # 409: a retried close
    settle(client, agent)

    case = bootstrap.deps().repo.get_bundle(ref)
    assert case.case.status == "closed"
    assert [m.body for m in case.messages].count("Droit rétabli.") == 1   # the answer, once
    notices = [m for m in outbox() if m["to"] == [AGENT] and "a répondu" in (m["subject"] or "")]
    assert len(notices) == 1
    # One SMS whose retry (30 s on, by the queue's visibility) comes after the closing is
    # dropped as stale, by design; the closing's own SMS may still wait in the queue for its
    # retry. The next morning, past any back-off and the quiet hours, the queue has sent it.
    faults.active = False
    next_morning = datetime.combine(instant.date() + timedelta(days=1), time(8, 30),
                                    tzinfo=ZoneInfo("Europe/Paris"))
    with time_machine.travel(next_morning):
        settle(client, agent)
    texts = [m["text"] for m in outbox() if m["channel"] == "sms" and m["to"] == ["+33612345678"]]
    assert len(texts) == len(set(texts))                                  # each SMS at most once
    assert len([t for t in texts if f"dossier {ref} clos." in t]) == 1   # the closing's, sent once
    deps = bootstrap.deps()
    queue = deps.sqs.get_queue_url(QueueName=deps.settings.sms_queue)["QueueUrl"]
    waiting = deps.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert (waiting["ApproximateNumberOfMessages"], waiting["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    assert sum(faults.injected.values()) > 50 and set(faults.injected) == set(FAULTY)
    print(f"\nfaults injected: {dict(faults.injected)} of {dict(faults.calls)} calls; all survived")


def settle(client, agent, rounds: int = 8) -> None:
    """Requests make the dev stage play the stream and the SMS queue again (the event source
    mappings' retries): a few rounds deliver what failed before. An email SES throttled waits
    on the job queue for half a minute (services/pacing.py), a unit that failed comes back a
    minute later (the queue's visibility): a few more rounds each minute for 5 minutes send
    what waited, however often it was throttled again."""
    for _ in range(rounds):
        client.http.get("/api/me", headers=agent)
    start = datetime.now(UTC)
    for minute in range(1, 6):
        with time_machine.travel(start + timedelta(minutes=minute)):
            for _ in range(rounds // 2):
                client.http.get("/api/me", headers=agent)


def signed_in(client, email: str, tries: int = 5) -> dict:
    """The magic-link login, tried again as a user would if the page said to."""
    for attempt in range(tries):
        try:
            return login(client, email)
        except AssertionError:
            if attempt == tries - 1:
                raise


def _reply(sender: str, to: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, "RE: votre demande"
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content(body)
    return bytes(message)


def test_a_failure_after_the_send_does_not_send_the_email_again(client, monkeypatch):
    """The send succeeded, then writing what it was about failed: the stream's retry finds
    the email sent (idempotency record) and only writes the record."""

    from botocore.exceptions import ClientError

    from chalicelib import bootstrap
    from chalicelib.adapters.dynamo import Repository
    from chalicelib.adapters.email import OutgoingEmail
    from chalicelib.domain.models import Notification, NotificationKind
    from chalicelib.services.delivery import send_email_once as send_once

    attempts = []
    original = Repository.put_sent_mail

    def flaky(self, *args, **kwargs):
        attempts.append(args[0])
        if len(attempts) == 1:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}, "PutItem")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Repository, "put_sent_mail", flaky)
    deps = bootstrap.deps()
    notification = Notification(id="n-after-send", case_ref="61-AAA-AAA", kind=NotificationKind.ESCALATION,
                                created_at=deps.now())
    mail = OutgoingEmail(to=["once@example.org"], subject="Une fois", text="Une seule fois.")
    with pytest.raises(ClientError):
        send_once(deps, notification, "once@example.org", mail)
    send_once(deps, notification, "once@example.org", mail)            # the retry
    assert len([m for m in outbox() if m["to"] == ["once@example.org"]]) == 1
    assert len(attempts) == 2 and attempts[0] == attempts[1]           # the same SES id, recorded
