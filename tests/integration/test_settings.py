"""The settings the runbook lets operators change, read from the environment: each one changes
what the jobs do (DynamoDB Local). RELAIS_LADDER: the stages the reminders job climbs;
RELAIS_RETENTION_MONTHS: when a closed case's personal data is wiped;
RELAIS_FEEDBACK_RETENTION_MONTHS: when agents' feedback is deleted."""
from __future__ import annotations

import json

import pytest

from tests.conftest import CASE, login, outbox, post_json

# Tuesday 24 November 2026, 10:00 Paris: a case escalated now to the CAF (4 business days) is
# due at the end of Monday 30 November.
pytestmark = pytest.mark.instant("2026-11-24T10:00:00+01:00")
AGENT = "agent.bretoncelles@example.org"
COORDINATOR = "coordination.61@example.org"
MANAGER = "responsable.61-caf@example.org"


def configure(monkeypatch, variable: str, value: str) -> None:
    """As a deploy does: the variable in the function's environment, read at the next cold start."""
    from chalicelib import bootstrap

    monkeypatch.setenv(variable, value)
    bootstrap.reset()


def run(client, job: str, now: str) -> dict:
    response = client.http.post(f"/_dev/run/{job}?now={now.replace('+', '%2B')}")
    assert response.status_code == 200, response.body
    client.http.get("/api/me")          # any request then drains the outbox stream (dev stage)
    return response.json_body


def ladder_mails(ref: str) -> list[tuple[str, list[str]]]:
    return [(m["subject"], m["to"]) for m in outbox()
            if f"[Relais {ref}]" in (m["subject"] or "") and ("Rappel" in m["subject"] or "Délai dépassé" in m["subject"]
                                                             or "sans réponse" in m["subject"] or "pas répondu" in m["subject"])]


@pytest.mark.outbox
def test_relais_ladder_sets_the_stages_the_reminders_job_climbs(client, monkeypatch):
    # No reminder the day before, the breach at the deadline, the coordinator one business day
    # later; no manager stage.
    configure(monkeypatch, "RELAIS_LADDER", "breach:0,coordinator:1")
    agent = login(client, AGENT)
    ref = post_json(client, agent, "/api/cases", CASE)["ref"]
    post_json(client, agent, f"/api/cases/{ref}/escalations", {"group_ids": ["61-caf"], "question": "Le RSA ?"})

    # The default ladder's reminder would go out on Friday 27 at 08:00: not this one's.
    assert run(client, "reminders", "2026-11-27T08:00:00+01:00")["fired"] == 0
    assert run(client, "reminders", "2026-11-30T23:59:00+01:00")["fired"] == 0
    assert ladder_mails(ref) == []
    # The breach at midnight at the end of Monday 30: the group is told, and the agent.
    assert run(client, "reminders", "2026-12-01T00:00:00+01:00")["fired"] == 1
    breach = ladder_mails(ref)
    assert breach and all("Délai dépassé" in s or "pas répondu" in s for s, _ in breach)
    assert [to for s, to in breach if "pas répondu" in s] == [[AGENT]]
    # Breach + 1 business day (end of Tuesday 1 December): straight to the territory's coordinator.
    assert run(client, "reminders", "2026-12-01T23:59:00+01:00")["fired"] == 0
    assert run(client, "reminders", "2026-12-02T00:00:00+01:00")["fired"] == 1
    assert [to for s, to in ladder_mails(ref) if "sans réponse" in s] == [[COORDINATOR]]
    # Two stages, then nothing more: never the manager, whom the default ladder would reach.
    assert run(client, "reminders", "2027-01-05T00:00:00+01:00")["fired"] == 0
    assert not any(MANAGER in to for _, to in ladder_mails(ref))
    from chalicelib import bootstrap

    assert bootstrap.deps().repo.get_bundle(ref).escalations["61-caf"].ladder_stage == 2


# Each case is closed at the desk on Tuesday 24 November 2026; the job runs at 12:00 Paris on
# the day given. Its personal data goes with the first run on the day after the period ends.
@pytest.mark.parametrize("months, runs", [
    (2, [("2026-12-25", 0), ("2027-01-24", 0), ("2027-01-25", 1)]),
    (9, [("2027-05-25", 0), ("2027-08-24", 0), ("2027-08-25", 1)]),   # 6 months (the default) is not enough
])
def test_relais_retention_months_sets_when_a_closed_case_is_wiped(client, monkeypatch, months, runs):
    from chalicelib import bootstrap

    configure(monkeypatch, "RELAIS_RETENTION_MONTHS", str(months))
    agent = login(client, AGENT)
    ref = post_json(client, agent, "/api/cases", CASE)["ref"]
    post_json(client, agent, f"/api/cases/{ref}/close", {"outcome": "solved_at_desk", "useful": True})
    for day, purged in runs:
        assert run(client, "retention", f"{day}T12:00:00+01:00")["purged"] == purged, day
        case = bootstrap.deps().repo.get_case(ref)
        assert (case.usager is None) is bool(purged) and (case.purged_at is not None) is bool(purged), day


# A training request sent on Tuesday 24 November 2026 at 10:00 Paris; the job runs at 12:00 Paris
# on the day given.
@pytest.mark.parametrize("months, runs", [
    (3, [("2027-02-23", 0), ("2027-02-25", 1)]),                       # the shortest allowed period
    (30, [("2028-11-25", 0), ("2029-05-23", 0), ("2029-05-25", 1)]),   # 24 months (the default) is not enough
])
def test_relais_feedback_retention_months_sets_when_feedback_is_deleted(client, monkeypatch, months, runs):
    configure(monkeypatch, "RELAIS_FEEDBACK_RETENTION_MONTHS", str(months))
    agent = login(client, AGENT)
    response = client.http.post("/api/feedback", headers=agent, body=json.dumps(
        {"kind": "training", "point_id": "61-mairie-bretoncelles", "topic": "La retraite progressive"}))
    assert response.status_code == 201, response.body
    for day, deleted in runs:
        assert run(client, "retention", f"{day}T12:00:00+01:00")["feedback_deleted"] == deleted, day
        items = client.http.get("/api/feedback", headers=agent).json_body["items"]
        assert len(items) == 1 - deleted, day
