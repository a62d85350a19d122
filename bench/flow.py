"""A typical case's life through the app, as the benchmarks replay it: an agent creates the
case (the usager gets an SMS), escalates it to the CAF (three addresses get the email), the
referent answers by email (the agent is told, the usager gets an SMS), the agent closes it
(the usager gets the satisfaction SMS). Each request runs through Chalice as API Gateway hands
it over; after each, the dev stage plays the table's stream and the SMS queue, as the event
source mappings do in AWS.
"""
from __future__ import annotations

import json
import re
from contextlib import nullcontext
from email.message import EmailMessage
from email.utils import make_msgid

AGENT = "agent.bretoncelles@example.org"
REFERENT = "referent.61-caf@example.org"
# The tests' request (tests/conftest.py CASE), written again: importing the tests would load
# pytest into the memory the benchmark measures.
CASE = {
    "point_id": "61-mairie-bretoncelles",
    "usager": {"first_name": "Jeanne", "last_name": "Martin", "phone": "06 12 34 56 78",
               "sms_opt_in": True},
    "situation": "precarite",
    "description": "Son RSA n'est plus versé depuis deux mois, après la mise à jour de sa situation.",
    "consent_attested": True,
}
QUESTION = {"group_ids": ["61-caf"], "question": "Le RSA est suspendu depuis septembre : pouvez-vous vérifier ?",
            "identifiers": {"caf_number": "1234567"}}


def post(client, headers: dict, path: str, body: dict) -> dict:
    response = client.http.post(path, headers=headers, body=json.dumps(body))
    assert response.status_code in (200, 201), (path, response.status_code, response.body)
    return response.json_body


def referent_reply(deps, ref: str) -> bytes:
    token = next(iter(deps.repo.get_bundle(ref).escalations.values())).reply_token
    message = EmailMessage()
    message["From"] = f"Sophie Martin <{REFERENT}>"
    message["To"] = f"reponse+{token}@{deps.settings.inbound_domain}"
    message["Subject"] = f"RE: [Relais {ref}] Demande d'un usager"
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content("Bonjour,\n\nLe droit est rétabli, le rappel sera versé sous 8 jours.\n\n"
                        "Cordialement,\nSophie Martin\n\n> Le RSA est suspendu depuis septembre")
    return bytes(message)


# A case told at length: a 1.9 KB description, a 0.9 KB question (both may reach 5,000 characters).
LONG_CASE = {**CASE, "description": " ".join([CASE["description"]] * 20)}
LONG_QUESTION = {**QUESTION, "question": " ".join([QUESTION["question"]] * 15)}


def lifecycle(client, agent: dict, meter=None, long_texts: bool = False) -> str:
    """One case from creation to closing; returns its reference."""
    case, question = (LONG_CASE, LONG_QUESTION) if long_texts else (CASE, QUESTION)
    step = meter.step if meter else (lambda name: nullcontext())
    from chalicelib import bootstrap

    deps = bootstrap.deps()
    with step("create (and the usager's SMS)"):
        ref = post(client, agent, "/api/cases", case)["ref"]
    with step("escalate (3 emails)"):
        post(client, agent, f"/api/cases/{ref}/escalations", question)
    with step("referent answers by email (agent told, SMS)"):
        answered = client.http.post("/_dev/inbound-email", headers={"Content-Type": "message/rfc822"},
                                    body=referent_reply(deps, ref))
        assert answered.json_body["outcome"] == "accepted", answered.body
    with step("close (satisfaction SMS)"):
        post(client, agent, f"/api/cases/{ref}/close", {"outcome": "solved_with_partner", "useful": True})
    assert re.fullmatch(r"61-[0-9A-Z]{3}-[0-9A-Z]{3}", ref)
    return ref
