"""The demo flow through the API with Chalice's test client, against DynamoDB Local."""
import json

from tests.conftest import login

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
