"""Every event handler run twice on the same event, through its Lambda entry point: the second
run sends no email or SMS and changes nothing. (The stream consumer's replay is in
test_email.py and test_results.py; the SES receipt and bounce handlers' in test_email.py; the
SMS worker's in test_sms.py.)"""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, outbox, post_json, whole_table

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]
AGENT = "agent.bretoncelles@example.org"
REFERENT = "referent.61-caf@example.org"
SCHEDULED = ["reminders", "weekly_digest", "results_check", "quarterly_report", "retention"]



def state(deps) -> tuple[int, str]:
    """What a replay must not change: the emails and SMS sent, and the table (but for the
    idempotency records' expiry times and the dev stream's mark)."""
    items = [i for i in whole_table(deps) if not i["PK"]["S"].startswith(("IDEMPOTENCY#", "DEVSTREAM#"))]
    return len(outbox()), json.dumps(sorted(json.dumps(i, sort_keys=True) for i in items))


def test_each_handler_twice_on_the_same_event_acts_once(client):
    from chalicelib import bootstrap

    agent, referent = login(client, AGENT), login(client, REFERENT)
    refs = [post_json(client, agent, "/api/cases", {**CASE, "usager": {**CASE["usager"], "phone": f"06 12 34 56 {n:02d}"}})["ref"]
            for n in range(3)]
    for ref in refs[:2]:
        post_json(client, agent, f"/api/cases/{ref}/escalations", {"group_ids": ["61-caf"], "question": "Le RSA ?"})
    post_json(client, referent, f"/api/cases/{refs[0]}/messages", {"body": "Réglé.", "kind": "answer"})
    post_json(client, agent, f"/api/cases/{refs[2]}/close", {"outcome": "solved_at_desk", "useful": True})
    deps = bootstrap.deps()
    # Escalated on Tuesday 24 November at 10:00; six days on, Monday 30 (10:00 Paris): the
    # second escalation's reminder, due on Friday 27 and never sent (the job had not run), goes
    # out late on the deadline's day (no reminder goes out on a weekend, so not on Sunday 29);
    # the answered case waits to be closed.
    later = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    deps.clock = lambda: later

    sent = {}
    for name in SCHEDULED:
        already = len(outbox())
        event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                detail={}, resources=[f"arn:aws:events:eu-west-3:1:rule/{name}"])
        client.lambda_.invoke(name, event)
        client.http.get("/api/me", headers=agent)          # the dev stream sends what it announced
        before = state(deps)
        sent[name] = before[0] - already
        client.lambda_.invoke(name, event)
        client.http.get("/api/me", headers=agent)
        assert state(deps) == before, name
    assert sent["reminders"] > 0 and sent["weekly_digest"] > 0        # the first runs did act

    sms = {"originationNumber": "+33612345602", "messageBody": "5", "inboundMessageId": "in-1"}
    message = {"originationNumber": "+33612345601", "messageBody": "Je passe demain.", "inboundMessageId": "in-2"}
    for body in (sms, message):
        event = client.events.generate_sns_event(message=json.dumps(body))
        client.lambda_.invoke("receive_sms", event)
        client.http.get("/api/me", headers=agent)
        before = state(deps)
        client.lambda_.invoke("receive_sms", event)
        client.http.get("/api/me", headers=agent)
        assert state(deps) == before, body["messageBody"]
    assert deps.repo.get_case(refs[2]).satisfaction == 5
