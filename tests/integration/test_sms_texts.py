"""What the SMS say (issue 19): a point without a phone, and the case's current truth when the
SMS held overnight leave at 08:00. Through the API, the outbox stream, the SQS queue and the
worker (dev stage); the night passes with time-machine, which moves SQS's visibility too."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
import time_machine

from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, outbox

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]

AGENT = "agent.bretoncelles@example.org"
REFERENT = "referent.61-caf@example.org"
TUESDAY_21H = "2026-11-24T21:00:00+01:00"
NEXT_MORNING = "2026-11-25T09:00:30+01:00"      # 08:00, and the hour over which held SMS are released


def texts() -> list[str]:
    return [m["text"] for m in outbox() if m["channel"] == "sms"]


def at(moment: str):
    return time_machine.travel(datetime.fromisoformat(moment))


@pytest.fixture
def people(client, monkeypatch):
    from chalicelib import bootstrap

    monkeypatch.setenv("RELAIS_SESSION_HOURS", str(24 * 60))     # the sessions last the night
    bootstrap.reset()
    return login(client, AGENT), login(client, REFERENT)


def bootstrap_deps():
    from chalicelib import bootstrap

    return bootstrap.deps()


def post(client, headers, path: str, body: dict) -> dict:
    response = client.http.post(path, headers=headers, body=json.dumps(body))
    assert response.status_code in (200, 201), response.body
    return response.json_body


def open_and_escalate(client, agent) -> str:
    ref = post(client, agent, "/api/cases", CASE)["ref"]
    post(client, agent, f"/api/cases/{ref}/escalations",
         {"group_ids": ["61-caf"], "question": "Pouvez-vous vérifier le RSA ?"})
    return ref


def test_a_point_without_a_phone_imports_with_a_warning_and_its_sms_say_whom_to_contact(client, people):
    import re

    from tests.integration.test_pages import Browser, multipart
    from tests.integration.test_pages import text as page_text

    agent, referent = people
    admin = Browser(client, "admin@example.org")
    body, content_type = multipart({"csrf": admin.csrf(), "kind": "contact_points"}, "points.csv", (
        b"id;territory_code;name;kind;phone;address\n"
        b"61-mairie-bretoncelles;61;Mairie de Bretoncelles;mairie;;Bretoncelles\n"))
    preview = page_text(client.http.post("/annuaire/apercu", body=body, headers={
        **admin._cookie_header(), "Content-Type": content_type}))
    assert "1 avertissement : l'import reste possible" in preview
    assert "Ligne 2, phone : Ce point n'a pas de téléphone" in preview
    import_id = re.search(r'name="import" value="([0-9a-f]{32})"', preview).group(1)   # a warning, not a refusal
    assert admin.post("/annuaire/appliquer", {"import": import_id}).headers["Location"].startswith("/annuaire?fait=importe&")
    assert bootstrap_deps().repo.get_point("61-mairie-bretoncelles").phone is None

    ref = open_and_escalate(client, agent)
    post(client, referent, f"/api/cases/{ref}/messages", {"body": "Il manque l'avis.", "kind": "needs_info"})
    created, needs_info = texts()
    assert created == (f"Relais SP+: demande enregistrée, dossier {ref}. Contact: Mairie de "
                       "Bretoncelles. STOP pour arreter les SMS")
    assert needs_info == (f"Relais SP+: il manque une information pour votre dossier {ref}. Votre "
                          "conseiller de Mairie de Bretoncelles vous recontacte.")


@pytest.mark.instant(TUESDAY_21H)
@pytest.mark.parametrize("overnight, says", [
    # information asked at 22:00 and supplied at 23:00: the case simply goes on
    pytest.param("asked_then_supplied", "Relais SP+: demande enregistrée, dossier {ref}.", id="supplied"),
    # information asked at 22:00, still missing: that is where the case stands
    pytest.param("asked", "Relais SP+: il manque une information pour votre dossier {ref}. Appelez",
                 id="asked"),
    # closed at 22:00: the closing, on its own, as the usager never received the reference
    pytest.param("closed", "Mairie de Bretoncelles: votre demande du 24/11 (CAF) est traitée, dossier "
                 "{ref} clos.", id="closed"),
])
def test_at_eight_one_sms_tells_where_a_case_of_the_night_stands(client, people, overnight, says):
    agent, referent = people
    ref = open_and_escalate(client, agent)
    if overnight.startswith("asked"):
        with at("2026-11-24T22:00:00+01:00"):
            post(client, referent, f"/api/cases/{ref}/messages",
                 {"body": "Il manque l'avis d'imposition.", "kind": "needs_info"})
    if overnight == "asked_then_supplied":
        with at("2026-11-24T23:00:00+01:00"):
            post(client, agent, f"/api/cases/{ref}/messages",
                 {"body": "Voici l'avis d'imposition.", "group_id": "61-caf"})
    if overnight == "closed":
        with at("2026-11-24T22:00:00+01:00"):
            post(client, agent, f"/api/cases/{ref}/close", {"outcome": "solved_at_desk", "useful": True})
    assert texts() == []                                     # the night: everything waits
    with at(NEXT_MORNING):
        client.http.get("/api/me", headers=agent)           # the dev stage reads the queue
        client.http.get("/api/me", headers=agent)
    [sent] = texts()
    assert sent.startswith(says.format(ref=ref)), sent


def test_by_day_each_sms_leaves_after_its_change_and_the_closing_names_the_case(client, people):
    agent, referent = people
    ref = open_and_escalate(client, agent)
    with at("2026-11-24T11:00:00+01:00"):
        post(client, referent, f"/api/cases/{ref}/messages", {"body": "Réglé.", "kind": "answer"})
    with at("2026-11-24T11:30:00+01:00"):
        post(client, agent, f"/api/cases/{ref}/close", {"outcome": "solved_with_partner", "useful": True})
    created, answered, closed = texts()
    assert created.startswith(f"Relais SP+: demande enregistrée, dossier {ref}.")
    assert answered.startswith(f"Relais SP+: le partenaire a répondu (dossier {ref}).")
    assert closed == (f"Relais SP+: dossier {ref} clos. Demande du 24/11 (CAF) à Mairie de Bretoncelles. "
                      "Satisfait ? Répondez de 1 (pas du tout) à 5 (tout à fait)")
