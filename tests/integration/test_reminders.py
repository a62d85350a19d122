"""Deadlines, the escalation ladder and the weekly digest, on a schedule (DynamoDB Local)."""
from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, outbox

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]

AGENT = "agent.bretoncelles@example.org"
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)          # due: end of Friday 27 November
CAF_GROUP = ["referent.61-caf@example.org", "referent2.61-caf@example.org", "sp-plus.61-caf@example.org"]


def at(iso: str) -> str:
    return iso.replace("+", "%2B")


def run(client, job: str, now: str) -> dict:
    response = client.http.post(f"/_dev/run/{job}?now={at(now)}")
    assert response.status_code == 200, response.body
    client.http.get("/api/me")          # any request then drains the outbox stream (dev stage)
    return response.json_body


def escalate(client, agent, group: str = "61-caf") -> str:
    ref = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)).json_body["ref"]
    response = client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": [group], "question": "Le RSA est bloqué : pouvez-vous vérifier ?"}))
    assert response.status_code == 201, response.body
    return ref


def mails(ref: str, words: str) -> list[dict]:
    return [m for m in outbox() if f"[Relais {ref}]" in (m["subject"] or "") and words in m["subject"]]


@pytest.fixture
def agent(client, monkeypatch):
    from chalicelib import bootstrap

    # These tests move the clock by days: sessions must outlive them.
    monkeypatch.setenv("RELAIS_SESSION_HOURS", str(24 * 60))
    bootstrap.reset()
    headers = login(client, AGENT)
    bootstrap.deps().clock = lambda: MONDAY
    return headers


def test_each_ladder_stage_fires_once_at_its_time(client, agent):
    ref = escalate(client, agent)
    assert run(client, "reminders", "2026-11-25T12:00:00+01:00")["fired"] == 0
    # 1. the business day before the deadline, from 08:00 Paris
    assert run(client, "reminders", "2026-11-26T07:59:00+01:00")["fired"] == 0
    assert run(client, "reminders", "2026-11-26T08:00:00+01:00")["fired"] == 1
    assert run(client, "reminders", "2026-11-26T09:00:00+01:00")["fired"] == 0
    reminders = mails(ref, "Rappel : à traiter avant le vendredi 27 novembre")
    assert sorted(r for m in reminders for r in m["to"]) == sorted(CAF_GROUP)
    assert all(m["reply_to"].startswith("reponse+") for m in reminders)
    # 2. at the breach: the group again, and the agent
    assert run(client, "reminders", "2026-11-27T23:59:00+01:00")["fired"] == 0
    assert run(client, "reminders", "2026-11-28T00:00:00+01:00")["fired"] == 1
    assert len(mails(ref, "Délai dépassé")) == 3
    assert [m["to"] for m in mails(ref, "n'a pas répondu dans le délai")] == [[AGENT]]
    # 3. breach + 2 business days (Monday 30, Tuesday 1): the organisation's manager
    assert run(client, "reminders", "2026-12-01T23:00:00+01:00")["fired"] == 0
    assert run(client, "reminders", "2026-12-02T00:00:00+01:00")["fired"] == 1
    assert [m["to"] for m in mails(ref, "Demande sans réponse")] == [["responsable.61-caf@example.org"]]
    # 4. breach + 5 business days (Friday 4 December): the territory's coordinator
    assert run(client, "reminders", "2026-12-05T00:00:00+01:00")["fired"] == 1
    upper = mails(ref, "Demande sans réponse")
    assert [m["to"] for m in upper][-1] == ["coordination.61@example.org"]
    assert "Jeanne" not in upper[-1]["text"] and "Martin" not in upper[-1]["text"]
    # the ladder is done: nothing more, ever
    assert run(client, "reminders", "2027-01-05T00:00:00+01:00")["fired"] == 0


def test_a_repeated_sweep_sends_nothing_twice(client, agent):
    ref = escalate(client, agent)
    for _ in range(3):
        run(client, "reminders", "2026-11-26T10:00:00+01:00")
    assert len(mails(ref, "Rappel")) == 3          # one per recipient, once


def test_overlapping_sweeps_fire_each_stage_once(client, agent, deps):
    from chalicelib import bootstrap, jobs

    refs = [escalate(client, agent) for _ in range(3)]
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    results = []
    threads = [threading.Thread(target=lambda: results.append(jobs.run("reminders", bootstrap.deps(), now)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r["fired"] for r in results) == 3
    for ref in refs:
        events = [e.code for e in deps.repo.get_bundle(ref).events]
        assert events.count("LADDER_REMINDER") == 1


def test_a_sweep_that_crashes_midway_fires_the_rest_next_time(client, agent, deps, monkeypatch):
    from chalicelib import bootstrap, jobs

    refs = [escalate(client, agent) for _ in range(3)]
    repo = bootstrap.deps().repo
    original, calls = repo.transact, {"n": 0}

    def crash_on_second(writes):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("Lambda timed out")
        return original(writes)

    monkeypatch.setattr(repo, "transact", crash_on_second)
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        jobs.run("reminders", bootstrap.deps(), now)
    monkeypatch.setattr(repo, "transact", original)
    assert jobs.run("reminders", bootstrap.deps(), now)["fired"] == 2
    assert jobs.run("reminders", bootstrap.deps(), now)["fired"] == 0
    client.http.get("/api/me")
    for ref in refs:
        assert [e.code for e in deps.repo.get_bundle(ref).events].count("LADDER_REMINDER") == 1
        assert len(mails(ref, "Rappel")) == 3


def test_an_answered_escalation_leaves_the_ladder(client, agent):
    ref = escalate(client, agent)
    referent = login(client, "referent.61-caf@example.org")
    client.http.post(f"/api/cases/{ref}/messages", headers=referent,
                     body=json.dumps({"body": "Réglé.", "kind": "answer"}))
    assert run(client, "reminders", "2026-12-10T00:00:00+01:00")["fired"] == 0
    assert mails(ref, "Rappel") == []


def test_a_paused_clock_stops_the_ladder_and_the_deadline_moves_on_resume(client, agent):
    from chalicelib import bootstrap

    ref = escalate(client, agent)
    referent = login(client, "referent.61-caf@example.org")
    bootstrap.deps().clock = lambda: datetime(2026, 11, 24, 9, 0, tzinfo=UTC)      # Tuesday
    asked = client.http.post(f"/api/cases/{ref}/messages", headers=referent, body=json.dumps(
        {"body": "Il me faut son dernier avis d'imposition.", "kind": "needs_info"}))
    assert asked.status_code == 201, asked.body
    assert run(client, "reminders", "2026-11-28T00:00:00+01:00")["fired"] == 0   # paused: no breach
    paused = client.http.get(f"/api/cases/{ref}", headers=agent).json_body["escalations"][0]
    assert paused["paused"] and paused["lateness"] is None
    bootstrap.deps().clock = lambda: datetime(2026, 11, 26, 9, 0, tzinfo=UTC)      # Thursday
    client.http.post(f"/api/cases/{ref}/messages", headers=agent, body=json.dumps(
        {"body": "Avis d'imposition transmis.", "group_id": "61-caf"}))
    resumed = client.http.get(f"/api/cases/{ref}", headers=agent).json_body["escalations"][0]
    assert resumed["due_date"] == "2026-12-01" and resumed["due_in_words"] == "mardi 1er décembre"
    assert resumed["paused_seconds"] == 2 * 86400
    assert run(client, "reminders", "2026-11-28T00:00:00+01:00")["fired"] == 0   # not yet
    assert run(client, "reminders", "2026-11-30T08:00:00+01:00")["fired"] == 1   # reminder Monday


def test_late_states_show_in_the_referent_queue(client, agent):
    from chalicelib import bootstrap

    escalate(client, agent)
    referent = login(client, "referent.61-caf@example.org")
    bootstrap.deps().clock = lambda: datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    [soon] = client.http.get("/api/escalations", headers=referent).json_body["items"]
    assert (soon["lateness"], soon["lateness_label"]) == ("due_soon", "À traiter sous 24 h")
    [listed] = client.http.get("/api/cases", headers=agent).json_body["items"]
    assert (listed["lateness"], listed["lateness_label"]) == ("due_soon", "À traiter sous 24 h")
    bootstrap.deps().clock = lambda: datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    [late] = client.http.get("/api/escalations", headers=referent).json_body["items"]
    assert (late["lateness"], late["lateness_label"]) == ("late", "En retard")
    [listed] = client.http.get("/api/cases", headers=agent).json_body["items"]
    assert listed["lateness_label"] == "En retard"
    client.http.post(f"/api/cases/{listed['ref']}/messages", headers=referent,
                     body=json.dumps({"body": "Réglé.", "kind": "answer"}))
    [answered] = client.http.get("/api/cases", headers=agent).json_body["items"]
    assert answered["lateness"] is None and answered["next_due_at"] is None


def test_the_weekly_digest_is_one_email_per_agent_and_once_a_week(client, agent):
    refs = [escalate(client, agent) for _ in range(2)]
    referent = login(client, "referent.61-caf@example.org")
    for ref in refs:
        client.http.post(f"/api/cases/{ref}/messages", headers=referent,
                         body=json.dumps({"body": "Réglé.", "kind": "answer"}))
    assert run(client, "digest", "2026-11-30T07:00:00+00:00") == {"agents": 1, "cases": 2}
    run(client, "digest", "2026-11-30T08:00:00+00:00")
    digests = [m for m in outbox() if m["to"] == [AGENT] and "à clore" in (m["subject"] or "")]
    assert len(digests) == 1
    assert digests[0]["subject"] == "Relais : 2 dossiers répondus à clore"
    assert all(ref in digests[0]["text"] for ref in refs)
