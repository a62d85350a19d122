"""The jobs that send email, fanned out (issue 21): the weekly digest and the quarterly report
run one unit per territory on the job queue. A unit that dies midway is retried and sends what
it had not sent, never twice; a replayed unit sends nothing and changes nothing."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib import jobs
from chalicelib.domain import results as domain
from chalicelib.jobs.units import handle_queue
from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, outbox, post_json
from tests.integration.test_reminders import queued_units, sqs_event, stored_state

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]
AGENTS = {"agent.bretoncelles@example.org": "61-mairie-bretoncelles",
          "agent.remalard@example.org": "61-mairie-remalard",
          "agent.sous-prefecture-bethune@example.org": "62-sous-prefecture-bethune"}
MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def digests() -> dict[str, int]:
    sent: dict[str, int] = {}
    for mail in outbox():
        if "à clore" in (mail["subject"] or ""):
            sent[mail["to"][0]] = sent.get(mail["to"][0], 0) + 1
    return sent


@pytest.fixture
def answered(client):
    """One answered case per agent, in 61 (two agents) and 62 (one)."""
    referents = {"61": login(client, "referent.61-caf@example.org"), "62": login(client, "referent.62-caf@example.org")}
    for number, (email, point) in enumerate(AGENTS.items()):
        agent = login(client, email)
        usager = {**CASE["usager"], "phone": f"06 12 34 50 {number:02d}"}
        ref = post_json(client, agent, "/api/cases", {**CASE, "point_id": point, "usager": usager})["ref"]
        territory = point[:2]
        post_json(client, agent, f"/api/cases/{ref}/escalations", {"group_ids": [f"{territory}-caf"], "question": "?"})
        post_json(client, referents[territory], f"/api/cases/{ref}/messages", {"body": "Réglé.", "kind": "answer"})
    client.http.get("/api/me")
    return AGENTS


def test_the_digest_plans_one_unit_per_territory_and_each_sends_its_agents(answered, deps):
    assert jobs.run("digest", deps, MONDAY) == {"units": 2}
    units = sorted(queued_units(deps), key=lambda u: u.key)
    assert [(u.job, u.key, u.as_of) for u in units] == [("digest", "61", MONDAY.isoformat()),
                                                        ("digest", "62", MONDAY.isoformat())]
    assert handle_queue(deps, sqs_event(units[0])) == {"batchItemFailures": []}
    assert digests() == {"agent.bretoncelles@example.org": 1, "agent.remalard@example.org": 1}
    assert handle_queue(deps, sqs_event(units[1])) == {"batchItemFailures": []}
    assert digests() == dict.fromkeys(AGENTS, 1)


def test_a_digest_unit_that_dies_midway_is_retried_and_a_replay_sends_nothing(answered, deps, monkeypatch):
    jobs.run("digest", deps, MONDAY)
    [unit] = [u for u in queued_units(deps) if u.key == "61"]
    original, calls = deps.mailer.send, {"n": 0}

    def failing_second(mail):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("SES did not answer")
        return original(mail)

    monkeypatch.setattr(deps.mailer, "send", failing_second)
    assert handle_queue(deps, sqs_event(unit)) == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert sum(digests().values()) == 1                        # the first agent's went out
    monkeypatch.setattr(deps.mailer, "send", original)
    assert handle_queue(deps, sqs_event(unit)) == {"batchItemFailures": []}
    assert digests() == {"agent.bretoncelles@example.org": 1, "agent.remalard@example.org": 1}
    # A duplicate delivery of the unit, then the whole job again on Thursday of the same week.
    before = stored_state(deps)
    assert handle_queue(deps, sqs_event(unit)) == {"batchItemFailures": []}
    assert stored_state(deps) == before
    jobs.run_inline("digest", deps, datetime(2026, 12, 3, 7, 0, tzinfo=UTC))
    assert digests() == dict.fromkeys(AGENTS, 1)


def test_a_report_unit_that_dies_is_retried_and_sends_each_coordinator_once(answered, deps, monkeypatch):
    quarter = domain.quarter(MONDAY)
    first_day = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    assert jobs.run("quarterly_report", deps, first_day) == {"units": 2}
    units = {u.key: u for u in queued_units(deps)}
    original = deps.mailer.send

    def down(mail):
        raise ConnectionError("SES did not answer")

    monkeypatch.setattr(deps.mailer, "send", down)
    assert handle_queue(deps, sqs_event(units["61"])) == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    monkeypatch.setattr(deps.mailer, "send", original)
    for _ in range(2):                       # the retry, then a duplicate delivery of the unit
        assert handle_queue(deps, sqs_event(units["61"], units["62"])) == {"batchItemFailures": []}
    reports = [m["to"][0] for m in outbox() if quarter in (m["subject"] or "") and "comité de suivi" in m["subject"]]
    assert sorted(reports) == ["coordination.61@example.org", "coordination.62@example.org"]
