"""The case page behind the emails' link: a referent reads the case and answers with one of
the three choices of an email reply. Server-rendered HTML through Chalice's test client."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

AGENT = "agent.bretoncelles@example.org"
REFERENT = "referent.61-caf@example.org"


@pytest.fixture
def escalated(client):
    agent = login(client, AGENT)
    ref = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)).json_body["ref"]
    client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-caf"], "question": "Le RSA est bloqué <script>alert(1)</script>\nMerci",
         "identifiers": {"caf_number": "1234567"}}))
    return ref


def page_with_csrf(client, ref: str, headers: dict) -> tuple[str, str, str]:
    response = client.http.get(f"/dossiers/{ref}", headers={"Cookie": headers["Cookie"]})
    html = response.body.decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
    cookie = response.headers.get("Set-Cookie", "")
    return html, csrf.group(1) if csrf else "", cookie.split(";")[0]


def post_answer(client, ref: str, headers: dict, fields: dict, csrf_cookie: str):
    from urllib.parse import urlencode

    return client.http.post(f"/dossiers/{ref}/reponse", body=urlencode(fields), headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"{headers['Cookie']}; {csrf_cookie}"})


def test_the_referent_sees_the_case_with_the_question_escaped(client, escalated):
    referent = login(client, REFERENT)
    html, csrf, _ = page_with_csrf(client, escalated, referent)
    assert f"<title>Dossier {escalated} – Relais, Services Publics+</title>" in html
    assert "Jeanne Martin" in html and "1234567" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "Le RSA est bloqué &lt;script&gt;alert(1)&lt;/script&gt;<br>\nMerci" in html
    assert "Réponse attendue au plus tard le" in html and csrf


@pytest.mark.parametrize("kind, status, notice", [
    ("answer", "answered", "Votre réponse a été ajoutée au dossier."),
    ("needs_info", "needs_info", "Votre demande d'informations a été transmise"),
    ("wrong_recipient", "wrong_recipient", None),
])
def test_the_referent_answers_through_the_link(client, escalated, kind, status, notice):
    referent = login(client, REFERENT)
    _, csrf, csrf_cookie = page_with_csrf(client, escalated, referent)
    response = post_answer(client, escalated, referent, {"csrf": csrf, "kind": kind, "body": "Voici."},
                           csrf_cookie)
    assert response.status_code == 303
    # Handed back, the case is no longer theirs: back to the queue, with the confirmation.
    assert response.headers["Location"] == (f"/dossiers/{escalated}?fait={kind}#echanges" if notice
                                            else "/file?fait=rendu")
    agent_view = client.http.get(f"/api/cases/{escalated}", headers=login(client, AGENT)).json_body
    assert agent_view["escalations"][0]["status"] == status
    assert agent_view["messages"][-1]["kind"] == kind and agent_view["messages"][-1]["channel"] == "web"
    after = client.http.get(response.headers["Location"], headers={"Cookie": referent["Cookie"]})
    if notice:
        assert notice in unescape(after.body.decode())
    else:      # no longer concerned: the queue confirms, and the case is no longer theirs to see
        assert after.status_code == 200
        assert "l'agent va saisir un autre organisme" in unescape(after.body.decode())
        gone = client.http.get(f"/dossiers/{escalated}", headers={"Cookie": referent["Cookie"]})
        assert gone.status_code == 404


def test_an_empty_answer_is_refused_in_french_and_nothing_is_written(client, escalated):
    referent = login(client, REFERENT)
    _, csrf, csrf_cookie = page_with_csrf(client, escalated, referent)
    response = post_answer(client, escalated, referent, {"csrf": csrf, "kind": "answer", "body": "  "},
                           csrf_cookie)
    assert response.status_code == 400
    assert "Écrivez votre message" in unescape(response.body.decode())
    assert client.http.get(f"/api/cases/{escalated}", headers=login(client, AGENT)).json_body["messages"] == []


def test_a_forged_form_without_the_csrf_cookie_is_refused(client, escalated):
    referent = login(client, REFERENT)
    _, csrf, _ = page_with_csrf(client, escalated, referent)
    response = post_answer(client, escalated, referent, {"csrf": csrf, "kind": "answer", "body": "Oui"},
                           "relais_csrf=other")
    assert response.status_code == 400 and "La page a expiré" in unescape(response.body.decode())
    assert client.http.get(f"/api/cases/{escalated}", headers=login(client, AGENT)).json_body["messages"] == []


def test_signed_out_visitors_and_other_partners_see_nothing(client, escalated):
    signed_out = client.http.get(f"/dossiers/{escalated}")
    assert signed_out.status_code == 401 and "Jeanne" not in signed_out.body.decode()
    cpam = login(client, "referent.61-cpam@example.org")
    other = client.http.get(f"/dossiers/{escalated}", headers={"Cookie": cpam["Cookie"]})
    assert other.status_code == 404 and "Jeanne" not in other.body.decode()


def test_the_agent_sees_the_case_without_the_referent_form(client, escalated):
    agent = login(client, AGENT)
    html = client.http.get(f"/dossiers/{escalated}", headers={"Cookie": agent["Cookie"]}).body.decode()
    assert "Jeanne Martin" in html and "/reponse" not in html


def test_the_referent_reads_a_closed_case_with_its_outcome(client, escalated):
    """Found by the memory benchmark: a referent opening a closed case got a 500."""
    agent = login(client, AGENT)
    closed = client.http.post(f"/api/cases/{escalated}/close", headers=agent,
                              body=json.dumps({"outcome": "solved_with_partner", "useful": True}))
    assert closed.status_code == 200, closed.body
    html, csrf, _ = page_with_csrf(client, escalated, login(client, REFERENT))
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    assert "Réglée avec un partenaire" in text and "accompagnement utile" in text
    assert "Votre message" not in text                  # nothing left to answer
