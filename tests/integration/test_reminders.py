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
    reminders = mails(ref, "Rappel : à traiter au plus tard le vendredi 27 novembre")
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
    threads = [threading.Thread(target=lambda: results.append(jobs.run_inline("reminders", bootstrap.deps(), now)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r["fired"] for r in results) == 3
    for ref in refs:
        events = [e.code for e in deps.repo.get_bundle(ref).events]
        assert events.count("LADDER_REMINDER") == 1


def crashing(transact, on_call: int):
    """The repository's transact, dying as a Lambda that times out on its n-th call."""
    calls = {"n": 0}

    def wrapper(writes):
        calls["n"] += 1
        if calls["n"] == on_call:
            raise RuntimeError("Lambda timed out")
        return transact(writes)
    return wrapper


def test_a_sweep_that_crashes_midway_fires_the_rest_next_time(client, agent, deps, monkeypatch):
    from chalicelib import bootstrap, jobs

    refs = [escalate(client, agent) for _ in range(3)]
    repo = bootstrap.deps().repo
    original = repo.transact
    monkeypatch.setattr(repo, "transact", crashing(original, on_call=2))
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        jobs.run_inline("reminders", bootstrap.deps(), now)
    monkeypatch.setattr(repo, "transact", original)
    assert jobs.run_inline("reminders", bootstrap.deps(), now)["fired"] == 2
    assert jobs.run_inline("reminders", bootstrap.deps(), now)["fired"] == 0
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


# --- after an outage: a cursor, and one stage, the one that applies (issue 19) ----------------

def ladder_codes(deps, ref: str) -> list[str]:
    return sorted(e.code for e in deps.repo.get_bundle(ref).events if e.code.startswith("LADDER_"))


def test_a_first_run_thirteen_days_after_the_deadline_sends_one_stage_once(client, agent, deps):
    """The job ran on the day of the escalations, then not again until 13 days after their
    deadline (Friday 27 November), past the 7 days it reads again on every run: each escalation
    climbs straight to the stage that applies, the coordinator's, once, with three runs at the
    same time; the stages before it are passed, not sent."""
    from chalicelib import bootstrap, jobs

    refs = [escalate(client, agent) for _ in range(2)]
    assert run(client, "reminders", "2026-11-23T12:00:00+01:00")["fired"] == 0
    now = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    results = []
    threads = [threading.Thread(target=lambda: results.append(jobs.run_inline("reminders", bootstrap.deps(), now)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r["fired"] for r in results) == 2
    assert sum(r["passed"] for r in results) == 6
    client.http.get("/api/me")
    for ref in refs:
        assert ladder_codes(deps, ref) == ["LADDER_BREACH_PASSED", "LADDER_COORDINATOR",
                                           "LADDER_MANAGER_PASSED", "LADDER_REMINDER_PASSED"]
        assert mails(ref, "Rappel") == [] and mails(ref, "Délai dépassé") == []
        [upper] = mails(ref, "Demande sans réponse")
        assert upper["to"] == ["coordination.61@example.org"]
        # The facts: how late, and when it should have gone; no reminder it did not get.
        assert ("Ce message part avec 5 jours de retard, à la suite d'un incident technique de Relais : "
                "il devait partir le samedi 5 décembre à 0 h.") in upper["text"]
        assert "malgré les rappels" not in upper["text"]
    assert run(client, "reminders", "2026-12-10T11:00:00+01:00")["fired"] == 0
    assert run(client, "reminders", "2027-02-01T11:00:00+01:00")["fired"] == 0


def test_a_run_after_missed_stages_sends_only_the_one_that_applies(client, agent, deps):
    """No run from Monday 23 to Tuesday 1 December: the reminder (Thursday 26) and the breach
    (Saturday 28) were missed. One run sends the breach, late, and no « reminder before
    Friday »; the manager's stage then comes at its own time."""
    ref = escalate(client, agent)
    assert run(client, "reminders", "2026-11-23T12:00:00+01:00")["fired"] == 0
    done = run(client, "reminders", "2026-12-01T10:00:00+01:00")
    assert done["fired"] == 1 and done["passed"] == 1
    assert mails(ref, "Rappel") == []
    breach = mails(ref, "Délai dépassé")
    assert sorted(r for m in breach for r in m["to"]) == sorted(CAF_GROUP)
    assert all("Ce message part avec 3 jours de retard" in m["text"] for m in breach)
    assert [m["to"] for m in mails(ref, "n'a pas répondu dans le délai")] == [[AGENT]]
    assert run(client, "reminders", "2026-12-01T23:59:00+01:00")["fired"] == 0
    assert run(client, "reminders", "2026-12-02T00:00:00+01:00")["fired"] == 1
    [manager] = mails(ref, "Demande sans réponse")
    assert "retard" not in manager["text"] and "malgré les rappels aux référents" in manager["text"]
    assert ladder_codes(deps, ref) == ["LADDER_BREACH", "LADDER_MANAGER", "LADDER_REMINDER_PASSED"]


def test_a_one_day_deadline_gets_no_reminder_even_escalated_on_a_saturday(client, agent, deps):
    """A group that answers in 1 business day, escalated on Saturday 28 November: due at the
    end of Monday 30. The day-before reminder (Friday 27) would come before the escalation
    itself: none, not on the Saturday nor later; the breach keeps its time."""
    from chalicelib import bootstrap

    deps.repo.put_directory([deps.repo.get_group("61-caf").model_copy(update={"answer_days": 1})])
    bootstrap.deps().clock = lambda: datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    ref = escalate(client, agent)
    assert run(client, "reminders", "2026-11-28T10:30:00+01:00")["fired"] == 0
    assert run(client, "reminders", "2026-11-30T08:00:00+01:00")["fired"] == 0
    assert mails(ref, "Rappel") == []
    assert run(client, "reminders", "2026-12-01T00:00:00+01:00")["fired"] == 1
    assert len(mails(ref, "Délai dépassé")) == 3


def test_a_territory_without_coordinator_falls_back_to_the_national_address(client, agent, deps, monkeypatch):
    """The Orne loses its coordinator: the coordinator stage goes to the national coordination
    address; without one, nobody is emailed, an error is logged and `ladder_stage_unaddressed`
    is counted, for an alarm to watch (docs/operations.md, section 4b)."""
    from chalicelib import bootstrap
    from chalicelib.adapters import keys
    from chalicelib.domain.models import Notification, NotificationKind
    from chalicelib.services import notifications
    from chalicelib.services.outbox import deliver

    ref = escalate(client, agent)
    coordinator = deps.repo.get_user_by_email("coordination.61@example.org")
    deps.repo.delete_many([keys.coordinator("61", coordinator.id)])
    counted: list[str] = []
    monkeypatch.setattr(notifications, "count", lambda name, value=1, **_: counted.append(name))

    def coordinator_stage(number: int) -> list[dict]:
        before = len(outbox())
        deliver(bootstrap.deps(), Notification(
            id=f"ladder-61-caf-test-{number}", case_ref=ref, kind=NotificationKind.LADDER,
            group_id="61-caf", data={"stage": "coordinator"}, created_at=MONDAY))
        return outbox()[before:]

    assert coordinator_stage(1) == []
    assert {"ladder_coordinator_missing", "ladder_stage_unaddressed"} <= set(counted)
    monkeypatch.setenv("RELAIS_NATIONAL_COORDINATION_EMAIL", "coordination.nationale@example.org")
    bootstrap.reset()
    [mail] = coordinator_stage(2)
    assert mail["to"] == ["coordination.nationale@example.org"]
    assert "le territoire Orne (61) n'a pas de coordinateur dans Relais" in mail["text"]
    assert "Jeanne" not in mail["text"] and "Martin" not in mail["text"]


def test_the_weekly_digest_is_sent_once_per_iso_week_even_days_apart(client, agent):
    """Monday 30 November, Thursday 3 December (the same ISO week, 3 days later: the emails'
    idempotency records last 2 days), then Monday 7 December (the next week). The process clock
    moves too: the idempotency records expire by it."""
    import time_machine

    ref = escalate(client, agent)
    referent = login(client, "referent.61-caf@example.org")
    client.http.post(f"/api/cases/{ref}/messages", headers=referent,
                     body=json.dumps({"body": "Réglé.", "kind": "answer"}))
    sent = []
    for moment in ("2026-11-30T08:00:00+01:00", "2026-12-03T08:00:00+01:00", "2026-12-07T08:00:00+01:00"):
        with time_machine.travel(datetime.fromisoformat(moment)):
            run(client, "digest", moment)
        sent.append(len([m for m in outbox() if m["to"] == [AGENT] and "à clore" in (m["subject"] or "")]))
    assert sent == [1, 1, 2]


# --- fanned out (issue 21): day units on the job queue, a cursor that never skips a backlog ----

def queued_units(deps) -> list:
    from chalicelib.jobs.units import Unit

    url = deps.sqs.get_queue_url(QueueName=deps.settings.job_queue)["QueueUrl"]
    units = []
    while messages := deps.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        units += [Unit.of(m["Body"]) for m in messages]
        for message in messages:
            deps.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return units


def sqs_event(*units) -> dict:
    return {"Records": [{"messageId": f"m-{n}", "receiptHandle": f"r-{n}", "body": unit.body(),
                         "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-3:0:relais-dev-jobs",
                         "awsRegion": "eu-west-3"} for n, unit in enumerate(units)]}


def stored_state(deps) -> str:
    from tests.conftest import whole_table

    items = [i for i in whole_table(deps) if not i["PK"]["S"].startswith(("IDEMPOTENCY#", "DEVSTREAM#"))]
    return json.dumps(sorted(json.dumps(i, sort_keys=True) for i in items))


def test_the_hourly_run_queues_one_unit_per_day_from_its_cursor(client, agent, deps):
    from chalicelib import jobs
    from chalicelib.jobs import reminders
    from chalicelib.jobs.units import handle_queue

    ref = escalate(client, agent)
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert jobs.run("reminders", deps, now) == {"units": reminders.LOOKBACK_DAYS + 1}
    units = queued_units(deps)
    assert sorted(u.key for u in units) == [f"2026-11-{day}" for day in range(19, 27)]
    assert {(u.job, u.as_of, u.after) for u in units} == {("reminders", now.isoformat(), None)}
    assert ladder_codes(deps, ref) == []
    assert handle_queue(deps, sqs_event(*units)) == {"batchItemFailures": []}
    assert ladder_codes(deps, ref) == ["LADDER_REMINDER"]     # by the unit of the 26th


def test_a_unit_that_crashes_midway_is_retried_and_a_replayed_unit_changes_nothing(client, agent, deps,
                                                                                  monkeypatch):
    from chalicelib import bootstrap, jobs
    from chalicelib.jobs.units import handle_queue

    refs = [escalate(client, agent) for _ in range(3)]
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    jobs.run("reminders", deps, now)
    [unit] = [u for u in queued_units(deps) if u.key == "2026-11-26"]
    repo = bootstrap.deps().repo
    original = repo.transact
    monkeypatch.setattr(repo, "transact", crashing(original, on_call=2))
    failed = handle_queue(bootstrap.deps(), sqs_event(unit))
    assert failed == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}        # SQS gives it back
    monkeypatch.setattr(repo, "transact", original)
    fired = [ref for ref in refs if ladder_codes(deps, ref) == ["LADDER_REMINDER"]]
    assert len(fired) == 1                   # the first went through; the unit died on the second
    assert handle_queue(bootstrap.deps(), sqs_event(unit)) == {"batchItemFailures": []}
    client.http.get("/api/me")
    for ref in refs:
        assert ladder_codes(deps, ref) == ["LADDER_REMINDER"]
        assert len(mails(ref, "Rappel")) == 3
    # The same unit again, as a duplicate delivery would: nothing changes, nothing is sent.
    before, sent = stored_state(deps), len(outbox())
    assert handle_queue(bootstrap.deps(), sqs_event(unit)) == {"batchItemFailures": []}
    client.http.get("/api/me")
    assert (stored_state(deps), len(outbox())) == (before, sent)


def test_a_backlog_far_longer_than_a_run_is_caught_up_and_never_skipped(client, agent, deps):
    """The sweep ran on the day of the escalations, then not for ten weeks (five weeks past
    the days a run looks back, twice the days a run plans): each catch-up run plans from its
    cursor; the escalations climb once, to the stage that applies; the cursor ends one lookback
    behind today and never moved over a day with work left."""
    from chalicelib import jobs
    from chalicelib.jobs import reminders

    refs = [escalate(client, agent) for _ in range(2)]
    assert run(client, "reminders", "2026-11-23T12:00:00+01:00")["fired"] == 0
    assert deps.repo.job_cursor(reminders.CURSOR) == "2026-11-16"
    now = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    runs = []
    while not runs or runs[-1]["fired"] or deps.repo.job_cursor(reminders.CURSOR) < "2027-01-25":
        runs.append(jobs.run_inline("reminders", deps, now))
        assert len(runs) < 6
    # The first run plans Nov 16 to Dec 16 and climbs both; the next ones walk the cursor on.
    assert [r["fired"] for r in runs] == [2] + [0] * (len(runs) - 1) and len(runs) >= 3
    assert deps.repo.job_cursor(reminders.CURSOR) == "2027-01-25"                 # now - 7 days
    client.http.get("/api/me")
    for ref in refs:
        assert [c for c in ladder_codes(deps, ref) if not c.endswith("_PASSED")] == ["LADDER_COORDINATOR"]
    assert jobs.run_inline("reminders", deps, now)["fired"] == 0


def test_a_day_with_more_due_than_a_unit_takes_continues_in_another_unit(client, agent, deps, monkeypatch):
    from chalicelib.jobs import reminders
    from chalicelib.jobs.units import Unit

    refs = [escalate(client, agent) for _ in range(5)]
    monkeypatch.setattr(reminders, "UNIT_ESCALATIONS", 2)
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    unit, fired, units = Unit("reminders", "2026-11-26", now.isoformat()), 0, 0
    pending = [unit]
    while pending:
        done = reminders.sweep_day(deps, pending.pop())
        fired, units = fired + done.counts["fired"], units + 1
        pending += done.more
        assert done.counts["fired"] <= 2
    assert fired == 5 and units >= 3
    for ref in refs:
        assert ladder_codes(deps, ref) == ["LADDER_REMINDER"]
