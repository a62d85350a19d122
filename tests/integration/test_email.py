"""Referents by email: escalation emails out, replies in, against DynamoDB Local and moto.

Outbound email leaves through the outbox: the stream of the real DynamoDB Local table is
drained after each request (chalicelib/dev/streams.py), as the event source mapping does in AWS.
Inbound messages are real MIME, built with the standard library or read from the corpus.
"""
from __future__ import annotations

import json
import re
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, outbox

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]

CAF_MEMBERS = {"referent.61-caf@example.org", "referent2.61-caf@example.org",
               "sp-plus.61-caf@example.org"}
AGENT = "agent.bretoncelles@example.org"
REPLY_TO = re.compile(r"^reponse\+([a-z2-7]{26})@in\.relais\.example\.org$")


def escalation_emails(ref: str) -> list[dict]:
    return [m for m in outbox() if m["channel"] == "email" and f"[Relais {ref}]" in (m["subject"] or "")
            and "Demande d'un usager" in m["subject"]]


@pytest.fixture
def agent(client):
    return login(client, AGENT)


@pytest.fixture
def escalated(client, agent):
    """A case escalated to the CAF, with its escalation emails sent."""
    ref = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)).json_body["ref"]
    response = client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-caf"], "question": "Le RSA est bloqué depuis deux mois : pouvez-vous vérifier ?",
         "identifiers": {"caf_number": "1234567"}}))
    assert response.status_code == 201, response.body
    emails = escalation_emails(ref)
    token = REPLY_TO.match(emails[0]["reply_to"]).group(1)
    return {"ref": ref, "token": token, "emails": emails}


def reply(sender: str, to: str, body: str, subject: str = "RE: votre demande", **headers) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return bytes(message)


def post_inbound(client, raw: bytes, **query) -> dict:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    response = client.http.post(f"/_dev/inbound-email{'?' + suffix if suffix else ''}",
                                headers={"Content-Type": "message/rfc822"}, body=raw)
    assert response.status_code == 200, response.body
    return response.json_body


def case_of(client, ref: str) -> dict:
    return client.http.get(f"/api/cases/{ref}", headers=login(client, AGENT)).json_body


# --- outbound -------------------------------------------------------------------------------

def test_each_member_and_the_shared_mailbox_get_one_escalation_email(escalated):
    emails = escalated["emails"]
    assert sorted(r for m in emails for r in m["to"]) == sorted(CAF_MEMBERS)
    for mail in emails:
        assert mail["from"] == "Relais SP+ <ne-pas-repondre@relais.example.org>"
        assert mail["reply_to"] == f"reponse+{escalated['token']}@in.relais.example.org"
        assert mail["subject"].startswith(f"[Relais {escalated['ref']}] Demande d'un usager : à traiter au plus tard le ")
        for part in (mail["text"], mail["html"]):
            assert escalated["ref"] in part
            assert "Le RSA est bloqué depuis deux mois" in part
            assert "1234567" in part
            assert f"http://relais.test/dossiers/{escalated['ref']}" in part
            assert "pas le bon interlocuteur" in part
            assert "Mairie de Bretoncelles" in part
        assert "Auto-Submitted" in mail["headers"]


def test_the_due_date_is_said_in_words(client, agent):
    from datetime import UTC, datetime

    from chalicelib import bootstrap

    bootstrap.deps().clock = lambda: datetime(2026, 11, 20, 9, 0, tzinfo=UTC)   # a Friday
    ref = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)).json_body["ref"]
    client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-cpam"], "question": "Carte Vitale ?"}))
    mail = escalation_emails(ref)[0]
    assert "à traiter au plus tard le jeudi 26 novembre" in mail["subject"]
    assert "À traiter au plus tard le jeudi 26 novembre." in mail["text"]


def test_the_html_part_has_its_css_inlined_for_outlook(escalated):
    html = escalated["emails"][0]["html"]
    assert 'style="' in html and "background: #000091" in html.replace("background:#000091", "background: #000091")
    assert "<style>" not in html


def test_each_escalation_has_its_own_reply_token(client, agent, escalated):
    client.http.post(f"/api/cases/{escalated['ref']}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-cpam"], "question": "Et la CSS ?"}))
    tokens = {REPLY_TO.match(m["reply_to"]).group(1) for m in escalation_emails(escalated["ref"])}
    assert len(tokens) == 2


def test_the_reply_token_never_shows_in_the_api(client, agent, escalated):
    for headers in (agent, login(client, "referent.61-caf@example.org")):
        body = client.http.get(f"/api/cases/{escalated['ref']}", headers=headers).body.decode()
        assert escalated["token"] not in body


def test_ses_message_ids_are_stored_for_threading(deps, escalated):
    found = deps.repo.get_sent_mails([m["id"] for m in escalated["emails"]])
    assert {t.case_ref for t in found.values()} == {escalated["ref"]}
    assert len(found) == 3


def test_a_replayed_stream_batch_sends_no_email_twice(client, deps, escalated):
    """Read the whole stream again from the start and hand it to the handler once more."""
    from chalicelib.dev import streams
    from chalicelib.routes import events

    before = len(outbox())
    handled = streams.replay_all(deps, events.handle_stream_event)
    assert handled > 0
    assert len(outbox()) == before


def test_a_failed_send_is_retried_and_no_recipient_gets_it_twice(client, agent, deps, monkeypatch):
    """SES fails on the second recipient: the stream record is retried, and the first
    recipient, already served, is not sent the email again."""
    calls = {"n": 0}
    original = deps.mailer.send

    def flaky(mail):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("SES throttled for good")
        return original(mail)

    monkeypatch.setattr(type(deps.mailer), "send", lambda self, mail: flaky(mail))
    ref = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)).json_body["ref"]
    client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-caf"], "question": "Le RSA ?"}))
    assert calls["n"] == 4
    assert sorted(r for m in escalation_emails(ref) for r in m["to"]) == sorted(CAF_MEMBERS)


def test_the_agent_is_emailed_when_a_referent_answers_on_the_web(client, escalated):
    referent = login(client, "referent.61-caf@example.org")
    client.http.post(f"/api/cases/{escalated['ref']}/messages", headers=referent,
                     body=json.dumps({"body": "C'est réglé.", "kind": "answer"}))
    notices = [m for m in outbox() if m["to"] == [AGENT] and escalated["ref"] in (m["subject"] or "")]
    assert len(notices) == 1
    assert notices[0]["subject"] == f"[Relais {escalated['ref']}] CAF de l'Orne a répondu"
    # Which partner, and the answer's first lines: the agent knows what to do before opening it.
    assert "Début du message :\nC'est réglé." in notices[0]["text"]
    assert "C'est réglé." in notices[0]["html"]


def test_the_agent_is_told_what_a_partner_asks_for_without_the_usagers_identity(client, escalated):
    referent = login(client, "referent.61-caf@example.org")
    asked = "Bonjour,\nIl manque l'avis d'imposition 2025.\nMerci"
    client.http.post(f"/api/cases/{escalated['ref']}/messages", headers=referent,
                     body=json.dumps({"body": asked, "kind": "needs_info"}))
    [notice] = [m for m in outbox() if m["to"] == [AGENT] and escalated["ref"] in (m["subject"] or "")]
    assert notice["subject"] == f"[Relais {escalated['ref']}] CAF de l'Orne demande des informations complémentaires"
    assert "Ce qui est demandé :\nBonjour,\nIl manque l'avis d'imposition 2025.\nMerci" in notice["text"]
    for identity in (CASE["usager"]["first_name"], CASE["usager"]["last_name"], CASE["description"]):
        assert identity not in notice["text"] and identity not in notice["html"]
    assert "  " not in notice["subject"] and "  " not in notice["text"]


def test_the_agents_message_to_a_partner_is_emailed_to_the_group_and_a_note_is_not(client, agent, escalated):
    ref = escalated["ref"]
    client.http.post(f"/api/cases/{ref}/messages", headers=agent,
                     body=json.dumps({"body": "Note : l'usager rappellera lundi."}))
    client.http.post(f"/api/cases/{ref}/messages", headers=agent,
                     body=json.dumps({"body": "Voici son nouvel IBAN.\nMerci.", "group_id": "61-caf"}))
    emails = [m for m in outbox() if "Message de l'agent" in (m["subject"] or "") and ref in m["subject"]]
    assert {m["to"][0] for m in emails} == CAF_MEMBERS and len(emails) == len(CAF_MEMBERS)
    assert "Voici son nouvel IBAN." in emails[0]["text"] and "rappellera lundi" not in emails[0]["text"]
    assert REPLY_TO.match(emails[0]["reply_to"]).group(1) == escalated["token"]   # a reply threads
    assert not [m for m in outbox() if "rappellera lundi" in (m["text"] or "")]


# --- inbound: accepted ----------------------------------------------------------------------

def test_a_reply_by_email_lands_in_the_case_without_the_quoted_history(client, escalated):
    quoted = "\n".join("> " + line for line in escalated["emails"][0]["text"].splitlines())
    raw = reply("Sophie Martin <referent.61-caf@example.org>",
                f"reponse+{escalated['token']}@in.relais.example.org",
                f"Bonjour,\n\nLe versement est débloqué, il arrive le 5.\n\nCordialement,\nSophie\n\n"
                f"Le jeu. 26 nov. 2026 à 10:12, Relais SP+ <ne-pas-repondre@relais.example.org> a écrit :\n{quoted}\n")
    result = post_inbound(client, raw)
    assert result["outcome"] == "accepted" and result["threading"] == "token"
    case = case_of(client, escalated["ref"])
    assert case["status"] == "answered"
    message = case["messages"][-1]
    assert message["channel"] == "email" and message["kind"] == "answer"
    assert "Le versement est débloqué, il arrive le 5." in message["body"]
    assert "Question de l'agent" not in message["body"] and "a écrit" not in message["body"]
    notices = [m for m in outbox() if m["to"] == [AGENT] and "a répondu" in (m["subject"] or "")]
    assert len(notices) == 1


def test_the_same_email_delivered_twice_is_appended_once(client, escalated):
    raw = reply("referent.61-caf@example.org", f"reponse+{escalated['token']}@in.relais.example.org",
                "Réglé ce matin.")
    assert post_inbound(client, raw)["outcome"] == "accepted"
    assert post_inbound(client, raw)["outcome"] == "duplicate"
    messages = case_of(client, escalated["ref"])["messages"]
    assert [m["body"] for m in messages].count("Réglé ce matin.") == 1


def test_the_ses_handler_replayed_on_the_same_object_appends_once(client, deps, escalated):
    """The SNS event, delivered twice to the Lambda handler itself."""

    raw = reply("referent2.61-caf@example.org", f"reponse+{escalated['token']}@in.relais.example.org",
                "Je m'en occupe.")
    deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key="inbound-test/1", Body=raw)
    notification = {"notificationType": "Received", "receipt": {
        "recipients": [f"reponse+{escalated['token']}@in.relais.example.org"],
        "spfVerdict": {"status": "PASS"}, "dkimVerdict": {"status": "PASS"},
        "dmarcVerdict": {"status": "PASS"}, "spamVerdict": {"status": "PASS"},
        "virusVerdict": {"status": "PASS"},
        "action": {"type": "S3", "bucketName": deps.settings.mail_bucket, "objectKey": "inbound-test/1"}}}
    event = client.events.generate_sns_event(message=json.dumps(notification))
    first = client.lambda_.invoke("receive_email", event)
    second = client.lambda_.invoke("receive_email", event)
    assert first.payload["outcome"] == "accepted" and second.payload["outcome"] == "duplicate"
    messages = case_of(client, escalated["ref"])["messages"]
    assert [m["body"] for m in messages].count("Je m'en occupe.") == 1


def test_threading_by_in_reply_to(client, escalated):
    ses_id = escalated["emails"][0]["id"]
    raw = reply("referent.61-caf@example.org", "reponse@in.relais.example.org", "Vu, je regarde.",
                In_Reply_To=f"<{ses_id}@eu-west-3.amazonses.com>")
    result = post_inbound(client, raw)
    assert (result["outcome"], result["threading"]) == ("accepted", "in_reply_to")


def test_the_subject_tag_alone_never_acts_on_the_case(client, deps, escalated):
    """The reference is no secret (the usager gets it by SMS): a message with only the tag is
    quarantined for the agent, even from a member with every verdict PASS."""
    raw = reply("referent.61-caf@example.org", "reponse@in.relais.example.org", "Traité.",
                subject=f"RE: [Relais {escalated['ref']}] Demande d'un usager")
    result = post_inbound(client, raw)
    assert (result["outcome"], result["reason"], result["threading"]) == (
        "quarantined", "subject_only", "subject")
    case = case_of(client, escalated["ref"])
    assert case["messages"] == [] and case["status"] == "escalated"
    assert len(_agent_notices(escalated["ref"], "n'a pas été ajouté")) == 1
    assert [q.reason for q in deps.repo.list_quarantined(escalated["ref"])] == ["subject_only"]


@pytest.mark.parametrize("text, kind, status", [
    ("Je ne suis pas le bon interlocuteur, voyez la MSA.", "wrong_recipient", "wrong_recipient"),
    ("J'ai besoin d'informations complémentaires : son numéro fiscal.", "needs_info", "needs_info"),
])
def test_status_keywords_in_the_reply(client, escalated, text, kind, status):
    raw = reply("referent.61-caf@example.org", f"reponse+{escalated['token']}@in.relais.example.org", text)
    assert post_inbound(client, raw)["outcome"] == "accepted"
    agent_view = case_of(client, escalated["ref"])
    assert agent_view["messages"][-1]["kind"] == kind
    assert agent_view["escalations"][0]["status"] == status


def test_attachments_are_stored_and_listed_and_bad_ones_refused(client, deps, escalated):
    message = EmailMessage()
    message["From"] = "referent.61-caf@example.org"
    message["To"] = f"reponse+{escalated['token']}@in.relais.example.org"
    message["Subject"] = "RE: attestation"
    message.set_content("Voici l'attestation.")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="attestation.pdf")
    message.add_attachment(b"MZ\x90\x00", maintype="application", subtype="x-msdownload",
                           filename="../../facture.exe")
    message.add_attachment(b"not a pdf", maintype="application", subtype="pdf", filename="faux.pdf")
    assert post_inbound(client, bytes(message))["outcome"] == "accepted"
    last = case_of(client, escalated["ref"])["messages"][-1]
    assert [(a["name"], a["content_type"], a["size"]) for a in last["attachments"]] == [
        ("attestation.pdf", "application/pdf", len(pdf))]
    stored = deps.s3.get_object(Bucket=deps.settings.mail_bucket, Key=last["attachments"][0]["key"])
    assert stored["Body"].read() == pdf
    assert last["attachments"][0]["key"].startswith(f"attachments/{escalated['ref']}/")
    assert "facture.exe" in last["body"] and "faux.pdf" in last["body"]


# --- inbound: refused -----------------------------------------------------------------------

def _agent_notices(ref: str, words: str) -> list[dict]:
    return [m for m in outbox() if m["to"] == [AGENT] and ref in (m["subject"] or "")
            and words in m["subject"]]


@pytest.mark.parametrize("sender, query, reason", [
    ("inconnu@gmail.com", {}, "foreign_sender"),
    ("referent.61-cpam@example.org", {}, "foreign_sender"),
    ("referent.61-caf@example.org", {"spf": "FAIL"}, "verdict"),
    ("referent.61-caf@example.org", {"dkim": "FAIL"}, "verdict"),
    ("referent.61-caf@example.org", {"dmarc": "FAIL"}, "verdict"),
    ("referent.61-caf@example.org", {"spam": "FAIL"}, "verdict"),
    ("referent.61-caf@example.org", {"virus": "FAIL"}, "verdict"),
])
def test_a_reply_that_fails_a_check_is_quarantined_and_the_agent_told(client, deps, escalated,
                                                                      sender, query, reason):
    raw = reply(sender, f"reponse+{escalated['token']}@in.relais.example.org", "Réponse douteuse.")
    result = post_inbound(client, raw, **query)
    assert (result["outcome"], result["reason"]) == ("quarantined", reason)
    case = case_of(client, escalated["ref"])
    assert case["messages"] == [] and case["status"] == "escalated"
    assert len(_agent_notices(escalated["ref"], "n'a pas été ajouté")) == 1
    kept = deps.s3.list_objects_v2(Bucket=deps.settings.mail_bucket, Prefix="quarantine/")
    assert kept["KeyCount"] == 1
    codes = [e.code for e in deps.repo.get_bundle(escalated["ref"]).events]
    assert "EMAIL_QUARANTINED" in codes


def test_an_unknown_token_is_not_threaded(client, escalated):
    raw = reply("referent.61-caf@example.org", "reponse+zzzzzzzzzzzzzzzzzzzzzzzzzz@in.relais.example.org",
                "Réponse perdue.")
    assert post_inbound(client, raw)["outcome"] == "unthreaded"
    assert case_of(client, escalated["ref"])["messages"] == []


@pytest.mark.parametrize("headers, subject", [
    ({"Auto_Submitted": "auto-replied"}, "RE: votre demande"),
    ({"Precedence": "bulk"}, "RE: votre demande"),
    ({"X_Autoreply": "yes"}, "RE: votre demande"),
    ({}, "Réponse automatique : absent jusqu'au 30"),
    ({}, "Out of Office: back on Monday"),
])
def test_auto_replies_never_count_as_answers(client, escalated, headers, subject):
    raw = reply("referent.61-caf@example.org", f"reponse+{escalated['token']}@in.relais.example.org",
                "Je suis absente jusqu'au 30 novembre.", subject=subject, **headers)
    assert post_inbound(client, raw)["outcome"] == "auto_reply"
    case = case_of(client, escalated["ref"])
    assert case["messages"] == [] and case["status"] == "escalated"


def test_our_own_message_looping_back_is_dropped(client, escalated):
    raw = reply("ne-pas-repondre@relais.example.org", f"reponse+{escalated['token']}@in.relais.example.org",
                "Boucle.")
    assert post_inbound(client, raw)["outcome"] == "auto_reply"


def test_a_reply_to_a_closed_case_is_quarantined(client, agent, escalated):
    client.http.post(f"/api/cases/{escalated['ref']}/close", headers=agent,
                     body=json.dumps({"outcome": "solved_at_desk", "useful": True}))
    raw = reply("referent.61-caf@example.org", f"reponse+{escalated['token']}@in.relais.example.org",
                "Réponse tardive.")
    result = post_inbound(client, raw)
    assert (result["outcome"], result["reason"]) == ("quarantined", "case_closed")


def test_dev_inbound_email_refuses_an_empty_body(client):
    response = client.http.post("/_dev/inbound-email", headers={"Content-Type": "message/rfc822"}, body=b"")
    assert response.status_code == 400 and response.json_body["field"] == "body"


# --- bounces and complaints -----------------------------------------------------------------

def _ses_event(client, payload: dict):
    return client.lambda_.invoke("ses_events", client.events.generate_sns_event(message=json.dumps(payload)))


def test_a_permanent_bounce_marks_the_address_and_warns_the_agent_once(client, deps, escalated):
    bounced = next(m for m in escalated["emails"] if m["to"] == ["referent2.61-caf@example.org"])
    event = {"eventType": "Bounce", "mail": {"messageId": bounced["id"]},
             "bounce": {"bounceType": "Permanent",
                        "bouncedRecipients": [{"emailAddress": "referent2.61-caf@example.org"}]}}
    _ses_event(client, event)
    _ses_event(client, event)          # SNS delivers it again
    client.http.get("/api/me")         # any request drains the outbox stream in the dev stage
    assert deps.repo.undeliverable(["referent2.61-caf@example.org"]) == {"referent2.61-caf@example.org"}
    warnings = _agent_notices(escalated["ref"], "n'a pas pu être remis")
    assert len(warnings) == 1
    assert "referent2.61-caf@example.org" in warnings[0]["text"]
    assert "Les autres référents de CAF de l'Orne l'ont bien reçue." in warnings[0]["text"]


def test_an_undeliverable_address_is_skipped_next_time_and_the_agent_told(client, agent, deps):

    deps.repo.mark_undeliverable("referent.61-cpam@example.org", "complaint", deps.now())
    ref = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE)).json_body["ref"]
    client.http.post(f"/api/cases/{ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-cpam"], "question": "Carte Vitale ?"}))
    assert [m["to"] for m in escalation_emails(ref)] == [["sp-plus.61-cpam@example.org"]]
    assert len(_agent_notices(ref, "n'a pas pu être remis")) == 1


def test_a_transient_bounce_changes_nothing(client, deps, escalated):
    result = _ses_event(client, {"eventType": "Bounce", "mail": {"messageId": escalated["emails"][0]["id"]},
                                 "bounce": {"bounceType": "Transient", "bouncedRecipients": [
                                     {"emailAddress": "referent.61-caf@example.org"}]}})
    assert result.payload == {"marked": 0}
    assert deps.repo.undeliverable(["referent.61-caf@example.org"]) == set()


@pytest.mark.parametrize("raw", [
    b"\x00\xff\xfe garbage without headers",
    b"From: <<<@@@>>>\r\nTo: ,,,\r\nSubject: =?utf-8?q?=ZZ?=\r\nContent-Type: multipart/mixed\r\n\r\nno boundary",
])
def test_malformed_mail_gets_a_clean_outcome_and_changes_nothing(client, escalated, raw):
    result = post_inbound(client, raw)
    assert result["outcome"] in {"unthreaded", "unparseable"}
    assert case_of(client, escalated["ref"])["messages"] == []
