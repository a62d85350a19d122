# ruff: noqa: F811 - the fixtures of test_email.py, imported by name
"""Never lose an answer (issue 24): a reply whose extraction declined to cut is appended whole,
quotes folded, « à vérifier »; an empty extraction is never quarantined; a status keyword never
acts through such a message; and the agent reads any emailed message's original, as received
(page and API), while the mail retention keeps it. Against DynamoDB Local and moto, through
POST /_dev/inbound-email (which plays SES receiving).
"""
from __future__ import annotations

import re
from datetime import UTC
from html import unescape

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import login, outbox
from tests.integration.test_email import (  # noqa: F401 - fixtures
    AGENT,
    agent,
    case_of,
    escalated,
    post_inbound,
    reply,
)

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]

MEMBER = "referent.61-caf@example.org"
ANSWER = "Bonjour, le dossier est débloqué, le versement aura lieu le 5."
QUOTED = "> Le RSA est bloqué depuis deux mois : pouvez-vous vérifier ?"
HISTORY = "Le RSA est bloqué depuis deux mois : pouvez-vous vérifier ?"
# The answer, then Relais's email quoted under a header no table knows (and without '>'):
# extraction cuts before Relais's own text and declines to be sure (review).
DECLINED = (
    f"{ANSWER}\n\n"
    "Qapla' 24.11.2026 10:00 Relais SP+ <ne-pas-repondre@relais.example.org> ghItlh:\n"
    f"{HISTORY}\n"
    "Répondez simplement à cet e-mail : votre réponse sera ajoutée au dossier.\n")
# Nothing new at all: only the quoted history under its header line.
ONLY_QUOTED = (
    "On Tue, Nov 24, 2026 at 10:00 AM Relais SP+ <ne-pas-repondre@relais.example.org> wrote:\n"
    f"{QUOTED}\n")


def to(escalated) -> str:
    return f"reponse+{escalated['token']}@in.relais.example.org"


def accepted(client, escalated, body: str, **headers) -> dict:
    result = post_inbound(client, reply(MEMBER, to(escalated), body, **headers))
    assert result["outcome"] == "accepted", result
    (message,) = case_of(client, escalated["ref"])["messages"]
    return message


def page(client, headers: dict, path: str):
    response = client.http.get(path, headers={"Cookie": headers["Cookie"]})
    return response.status_code, unescape(response.body.decode())


# --- the pipeline ---------------------------------------------------------------------------

def test_a_bottom_posted_reply_keeps_its_answer_without_review(client, escalated):
    body = (f"On Tue, Nov 24, 2026 at 10:00 AM Relais SP+ <ne-pas-repondre@relais.example.org> wrote:\n"
            f"{QUOTED}\n\n{ANSWER}\n")
    message = accepted(client, escalated, body)
    assert (message["body"], message["review"]) == (ANSWER, False)


def test_a_declined_reply_is_appended_for_review_not_quarantined(client, deps, escalated):
    from chalicelib.adapters import mailparse

    assert mailparse.parse(reply(MEMBER, "x@example.org", DECLINED)).review, \
        "this test needs a message extraction declines to cut"
    message = accepted(client, escalated, DECLINED)
    assert message["review"] is True and message["has_source"] is True
    assert message["kind"] == "answer" and message["channel"] == "email"
    assert mailparse.FOLD in message["body"]
    assert deps.repo.list_quarantined(escalated["ref"]) == []
    assert case_of(client, escalated["ref"])["status"] == "answered"
    (stored,) = deps.repo.get_bundle(escalated["ref"]).messages
    assert re.fullmatch(rf"inbound/{escalated['ref']}/[0-9a-f]{{32}}\.eml", stored.source_key or "")
    assert stored.review is True


def test_a_message_of_only_quoted_history_is_appended_not_quarantined(client, deps, escalated):
    message = accepted(client, escalated, ONLY_QUOTED)
    assert message["review"] is True and message["kind"] == "answer"
    assert message["body"].strip()
    assert deps.repo.list_quarantined(escalated["ref"]) == []


def test_a_message_with_no_text_at_all_is_appended_for_review(client, deps, escalated):
    message = accepted(client, escalated, "\n\n")
    assert (message["body"], message["review"]) == ("(message sans texte)", True)
    assert deps.repo.list_quarantined(escalated["ref"]) == []


def test_a_clean_top_posted_reply_is_no_review(client, escalated):
    message = accepted(client, escalated, f"{ANSWER}\n\nLe 24/11/2026 à 10:00, Relais SP+ a écrit :\n{QUOTED}\n")
    assert (message["body"], message["review"], message["has_source"]) == (ANSWER, False, True)


@pytest.mark.parametrize("keyword", ["Je ne suis pas le bon interlocuteur pour ce dossier.",
                                     "Nous avons besoin d'informations complémentaires."])
def test_a_status_keyword_never_acts_through_a_message_to_check(client, deps, escalated, monkeypatch, keyword):
    """Extraction declined to cut (review): whatever the kept text says, it is an answer."""
    from chalicelib.adapters import mailparse

    real = mailparse.parse

    def declined(raw, own_addresses=frozenset()):
        parsed = real(raw, own_addresses)
        parsed.review = True
        return parsed

    monkeypatch.setattr(mailparse, "parse", declined)
    message = accepted(client, escalated, keyword)
    assert keyword in message["body"] and message["review"] is True
    assert message["kind"] == "answer"
    case = case_of(client, escalated["ref"])
    assert (case["status"], case["escalations"][0]["status"]) == ("answered", "answered")


def test_the_same_keyword_without_review_still_acts(client, escalated):
    """The control: the keyword test above fails if review stops mattering."""
    message = accepted(client, escalated, "Je ne suis pas le bon interlocuteur pour ce dossier.")
    assert (message["kind"], message["review"]) == ("wrong_recipient", False)


def test_the_agents_email_says_reponse_a_verifier(client, escalated):
    accepted(client, escalated, DECLINED)
    (mail,) = [m for m in outbox() if m["to"] == [AGENT] and "a répondu" in (m["subject"] or "")]
    assert "réponse à vérifier" in mail["subject"]
    assert "Réponse à vérifier" in mail["text"] and "Réponse à vérifier" in mail["html"]


def test_an_old_empty_quarantine_reason_stays_readable():
    from chalicelib.services.quarantine import _label

    assert _label("empty") == "Le message ne contient pas de texte nouveau."


def test_a_released_quarantined_email_keeps_its_raw_as_source(client, deps, agent, escalated):
    from chalicelib.domain.authz import Principal
    from chalicelib.services import quarantine

    raw = reply(MEMBER, "reponse@in.relais.example.org", DECLINED,
                subject=f"RE: [Relais {escalated['ref']}] Demande d'un usager")
    assert post_inbound(client, raw)["reason"] == "subject_only"
    (item,) = deps.repo.list_quarantined(escalated["ref"])
    quarantine.release(deps, Principal.of(deps.repo.get_user_by_email(AGENT)), escalated["ref"], item.id)
    (stored,) = deps.repo.get_bundle(escalated["ref"]).messages
    assert (stored.source_key, stored.review, stored.kind.value) == (item.raw_key, True, "answer")


# --- the case page ----------------------------------------------------------------------------

def test_the_case_page_shows_the_badge_and_the_link_to_the_original(client, agent, escalated):
    message = accepted(client, escalated, DECLINED)
    status, html = page(client, agent, f"/dossiers/{escalated['ref']}")
    assert status == 200
    assert "Réponse à vérifier" in html
    assert "Relais n'a pas su séparer la réponse de l'historique du message" in html
    assert f'href="/dossiers/{escalated["ref"]}/messages/{message["id"]}/origine"' in html
    assert "Voir le message d'origine" in html


def test_a_reply_without_review_has_the_link_but_no_badge(client, agent, escalated):
    accepted(client, escalated, ANSWER)
    status, html = page(client, agent, f"/dossiers/{escalated['ref']}")
    assert "Voir le message d'origine" in html and "Réponse à vérifier" not in html


def test_a_message_written_on_the_page_has_no_link(client, agent, escalated):
    referent = login(client, MEMBER)
    response = client.http.post(f"/api/cases/{escalated['ref']}/messages", headers=referent,
                                body='{"body": "Réponse depuis le site.", "kind": "answer"}')
    assert response.status_code == 201, response.body
    assert response.json_body["messages"][0]["has_source"] is False
    status, html = page(client, agent, f"/dossiers/{escalated['ref']}")
    assert "Réponse depuis le site." in html and "Voir le message d'origine" not in html


# --- the original ----------------------------------------------------------------------------

def test_the_original_page_shows_the_runs_and_folds_the_quotes(client, deps, agent, escalated):
    message = accepted(client, escalated, DECLINED, Date="Tue, 24 Nov 2026 10:05:00 +0100")
    status, html = page(client, agent, f"/dossiers/{escalated['ref']}/messages/{message['id']}/origine")
    assert status == 200
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert MEMBER not in title and "débloqué" not in title
    assert MEMBER in html and "RE: votre demande" in html and "24/11/2026 à 10:05" in html
    assert ANSWER in html
    folded = re.findall(r"<details>\s*<summary>Texte cité \((\d+) lignes?\)</summary>(.*?)</details>", html, re.S)
    assert folded and any(HISTORY in body for _, body in folded)
    assert all(HISTORY not in part for part in re.split(r"<details>.*?</details>", html, flags=re.S))
    assert "<script" not in html.split("</main>")[0].split("<main")[-1]
    assert f'href="/dossiers/{escalated["ref"]}#message-{message["id"]}"' in html
    day = f"AUDIT#{deps.now().astimezone(UTC).date().isoformat()}"
    events = deps.dynamodb.query(TableName=deps.settings.table_name, KeyConditionExpression="PK = :pk",
                                 ExpressionAttributeValues={":pk": {"S": day}})["Items"]
    read = [e for e in events if e["code"]["S"] == "MESSAGE_SOURCE_READ"]
    assert [e["data"]["M"]["message_id"]["S"] for e in read] == [message["id"]]
    assert "débloqué" not in str(read) and MEMBER not in str(read)


def test_the_original_escapes_what_the_sender_wrote(client, agent, escalated):
    message = accepted(client, escalated, "Voici <script>alert(1)</script> la réponse.")
    response = client.http.get(f"/dossiers/{escalated['ref']}/messages/{message['id']}/origine",
                               headers={"Cookie": agent["Cookie"]})
    assert "<script>alert(1)</script>" not in response.body.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.body.decode()


def test_the_original_through_the_api(client, agent, escalated):
    message = accepted(client, escalated, DECLINED, Date="Tue, 24 Nov 2026 10:05:00 +0100")
    response = client.http.get(f"/api/cases/{escalated['ref']}/messages/{message['id']}/source", headers=agent)
    assert response.status_code == 200, response.body
    body = response.json_body
    assert body["from"] == MEMBER and body["subject"] == "RE: votre demande"
    assert body["date"].startswith("2026-11-24T10:05:00") and body["available"] is True
    assert body["attachments"] == []
    kinds = [s["kind"] for s in body["segments"]]
    assert "quote" in kinds and set(kinds) <= {"text", "quote", "header", "forward", "signature"}
    assert any(HISTORY in s["text"] for s in body["segments"] if s["kind"] == "quote")
    assert ANSWER in "\n".join(s["text"] for s in body["segments"])


def test_a_purged_original_says_so_in_french(client, deps, agent, escalated):
    message = accepted(client, escalated, DECLINED)
    (stored,) = deps.repo.get_bundle(escalated["ref"]).messages
    deps.documents.delete(stored.source_key)
    status, html = page(client, agent, f"/dossiers/{escalated['ref']}/messages/{message['id']}/origine")
    assert status == 200 and "Le message d'origine n'est plus conservé." in html
    assert "débloqué" not in html
    api = client.http.get(f"/api/cases/{escalated['ref']}/messages/{message['id']}/source", headers=agent)
    assert api.status_code == 200 and api.json_body["available"] is False and api.json_body["segments"] == []


def test_a_message_that_never_came_by_email_has_no_original(client, agent, escalated):
    referent = login(client, MEMBER)
    client.http.post(f"/api/cases/{escalated['ref']}/messages", headers=referent,
                     body='{"body": "Réponse depuis le site.", "kind": "answer"}')
    (message,) = case_of(client, escalated["ref"])["messages"]
    status, html = page(client, agent, f"/dossiers/{escalated['ref']}/messages/{message['id']}/origine")
    assert status == 200 and "Le message d'origine n'est plus conservé." in html


@pytest.mark.parametrize("who", ["agent.berdhuis@example.org", MEMBER])
def test_only_the_cases_agents_read_the_original(client, escalated, who):
    """Another point's agent, the referent who wrote it: the case's own 404, nothing of it."""
    message = accepted(client, escalated, DECLINED)
    headers = login(client, who)
    status, html = page(client, headers, f"/dossiers/{escalated['ref']}/messages/{message['id']}/origine")
    assert status == 404 and "débloqué" not in html and MEMBER not in html
    api = client.http.get(f"/api/cases/{escalated['ref']}/messages/{message['id']}/source", headers=headers)
    assert api.status_code in (403, 404) and "débloqué" not in api.body.decode()


def test_an_unknown_message_is_the_cases_404(client, agent, escalated):
    status, _ = page(client, agent, f"/dossiers/{escalated['ref']}/messages/m00000000000/origine")
    assert status == 404


def test_a_signed_out_visitor_gets_the_cases_sign_in_page(client, escalated):
    message = accepted(client, escalated, DECLINED)
    response = client.http.get(f"/dossiers/{escalated['ref']}/messages/{message['id']}/origine")
    assert response.status_code == 401 and "débloqué" not in response.body.decode()
