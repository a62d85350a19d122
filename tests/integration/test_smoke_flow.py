"""The demo flow through the API with Chalice's test client, against DynamoDB Local."""
import json

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import login

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

CASE = {
    "point_id": "61-mairie-bretoncelles",
    "usager": {"first_name": "Jeanne", "last_name": "Martin", "phone": "06 12 34 56 78"},
    "situation": "emploi",
    "description": "Ses allocations chômage ne sont plus versées depuis deux mois.",
    "consent_attested": True,
}


def test_agent_creates_escalates_referent_answers_agent_closes(client):
    agent = login(client, "agent.bretoncelles@example.org")
    created = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE))
    assert created.status_code == 201, created.body
    ref = created.json_body["ref"]
    assert ref.startswith("61-")

    escalated = client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-caf"], "question": "Pourquoi le versement est-il suspendu ?"}))
    assert escalated.status_code == 201, escalated.body
    assert escalated.json_body["status"] == "escalated"

    referent = login(client, "referent.61-caf@example.org")
    queue = client.http.get("/api/escalations", headers=referent)
    assert [e["case_ref"] for e in queue.json_body["items"]] == [ref]
    answered = client.http.post(f"/api/cases/{ref}/messages", headers=referent, body=json.dumps(
        {"body": "Le dossier est débloqué, versement le 5.", "kind": "answer"}))
    assert answered.status_code == 201, answered.body
    assert answered.json_body["status"] == "answered"

    closed = client.http.post(f"/api/cases/{ref}/close", headers=agent,
                              body=json.dumps({"outcome": "solved_with_partner", "useful": True}))
    assert closed.status_code == 200, closed.body
    assert closed.json_body["status"] == "closed"
    assert closed.json_body["escalations"][0]["status"] == "closed"


def test_the_audit_log_holds_who_did_what_and_no_personal_data(client, deps):
    agent = login(client, "agent.bretoncelles@example.org")
    ref = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)).json_body["ref"]
    client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-caf", "61-cpam"], "question": "Jeanne Martin attend une réponse."}))
    client.http.post(f"/api/cases/{ref}/messages", headers=agent,
                     body=json.dumps({"body": "Jeanne Martin a rappelé.", "group_id": "61-caf"}))
    bundle = deps.repo.get_bundle(ref)
    codes = sorted(e.code for e in bundle.events)
    assert codes == ["CASE_CREATED", "CASE_ESCALATED", "CASE_ESCALATED", "MESSAGE_POSTED"]
    dumped = json.dumps([e.model_dump(mode="json") for e in bundle.events])
    for personal in ("Jeanne", "Martin", "+33612345678", "0612345678", "allocations"):
        assert personal not in dumped


def test_each_partner_sees_only_its_identifiers_and_leaves_when_not_concerned(client):
    agent = login(client, "agent.bretoncelles@example.org")
    ref = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)).json_body["ref"]
    client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-caf"], "question": "Droits ?", "identifiers": {"caf_number": "1234567"}}))
    client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-cpam"], "question": "Remboursements ?",
         "identifiers": {"nir": "185057800608491"}}))
    full = client.http.get(f"/api/cases/{ref}", headers=agent).json_body
    assert full["identifiers"] == {"caf_number": "1234567", "nir": "185057800608491",
                                   "tax_number": None, "france_travail_id": None}

    caf = login(client, "referent.61-caf@example.org")
    seen = client.http.get(f"/api/cases/{ref}", headers=caf).json_body
    assert seen["identifiers"]["caf_number"] == "1234567" and seen["identifiers"]["nir"] is None
    cpam = login(client, "referent.61-cpam@example.org")
    assert client.http.get(f"/api/cases/{ref}", headers=cpam).json_body["identifiers"]["caf_number"] is None

    not_mine = client.http.post(f"/api/cases/{ref}/messages", headers=caf, body=json.dumps(
        {"body": "Ce dossier relève de la MSA.", "kind": "wrong_recipient"}))
    assert not_mine.status_code == 201
    gone = client.http.get(f"/api/cases/{ref}", headers=caf)
    assert gone.status_code == 404
