"""The coordinator's late escalations (issue 23, point 13): days late, the group's manager,
« Relancer » once a day, a view without the usager (DynamoDB Local, the dev stage)."""
from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, outbox

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]

AGENT = "agent.bretoncelles@example.org"
COORDINATOR = "coordination.61@example.org"
# A Friday: due at the end of Thursday 19 November, 5 days before Tuesday 24.
ESCALATED_AT = datetime.fromisoformat("2026-11-13T10:00:00+01:00")
CSRF = "c" * 32


@pytest.fixture
def late(client, monkeypatch):
    """A case escalated to the CAF eleven days ago, and the coordinator's session."""
    from chalicelib import bootstrap

    monkeypatch.setenv("RELAIS_SESSION_HOURS", str(24 * 60))
    bootstrap.reset()
    agent = login(client, AGENT)
    deps = bootstrap.deps()
    now = deps.clock
    deps.clock = lambda: ESCALATED_AT
    ref = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)).json_body["ref"]
    response = client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-caf"], "question": "Le RSA de Mme Martin est bloqué."}))
    assert response.status_code == 201, response.body
    deps.clock = now
    coordinator = {"Cookie": login(client, COORDINATOR)["Cookie"] + f"; relais_csrf={CSRF}"}
    return ref, coordinator


def page(client, headers, path):
    response = client.http.get(path, headers=headers)
    return response.status_code, response.body.decode()


def nudge(client, headers, ref):
    return client.http.post(f"/territoire/61/retards/{ref}/61-caf/relance", body=f"csrf={CSRF}",
                            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})


def test_the_territory_lists_days_late_the_group_and_its_manager(client, late):
    ref, coordinator = late
    status, body = page(client, coordinator, "/territoire?code=61")
    assert status == 200
    row = re.search(rf"<tr>\s*<td><a href=\"/territoire/61/retards/{ref}/61-caf\">.*?</tr>", body, re.S)
    assert row, body
    assert "5 jours" in row.group(0) and "CAF de l&#39;Orne" in row.group(0)
    assert "mailto:responsable.61-caf@example.org" in row.group(0)
    assert "sp-plus.61-caf" not in body and "referent2.61-caf" not in body


def test_relancer_sends_once_a_day_and_is_recorded(client, late, deps):
    ref, coordinator = late

    def reminders():
        return [m for m in outbox() if f"[Relais {ref}] Relance" in (m["subject"] or "")]

    response = nudge(client, coordinator, ref)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/territoire/61/retards/{ref}/61-caf?fait=relance"
    client.http.get("/api/me")      # the dev stage drains the outbox stream after a request
    sent = reminders()
    assert sorted(m["to"][0] for m in sent) == ["referent.61-caf@example.org", "referent2.61-caf@example.org",
                                                "sp-plus.61-caf@example.org"]
    assert "Martin" not in sent[0]["subject"]
    response = nudge(client, coordinator, ref)
    assert response.headers["Location"].endswith("?fait=deja-relance")
    client.http.get("/api/me")
    assert len(reminders()) == len(sent)
    events = [e for e in deps.repo.get_bundle(ref).events if e.code == "ESCALATION_NUDGED"]
    assert len(events) == 1 and events[0].group_id == "61-caf"
    status, body = page(client, coordinator, f"/territoire/61/retards/{ref}/61-caf?fait=deja-relance")
    assert status == 200 and "déjà été relancé aujourd&#39;hui" in body
    assert body.count("relance de la coordination") == 1


def test_a_relance_without_the_form_token_sends_nothing(client, late):
    ref, coordinator = late
    response = client.http.post(f"/territoire/61/retards/{ref}/61-caf/relance", body="csrf=autre",
                                headers={**coordinator, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    client.http.get("/api/me")
    assert not [m for m in outbox() if f"[Relais {ref}] Relance" in (m["subject"] or "")]


def test_the_late_view_shows_no_personal_data(client, late):
    ref, coordinator = late
    status, body = page(client, coordinator, f"/territoire/61/retards/{ref}/61-caf")
    assert status == 200
    for shown in (ref, "Mairie de Bretoncelles", "CAF de l&#39;Orne", "responsable.61-caf@example.org",
                  "13/11/2026", "19/11/2026", "5 jours"):
        assert shown in body, shown
    for personal in ("Jeanne", "Martin", "06 12", "RSA"):
        assert personal not in body, personal


def test_another_territory_or_an_unknown_escalation_is_not_found(client, late):
    ref, coordinator = late
    assert page(client, coordinator, f"/territoire/62/retards/{ref}/61-caf")[0] == 404
    assert page(client, coordinator, f"/territoire/61/retards/{ref}/61-cpam")[0] == 404
    status, body = page(client, coordinator, f"/dossiers/{ref}")
    assert status == 404 and "votre organisme" not in body
    assert nudge(client, coordinator, "61-AAA-AAA").status_code == 404


def test_an_agent_cannot_relance(client, late):
    ref, _ = late
    agent = {"Cookie": login(client, AGENT)["Cookie"] + f"; relais_csrf={CSRF}"}
    assert nudge(client, agent, ref).status_code == 403
    client.http.get("/api/me")
    assert not [m for m in outbox() if f"[Relais {ref}] Relance" in (m["subject"] or "")]
