"""Hostile input, refused cleanly: tampered, expired and replayed magic links and reply tokens;
malformed and oversized MIME; malformed SMS; forms no page of ours sends.

Each refusal is checked for what the person at the other end is told (a French page, a JSON
error naming the field, or an email saying why and what to do) and for what was not written.
The rest of the hostile-input promises are tested where their feature lives (see
docs/reliability.md): bodies over 256 KB (test_bad_input), attachment names with path
traversal (test_email, test_attachments), the mail corpus (test_email_corpus), the OpenAPI
fuzzing (test_api_fuzz) and XSS in the browser (tests/browser/test_xss).
"""
from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.services import auth
from tests.clock import TUESDAY_MORNING
from tests.conftest import LINK, login, outbox
from tests.integration import test_email
from tests.integration.test_email import AGENT, post_inbound, reply

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

agent, escalated = test_email.agent, test_email.escalated     # the email tests' fixtures

# Only the tests whose case needs its emails (the escalation's reply address, the notices) get
# the table's stream (`outbox`): a streamed table slows DynamoDB Local for the rest of the run.
streamed = pytest.mark.outbox

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REFERENT = "referent.61-caf@example.org"
DOMAIN = "in.relais.example.org"


def emails_to(address: str) -> list[dict]:
    return [m for m in outbox() if m["channel"] == "email" and m["to"] == [address]]


def tampered(token: str) -> str:
    """The same token with one letter changed: the shape is right, the token is not."""
    return token[:-1] + ("a" if token[-1] != "a" else "b")


def case_view(client, ref: str) -> dict:
    return client.http.get(f"/api/cases/{ref}", headers=login(client, AGENT)).json_body


# --- magic links ------------------------------------------------------------------------------

def ask_link(client, email: str = AGENT) -> str:
    assert client.http.post("/api/auth/magic-link", headers=JSON,
                            body=json.dumps({"email": email})).status_code == 202
    return LINK.search(outbox()[-1]["text"]).group(1)


def landing_post(client, token: str):
    """The landing page's button, with its CSRF cookie and field, for that token."""
    page = client.http.get(f"/connexion/{token}")
    csrf = re.search(rb'name="csrf" value="([^"]+)"', page.body).group(1).decode()
    return client.http.post("/connexion/session", headers={**FORM, "Cookie": page.headers["Set-Cookie"].split(";")[0]},
                            body=f"token={token}&csrf={csrf}")


@streamed      # the request only queues the link: the table's stream sends it
@pytest.mark.parametrize("how", ["tampered", "expired", "replayed"])
def test_a_bad_magic_link_is_refused_with_a_clear_message_and_opens_no_session(client, how):
    token = ask_link(client)
    if how == "tampered":
        token = tampered(token)
    elif how == "expired":
        later = bootstrap.deps().now() + timedelta(minutes=31)
        bootstrap.deps().clock = lambda: later
    else:
        assert landing_post(client, token).status_code == 303           # used once

    page = landing_post(client, token)
    assert page.status_code == 400 and "Set-Cookie: relais_session" not in str(page.headers)
    text = html.unescape(page.body.decode())
    assert auth.LINK_EXPIRED in text and '<a class="fr-btn" href="/connexion">Demander un nouveau lien</a>' in text
    assert token not in re.search(r"<title>(.*?)</title>", text, re.S).group(1)

    api = client.http.post("/api/auth/session", headers=JSON, body=json.dumps({"token": token}))
    assert api.status_code == 400 and api.json_body["field"] == "token"
    assert "relais_session" not in api.headers.get("Set-Cookie", "")
    assert api.json_body["message"] == auth.LINK_EXPIRED


# --- reply tokens -----------------------------------------------------------------------------

@streamed
def test_a_tampered_reply_address_is_refused_and_the_referent_told_once(client, escalated):
    raw = reply(REFERENT, f"reponse+{tampered(escalated['token'])}@{DOMAIN}", "Le droit est rétabli.")
    outcome = post_inbound(client, raw)
    assert (outcome["outcome"], outcome["reason"], outcome["sender_told"]) == ("unthreaded", "unknown_token", True)
    assert case_view(client, escalated["ref"])["messages"] == []
    [notice] = [m for m in emails_to(REFERENT) if "n'a pas été transmis" in m["subject"]]
    assert notice["subject"] == "Relais : votre e-mail n'a pas été transmis"
    assert "ne correspond à aucune demande en cours" in notice["text"]
    assert "répondez directement à l'e-mail de demande reçu" in notice["text"]
    assert "Votre message n'a été transmis à personne." in notice["html"]
    assert notice["headers"]["Auto-Submitted"] == "auto-generated"     # no reply loop

    # The same email again (a retry): nothing more. Another one the same day: no second notice.
    assert post_inbound(client, raw)["outcome"] == "duplicate"
    again = post_inbound(client, reply(REFERENT, f"reponse+{tampered(escalated['token'])}@{DOMAIN}", "Relance."))
    assert (again["outcome"], again["sender_told"]) == ("unthreaded", False)
    assert len([m for m in emails_to(REFERENT) if "n'a pas été transmis" in m["subject"]]) == 1


@streamed
@pytest.mark.parametrize("sender, query", [
    ("inconnu@example.net", {}),                          # not in the directory: maybe spam
    (REFERENT, {"spf": "FAIL"}),                          # a forged referent's address
    (REFERENT, {"spf": "GRAY", "dkim": "GRAY", "dmarc": "GRAY"}),  # not authenticated either way
])
def test_a_tampered_reply_address_tells_nobody_outside_the_directory(client, escalated, sender, query):
    before = len(outbox())
    outcome = post_inbound(client, reply(sender, f"reponse+{tampered(escalated['token'])}@{DOMAIN}",
                                         "Cliquez ici."), **query)
    assert outcome["outcome"] == "unthreaded" and "sender_told" not in outcome
    assert len(outbox()) == before                        # no backscatter


@streamed
def test_a_reply_to_a_closed_case_is_refused_and_the_referent_and_the_agent_told(client, escalated):
    agent_headers = login(client, AGENT)
    closed = client.http.post(f"/api/cases/{escalated['ref']}/close", headers=agent_headers,
                              body=json.dumps({"outcome": "solved_at_desk", "useful": True}))
    assert closed.status_code == 200, closed.body
    raw = reply(REFERENT, f"reponse+{escalated['token']}@{DOMAIN}", "Réponse tardive : droit rétabli.")
    outcome = post_inbound(client, raw)
    assert (outcome["outcome"], outcome["reason"], outcome["sender_told"]) == ("quarantined", "case_closed", True)
    case = case_view(client, escalated["ref"])
    assert case["messages"] == [] and case["status"] == "closed"
    [notice] = [m for m in emails_to(REFERENT) if "n'a pas été ajoutée" in m["subject"]]
    assert notice["subject"] == f"Dossier {escalated['ref']} : votre réponse n'a pas été ajoutée"
    assert "le dossier est clos" in notice["text"] and "L'agent qui suit le dossier est informé" in notice["text"]
    assert f"http://relais.test/dossiers/{escalated['ref']}" in notice["text"]
    assert not re.search(r"\[\s*Relais", notice["subject"])     # a reply to the notice is not threaded
    agent_notices = [m for m in emails_to(AGENT) if "n'a pas été ajouté au dossier" in m["subject"]]
    assert len(agent_notices) == 1 and "le dossier est clos" in agent_notices[0]["text"]

    sent = len(outbox())
    assert post_inbound(client, raw)["outcome"] == "duplicate"     # replayed: nothing more
    assert len(outbox()) == sent


@streamed
def test_a_replayed_reply_is_appended_once_and_notified_once(client, escalated):
    raw = reply(REFERENT, f"reponse+{escalated['token']}@{DOMAIN}", "Droit rétabli ce jour.")
    assert post_inbound(client, raw)["outcome"] == "accepted"
    sent = len(outbox())
    for _ in range(3):
        assert post_inbound(client, raw)["outcome"] == "duplicate"
    assert len(outbox()) == sent
    assert [m["body"] for m in case_view(client, escalated["ref"])["messages"]] == ["Droit rétabli ce jour."]


# --- malformed and oversized MIME -------------------------------------------------------------

def _with_token(token: str, head: str, body: str) -> bytes:
    return (f"From: {REFERENT}\r\nTo: reponse+{token}@{DOMAIN}\r\nSubject: RE\r\n"
            f"Message-ID: <hostile-{abs(hash(head + body))}@example.org>\r\n{head}\r\n{body}").encode()


MALFORMED = {
    "empty": lambda token: b"",
    "binary": lambda token: bytes(range(256)) * 200,
    "no_headers": lambda token: b"\r\n\r\nJust a body.",
    "header_only": lambda token: _with_token(token, "", "")[:-2],
    "unclosed_multipart": lambda token: _with_token(
        token, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n",
        "--zz\r\nContent-Type: text/plain\r\n\r\nDroit rétabli.\r\n--zz\r\nContent-Type: application/pdf\r\n"
        "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nJVBERi0x"),
    "unknown_charset": lambda token: _with_token(
        token, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-klingon\r\n", "Droit r\xe9tabli."),
    "broken_base64": lambda token: _with_token(
        token, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n", "RHJvaXQ=gcm===?!**\r\n"),
    "broken_quoted_printable": lambda token: _with_token(
        token, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n", "Droit r=C3=A9tabli =ZZ =\r\n"),
    "encoded_word_garbage": lambda token: _with_token(
        token, "Subject: =?utf-8?B?////?= =?x-unknown?Q?=FF?=\r\n", "Droit rétabli."),
    "deep_nesting": lambda token: _with_token(
        token, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n",
        "".join(f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n" for i in range(200))
        + "--b200\r\nContent-Type: text/plain\r\n\r\nAu fond.\r\n"),
    "huge_header": lambda token: _with_token(token, "X-Junk: " + "a" * 1_000_000 + "\r\n", "Droit rétabli."),
    "nul_bytes": lambda token: _with_token(token, "", "Droit\x00 rétabli\x00."),
}


@streamed
@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_mime_never_breaks_the_handler_nor_the_case(client, escalated, name):
    from chalicelib.services import inbound

    raw = MALFORMED[name](escalated["token"])
    response = client.http.post("/_dev/inbound-email", headers={"Content-Type": "message/rfc822"}, body=raw)
    assert response.status_code in (200, 400), (response.status_code, response.body)
    if response.status_code == 400:                       # the dev route refuses an empty body
        assert response.json_body["error"] == "invalid_input" and not raw
        return
    outcome = response.json_body["outcome"]
    assert outcome in ("accepted", "unparseable", "unthreaded", "quarantined"), response.json_body
    messages = case_view(client, escalated["ref"])["messages"]
    if outcome == "accepted":
        [message] = messages
        assert 0 < len(message["body"]) <= inbound.MAX_BODY and "\x00" not in message["body"]
    else:
        assert messages == []


@streamed
def test_an_oversized_reply_is_kept_whole_and_shown_truncated(client, deps, escalated):
    from chalicelib.services import inbound

    body = "Droit rétabli. " + "Détail du calcul. " * 700_000          # about 12 MB of text
    raw = reply(REFERENT, f"reponse+{escalated['token']}@{DOMAIN}", body)
    outcome = post_inbound(client, raw)
    assert outcome["outcome"] == "accepted"
    [message] = case_view(client, escalated["ref"])["messages"]
    assert len(message["body"]) == inbound.MAX_BODY and message["body"].endswith(inbound.TRUNCATED)
    kept = deps.s3.list_objects_v2(Bucket=deps.settings.mail_bucket, Prefix=f"inbound/{escalated['ref']}/")
    assert kept["KeyCount"] == 1 and kept["Contents"][0]["Size"] == len(raw)


# --- malformed SMS ----------------------------------------------------------------------------

@pytest.mark.parametrize("message", [
    "pas du JSON", "[]", "null", '"texte"', '{"messageBody": "Bonjour"}',
    '{"originationNumber": 33612345678, "messageBody": "Bonjour"}',
    '{"originationNumber": "+33612345678", "messageBody": ["Bonjour"]}',
])
def test_an_unreadable_sms_notification_is_dropped_not_retried(deps, message):
    from chalicelib.services import sms

    assert sms.receive_notification(deps, message, "sns-1") == {"outcome": "malformed"}


@pytest.mark.parametrize("sender", ["", "abc", "+", "0000", "+33 6 12", "06" * 40])
def test_an_sms_from_an_unreadable_number_is_ignored(deps, sender):
    from chalicelib.services import sms

    notification = json.dumps({"originationNumber": sender, "messageBody": "Bonjour"})
    assert sms.receive_notification(deps, notification, "sns-2")["outcome"] == "unknown_number"


@streamed
def test_an_sms_is_stored_as_it_can_be_shown(client, escalated):
    """Control characters and direction overrides are dropped, an emoji stays, 1,600 characters at most."""
    from chalicelib.services import sms

    text = "Merci\x00 \u202eenu\u202c ok \U0001F44D\u200d\n" + "a" * 3000 + "\x07"
    notification = json.dumps({"originationNumber": "+33612345678", "messageBody": text,
                               "inboundMessageId": "in-1"})
    deps = bootstrap.deps()
    assert sms.receive_notification(deps, notification, "sns-3") == {
        "outcome": "message", "case_ref": escalated["ref"]}
    [message] = case_view(client, escalated["ref"])["messages"]
    assert message["body"].startswith("Merci enu ok \U0001F44D\u200d\n") and len(message["body"]) == 1600
    assert not any(ch in message["body"] for ch in "\x00\x07\u202e\u202c")
    assert sms.receive_notification(deps, notification, "sns-3")["outcome"] == "duplicate"


def test_the_dev_sms_route_refuses_an_sms_over_1600_characters(client):
    response = client.http.post("/_dev/inbound-sms", headers=JSON,
                                body=json.dumps({"from": "+33612345678", "body": "a" * 1601}))
    assert response.status_code == 400 and response.json_body["field"] == "body"


# --- forms no page of ours sends --------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "csrf={csrf}&" + "&".join(f"f{i}=x" for i in range(600)),     # over 500 fields
    "csrf={csrf}&description=" + "x" * (600 * 1024),              # over 512 KB
    "%ff%fe=%00&csrf=%E2%82",                                     # broken UTF-8 and percent-encoding
    "csrf=%C3%A9t%C3%A9",                                         # a token that is not ASCII
])
def test_a_form_no_page_sends_is_refused_in_french_and_writes_nothing(client, deps, body):
    """With the page's real CSRF cookie, so that the token comparison itself is reached."""
    from tests.conftest import count

    headers = login(client, AGENT)
    form = client.http.get("/nouveau-dossier", headers={"Cookie": headers["Cookie"]})
    csrf_cookie = form.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.body.decode()).group(1)
    before = count(deps, "POINT#61-mairie-bretoncelles", index="GSI1")
    page = client.http.post("/nouveau-dossier", headers={**FORM, "Cookie": f"{headers['Cookie']}; {csrf_cookie}"},
                            body=body.replace("{csrf}", csrf))
    assert page.status_code == 400
    assert "La page a expiré" in page.body.decode()
    assert count(deps, "POINT#61-mairie-bretoncelles", index="GSI1") == before


# --- attachment names -------------------------------------------------------------------------

@streamed
@pytest.mark.parametrize("filename", ["../../../../etc/attestation.pdf", "..\\..\\Windows\\attestation.pdf",
                                      "/var/task/app.py/../attestation.pdf", "attes\x00tation.pdf"])
def test_a_path_in_an_attachment_name_goes_nowhere(client, deps, escalated, filename):
    from email.message import EmailMessage

    pdf = b"%PDF-1.4\n%%EOF\n"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = REFERENT, f"reponse+{escalated['token']}@{DOMAIN}", "RE"
    message.set_content("Voici l'attestation.")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    assert post_inbound(client, bytes(message))["outcome"] == "accepted"
    [attachment] = case_view(client, escalated["ref"])["messages"][-1]["attachments"]
    assert attachment["name"].endswith("attestation.pdf")
    assert not any(part in attachment["name"] for part in ("/", "\\", "..", "\x00"))
    assert re.fullmatch(rf"attachments/{escalated['ref']}/m\w+/\d+", attachment["key"])
    assert deps.s3.get_object(Bucket=deps.settings.mail_bucket, Key=attachment["key"])["Body"].read() == pdf
