"""A Martinique usager and a Réunion usager, through the whole lifecycle: each is texted in
their own daytime, and the people who handle their case read their own clock.

Martinique is UTC-4 all year; La Réunion is UTC+4; Paris is UTC+1 in November. The process
clock (time-machine) moves through each step, so SQS's hold (the message's visibility) and the
app's clock both follow it, as in AWS.
"""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import CASE, login, outbox

MARTINIQUE = ZoneInfo("America/Martinique")
REUNION = ZoneInfo("Indian/Reunion")
PARIS = ZoneInfo("Europe/Paris")
# Tuesday 24 November 2026, 21:30 in Fort-de-France: 02:30 on Wednesday in Paris.
EVENING_IN_FORT_DE_FRANCE = datetime(2026, 11, 24, 21, 30, tzinfo=MARTINIQUE)

pytestmark = [pytest.mark.outbox, pytest.mark.instant(EVENING_IN_FORT_DE_FRANCE)]

DIRECTORY = {
    "contact_points": "id;territory_code;name;kind;phone;address\n"
                      "972-fs-fort-de-france;972;France Services de Fort-de-France;france_services;"
                      "05 96 60 00 00;Fort-de-France\n"
                      "974-fs-saint-denis;974;France Services de Saint-Denis;france_services;"
                      "02 62 40 00 00;Saint-Denis\n",
    "referent_groups": "id;organisation_id;territory_code;name;member_emails;shared_mailbox;answer_days\n"
                       "972-caf;caf;972;CAF de la Martinique;referent.972-caf@example.org;;4\n"
                       "974-caf;caf;974;CAF de La Réunion;referent.974-caf@example.org;;4\n",
    "users": "email;display_name;role;point_ids;territory_codes\n"
             "agent.fort-de-france@example.org;Léa Joseph;agent;972-fs-fort-de-france;\n"
             "agent.saint-denis@example.org;Marie Hoarau;agent;974-fs-saint-denis;\n",
}


@pytest.fixture
def overseas(client, deps, monkeypatch):
    """Points, CAF groups and agents in Martinique and La Réunion, beside the demo's Orne."""
    from chalicelib import bootstrap
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.models import Role
    from chalicelib.services import directory

    monkeypatch.setenv("RELAIS_SESSION_HOURS", str(24 * 60))
    bootstrap.reset()
    admin = Principal(user_id="test-admin", role=Role.ADMIN)
    for kind, text in DIRECTORY.items():
        directory.import_csv(bootstrap.deps(), admin, kind, text, dry_run=False)
    return client


def sms_to(phone: str) -> list[str]:
    return [m["text"] for m in outbox() if m["channel"] == "sms" and m["to"] == [phone]]


def settle(client, headers) -> None:
    """A request: the dev stage plays the stream and the SMS queue, as AWS's event sources do."""
    client.http.get("/api/me", headers=headers)


def create(client, agent, point_id: str, phone: str) -> str:
    body = {**CASE, "point_id": point_id, "usager": {**CASE["usager"], "phone": phone}}
    response = client.http.post("/api/cases", headers=agent, body=json.dumps(body))
    assert response.status_code == 201, response.body
    return response.json_body["ref"]


def test_a_martinique_usager_is_texted_in_martinique_daytime_through_the_whole_case(overseas):
    client, phone = overseas, "0696 20 12 34"
    e164 = "+596696201234"
    agent = login(client, "agent.fort-de-france@example.org")

    # 21:30 in Fort-de-France: the creation SMS waits for the morning, there.
    ref = create(client, agent, "972-fs-fort-de-france", phone)
    assert sms_to(e164) == []
    # 08:05 in Paris is 03:05 in Fort-de-France: still night, nothing goes out.
    with time_machine.travel(datetime(2026, 11, 25, 8, 5, tzinfo=PARIS)):
        settle(client, agent)
        assert sms_to(e164) == []
    # 09:05 in Fort-de-France (held until 08:00 there, plus its place in the hour over which
    # held SMS are released): the SMS goes out, once.
    with time_machine.travel(datetime(2026, 11, 25, 9, 5, tzinfo=MARTINIQUE)):
        settle(client, agent)
        [created] = sms_to(e164)
        assert ref in created and "France Services de Fort-de-France" in created
        response = client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
            {"group_ids": ["972-caf"], "question": "Le RSA est-il suspendu ?"}))
        assert response.status_code == 201, response.body
        [escalation] = response.json_body["escalations"]
        # Four business days, counted as everywhere: Thursday, Friday, Monday, Tuesday.
        assert escalation["due_date"] == "2026-12-01"

    # 18:40 in Fort-de-France (23:40 in Paris): the partner answers, and the usager hears of it
    # now, in their evening, not at 08:00 Paris (03:00 for them).
    with time_machine.travel(datetime(2026, 11, 25, 18, 40, tzinfo=MARTINIQUE)):
        referent = login(client, "referent.972-caf@example.org")
        response = client.http.post(f"/api/cases/{ref}/messages", headers=referent, body=json.dumps(
            {"body": "Le RSA est rétabli.", "kind": "answer"}))
        assert response.status_code in (200, 201), response.body
        settle(client, agent)
        assert len(sms_to(e164)) == 2 and "a répondu" in sms_to(e164)[1]
        # The agent in Fort-de-France reads Martinique time on the case page.
        page = client.http.get(f"/dossiers/{ref}", headers={"Cookie": agent["Cookie"]}).body.decode()
        assert "25/11/2026 à 18:40" in page and "heure de la Martinique" in page
        assert "25/11/2026 à 23:40" not in page

    # 19:50 in Fort-de-France: the case is closed, and the satisfaction SMS goes out at once.
    with time_machine.travel(datetime(2026, 11, 25, 19, 50, tzinfo=MARTINIQUE)):
        response = client.http.post(f"/api/cases/{ref}/close", headers=agent, body=json.dumps(
            {"outcome": "solved_with_partner", "useful": True}))
        assert response.status_code == 200, response.body
        settle(client, agent)
        assert len(sms_to(e164)) == 3 and "1" in sms_to(e164)[2] and "5" in sms_to(e164)[2]
        reply = client.http.post("/_dev/inbound-sms", headers={"Content-Type": "application/json"},
                                 body=json.dumps({"from": e164, "body": "5"}))
        assert reply.json_body == {"outcome": "satisfaction", "case_ref": ref}


@pytest.mark.instant(datetime(2026, 11, 24, 19, 30, tzinfo=PARIS))
def test_a_reunion_usager_is_not_texted_at_22_30_and_hears_at_08_00_reunion_time(overseas):
    client, e164 = overseas, "+262692123456"
    agent = login(client, "agent.saint-denis@example.org")
    # 19:30 in Paris is 22:30 in Saint-Denis: held.
    ref = create(client, agent, "974-fs-saint-denis", "0692 12 34 56")
    assert sms_to(e164) == []
    # 09:05 in Saint-Denis is 06:05 in Paris: sent (held until 08:00 there, plus its place in
    # the hour over which held SMS are released), without waiting for Paris's 08:00.
    with time_machine.travel(datetime(2026, 11, 25, 9, 5, tzinfo=REUNION)):
        settle(client, agent)
        [created] = sms_to(e164)
        assert ref in created
        reply = client.http.post("/_dev/inbound-sms", headers={"Content-Type": "application/json"},
                                 body=json.dumps({"from": e164, "body": "Merci, je passe lundi"}))
        assert reply.json_body["outcome"] == "message"
        page = client.http.get(f"/dossiers/{ref}", headers={"Cookie": agent["Cookie"]}).body.decode()
        assert "25/11/2026 à 09:05" in page and "heure de La Réunion" in page

    # Closed at 07:30 in Saint-Denis (04:30 in Paris): the satisfaction SMS waits for 08:00 there.
    with time_machine.travel(datetime(2026, 11, 26, 7, 30, tzinfo=REUNION)):
        response = client.http.post(f"/api/cases/{ref}/close", headers=agent, body=json.dumps(
            {"outcome": "solved_at_desk", "useful": True}))
        assert response.status_code == 200, response.body
        assert len(sms_to(e164)) == 1
    with time_machine.travel(datetime(2026, 11, 26, 9, 1, tzinfo=REUNION)):      # the release's hour over
        settle(client, agent)
        assert len(sms_to(e164)) == 2
