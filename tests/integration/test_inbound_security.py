# ruff: noqa: F811 - the fixtures of test_email.py, imported by name
"""Inbound email as an attacker sends it: verdicts that do not positively pass, the subject tag
alone, ambiguous From headers, oversized messages; and the agent's decision on what was
quarantined (pages and API). Against DynamoDB Local and moto, through POST /_dev/inbound-email
(which plays SES receiving) or the SNS handler itself.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import login, outbox
from tests.integration.test_email import (  # noqa: F401 - fixtures
    AGENT,
    _agent_notices,
    agent,
    case_of,
    escalated,
    post_inbound,
    reply,
)

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]

MEMBER = "referent.61-caf@example.org"


def to(escalated) -> str:
    return f"reponse+{escalated['token']}@in.relais.example.org"


def raw_message(headers: list[tuple[str, str]], body: str = "Le versement est débloqué.") -> bytes:
    """A message written byte for byte, headers exactly as given (the standard library would
    re-fold or refuse some of them)."""
    lines = [f"{name}: {value}" for name, value in headers]
    lines += ["Message-ID: <" + str(abs(hash((tuple(headers), body)))) + "@example.org>",
              "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def ses_results(spf="pass", envelope=MEMBER, dkim="pass header.i=@example.org",
                dmarc="none header.from=example.org") -> str:
    return (f"amazonses.com;\r\n spf={spf} (spfCheck: ...) client-ip=198.51.100.25; envelope-from={envelope};"
            f" helo=mail.example.org;\r\n dkim={dkim};\r\n dmarc={dmarc};")


def quarantined(result: dict, reason: str) -> None:
    assert (result["outcome"], result.get("reason")) == ("quarantined", reason), result


# --- 1. verdicts: only a positive authentication of the From domain ------------------------

@pytest.mark.parametrize("query, reason", [
    ({"dmarc": "GRAY", "dkim": "GRAY"}, "unauthenticated"),                 # SPF alone
    ({"dmarc": "GRAY", "spf": "GRAY"}, "unauthenticated"),                  # DKIM alone
    ({"dmarc": "PROCESSING_FAILED", "spf": "PROCESSING_FAILED"}, "unauthenticated"),
    ({"dmarc": "GRAY"}, "unauthenticated"),        # SPF and DKIM PASS, but for which domain?
    ({"spam": "GRAY"}, "verdict"),
    ({"virus": "PROCESSING_FAILED"}, "verdict"),
    ({"spam": "PROCESSING_FAILED"}, "verdict"),
])
def test_a_verdict_that_is_not_a_positive_pass_is_quarantined_and_the_agent_told(client, deps, escalated,
                                                                                   query, reason):
    result = post_inbound(client, reply(MEMBER, to(escalated), "Réponse non authentifiée."), **query)
    quarantined(result, reason)
    assert case_of(client, escalated["ref"])["messages"] == []
    assert len(_agent_notices(escalated["ref"], "n'a pas été ajouté")) == 1
    events = [e for e in deps.repo.get_bundle(escalated["ref"]).events if e.code == "EMAIL_QUARANTINED"]
    assert [e.data["reason"] for e in events] == [reason]


def test_spf_and_dkim_pass_for_the_from_domain_are_enough_without_dmarc(client, escalated):
    raw = raw_message([("Authentication-Results", ses_results()), ("From", f"Sophie <{MEMBER}>"),
                       ("To", to(escalated)), ("Subject", "RE: demande")])
    result = post_inbound(client, raw, dmarc="GRAY")
    assert result["outcome"] == "accepted", result


@pytest.mark.parametrize("results", [
    ses_results(dkim="pass header.i=@evil.example"),             # DKIM of another domain
    ses_results(envelope="bounce@evil.example"),                 # SPF of another domain
    ses_results(dkim="none"),
])
def test_spf_and_dkim_for_another_domain_than_from_are_not(client, escalated, results):
    raw = raw_message([("Authentication-Results", results), ("From", MEMBER),
                       ("To", to(escalated)), ("Subject", "RE: demande")])
    quarantined(post_inbound(client, raw, dmarc="GRAY"), "unauthenticated")


def test_a_forged_authentication_results_below_ses_own_is_never_read(client, escalated):
    """SES prepends its header; the attacker's own "amazonses.com" one sits below it."""
    raw = raw_message([("Authentication-Results", ses_results(dkim="none")),
                       ("From", MEMBER), ("To", to(escalated)), ("Subject", "RE: demande"),
                       ("Authentication-Results", ses_results())])
    quarantined(post_inbound(client, raw, dmarc="GRAY"), "unauthenticated")


def test_dmarc_pass_for_another_domain_than_from_is_not(client, escalated):
    raw = raw_message([("Authentication-Results", ses_results(dmarc="pass header.from=evil.example")),
                       ("From", MEMBER), ("To", to(escalated)), ("Subject", "RE: demande")])
    quarantined(post_inbound(client, raw), "unauthenticated")


def test_a_verdict_ses_did_not_give_is_no_pass(client, deps, escalated):
    """The SNS notification itself, without DMARC and DKIM verdicts: not a silent PASS."""
    raw = reply(MEMBER, to(escalated), "Sans verdict.")
    deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key="inbound-test/no-verdict", Body=raw)
    notification = {"notificationType": "Received", "receipt": {
        "recipients": [to(escalated)], "spfVerdict": {"status": "PASS"},
        "spamVerdict": {"status": "PASS"}, "virusVerdict": {"status": "PASS"},
        "action": {"type": "S3", "bucketName": deps.settings.mail_bucket, "objectKey": "inbound-test/no-verdict"}}}
    result = client.lambda_.invoke("receive_email", client.events.generate_sns_event(
        message=json.dumps(notification))).payload
    quarantined(result, "unauthenticated")


# --- 3. exactly one well-formed sender ------------------------------------------------------

@pytest.mark.parametrize("from_headers", [
    ["attacker@evil.example", MEMBER],                                   # two From headers
    [f"{MEMBER}, attacker@evil.example"],                                 # two addresses in one
    [f'"{MEMBER}" <attacker@evil.example>'],                              # display name = member
    ["=?utf-8?q?referent=2E61-caf=40example=2Eorg?= <attacker@evil.example>"],   # same, encoded
    [f"{MEMBER} <attacker@evil.example>"],                                # malformed, parses to member
    [f"<{MEMBER}>attacker@evil.example"],
    [f"{MEMBER}\r\n <attacker@evil.example>"],
    [f"{MEMBER} (attacker@evil.example)"],                                # an address in a comment
    [f"Karim <{MEMBER}>, Sophie <{MEMBER}>"],                             # the member, twice
], ids=["two-headers", "two-addresses", "display-name", "encoded-display-name", "bare-then-angle",
        "angle-then-bare", "folded", "comment", "member-twice"])
def test_a_sender_that_is_not_exactly_one_well_formed_address_is_quarantined(client, escalated, from_headers):
    raw = raw_message([*(("From", value) for value in from_headers), ("To", to(escalated)),
                       ("Subject", "RE: demande")])
    quarantined(post_inbound(client, raw), "ambiguous_sender")
    assert case_of(client, escalated["ref"])["messages"] == []
    notice = _agent_notices(escalated["ref"], "n'a pas été ajouté")[0]
    assert "attacker@evil.example" in notice["text"] or from_headers[0].startswith("Karim")


def test_a_display_name_equal_to_the_address_is_fine(client, escalated):
    raw = raw_message([("From", f'"{MEMBER}" <{MEMBER}>'), ("To", to(escalated)), ("Subject", "RE: x")])
    assert post_inbound(client, raw)["outcome"] == "accepted"


# --- 5. an oversized message is never read whole ---------------------------------------------

def _never(*_, **__):
    raise AssertionError("the body of an oversized message was parsed")


def test_an_oversized_message_is_quarantined_from_its_headers_alone(client, deps, escalated, monkeypatch):
    from chalicelib.adapters import mailparse
    from chalicelib.services import inbound

    monkeypatch.setattr(inbound, "MAX_MESSAGE_BYTES", 100_000)
    monkeypatch.setattr(mailparse, "parse", _never)           # the full MIME parser
    monkeypatch.setattr(mailparse, "BytesParser", _never)
    from chalicelib import bootstrap

    reads = []
    bootstrap.deps().s3.meta.events.register(
        "before-call.s3.GetObject", lambda params, **_: reads.append(params.get("headers", {}).get("Range")))
    raw = reply(MEMBER, to(escalated), "Voici les pièces.\n" + "x" * 300_000)
    result = post_inbound(client, raw)
    quarantined(result, "too_large")
    assert reads and all(r == f"bytes=0-{mailparse.HEADER_BYTES - 1}" for r in reads)
    kept = deps.s3.list_objects_v2(Bucket=deps.settings.mail_bucket, Prefix=f"quarantine/{escalated['ref']}/")
    assert [o["Size"] for o in kept["Contents"]] == [len(raw)]       # copied in S3, not read
    assert len(_agent_notices(escalated["ref"], "n'a pas été ajouté")) == 1


def test_a_38_mb_message_through_the_ses_handler_is_not_parsed(client, deps, escalated, monkeypatch):
    from chalicelib.adapters import mailparse
    from chalicelib.services import inbound

    monkeypatch.setattr(mailparse, "parse", _never)
    head = reply(MEMBER, to(escalated), "Gros envoi.")
    raw = head + b"A" * (38 * 1024 * 1024)
    deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key="inbound-test/big", Body=raw)
    outcome = inbound.handle_ses_notification(deps, {"receipt": {
        "recipients": [to(escalated)], **{f"{n}Verdict": {"status": "PASS"} for n in inbound.VERDICTS},
        "action": {"type": "S3", "bucketName": deps.settings.mail_bucket, "objectKey": "inbound-test/big"}}})
    assert (outcome.outcome, outcome.reason) == ("quarantined", "too_large")


# --- 4. the agent decides ---------------------------------------------------------------------

def _subject_only(client, escalated, body="Le mandat est signé.") -> str:
    raw = reply(MEMBER, "reponse@in.relais.example.org", body,
                subject=f"RE: [Relais {escalated['ref']}] Demande d'un usager")
    quarantined(post_inbound(client, raw), "subject_only")
    return raw


def _csrf(client, path: str, headers: dict) -> tuple[str, str, str]:
    response = client.http.get(path, headers={"Cookie": headers["Cookie"]})
    html = response.body.decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
    return html, csrf.group(1) if csrf else "", response.headers.get("Set-Cookie", "").split(";")[0]


def _form(client, path: str, headers: dict, csrf: str, csrf_cookie: str):
    return client.http.post(path, body=urlencode({"csrf": csrf}), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"{headers['Cookie']}; {csrf_cookie}"})


def test_the_agent_reads_a_quarantined_email_and_adds_it_to_the_thread(client, deps, agent, escalated):
    ref = escalated["ref"]
    _subject_only(client, escalated, "Le mandat est signé, versement le 5.")
    (item,) = deps.repo.list_quarantined(ref)
    case_html, _, _ = _csrf(client, f"/dossiers/{ref}", agent)
    assert "E-mails en attente de votre décision" in case_html
    assert f"/dossiers/{ref}/quarantaine/{item.id}" in case_html
    path = f"/dossiers/{ref}/quarantaine/{item.id}"
    html, csrf, cookie = _csrf(client, path, agent)
    assert "Le mandat est signé, versement le 5." in html and MEMBER in html
    assert "seul son objet cite la référence" in html
    response = _form(client, f"{path}/ajouter", agent, csrf, cookie)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/dossiers/{ref}?fait=courriel-ajoute#echanges"
    case = case_of(client, ref)
    assert case["status"] == "answered"
    assert [(m["body"], m["channel"], m["kind"]) for m in case["messages"]] == [
        ("Le mandat est signé, versement le 5.", "email", "answer")]
    events = {e.code: e for e in deps.repo.get_bundle(ref).events}
    agent_id = deps.repo.get_user_by_email(AGENT).id
    assert events["EMAIL_RELEASED"].actor_id == agent_id
    assert events["EMAIL_RELEASED"].data["quarantine_id"] == item.id
    assert deps.repo.get_quarantined(ref, item.id).status.value == "released"
    # decided once: the same form again changes nothing
    again = _form(client, f"{path}/ajouter", agent, csrf, cookie)
    assert again.status_code == 409 and "déjà été traité" in again.body.decode()
    assert len(case_of(client, ref)["messages"]) == 1
    assert "E-mails en attente" not in _csrf(client, f"/dossiers/{ref}", agent)[0]


def test_the_agent_discards_a_quarantined_email(client, deps, agent, escalated):
    ref = escalated["ref"]
    _subject_only(client, escalated)
    (item,) = deps.repo.list_quarantined(ref)
    path = f"/dossiers/{ref}/quarantaine/{item.id}"
    _, csrf, cookie = _csrf(client, path, agent)
    response = _form(client, f"{path}/ecarter", agent, csrf, cookie)
    assert response.status_code == 303 and "fait=courriel-ecarte" in response.headers["Location"]
    assert case_of(client, ref)["messages"] == []
    assert "EMAIL_DISCARDED" in [e.code for e in deps.repo.get_bundle(ref).events]
    assert deps.s3.list_objects_v2(Bucket=deps.settings.mail_bucket,
                                   Prefix=f"quarantine/{ref}/")["KeyCount"] == 0


def test_a_decision_without_the_csrf_token_changes_nothing(client, deps, agent, escalated):
    ref = escalated["ref"]
    _subject_only(client, escalated)
    (item,) = deps.repo.list_quarantined(ref)
    path = f"/dossiers/{ref}/quarantaine/{item.id}"
    _, _, cookie = _csrf(client, path, agent)
    for action in ("ajouter", "ecarter"):
        response = _form(client, f"{path}/{action}", agent, "forged", cookie)
        assert response.status_code == 400 and "La page a expiré" in response.body.decode()
    assert deps.repo.get_quarantined(ref, item.id).status.value == "pending"
    assert case_of(client, ref)["messages"] == []


@pytest.mark.parametrize("email", [MEMBER, "agent.berdhuis@example.org", "coordination.61@example.org"])
def test_only_the_agents_of_the_case_see_or_decide(client, deps, escalated, email):
    ref = escalated["ref"]
    _subject_only(client, escalated)
    (item,) = deps.repo.list_quarantined(ref)
    path = f"/dossiers/{ref}/quarantaine/{item.id}"
    other = login(client, email)
    html, csrf, cookie = _csrf(client, f"/dossiers/{ref}", other)
    assert f"/quarantaine/{item.id}" not in html
    assert client.http.get(path, headers={"Cookie": other["Cookie"]}).status_code == 404
    for action in ("ajouter", "ecarter"):
        assert _form(client, f"{path}/{action}", other, csrf or "x", cookie).status_code in (400, 404)
    for api in ("", f"/{item.id}"):
        assert client.http.get(f"/api/cases/{ref}/quarantine{api}", headers=other).status_code in (403, 404)
    for api in ("release", "discard"):
        response = client.http.post(f"/api/cases/{ref}/quarantine/{item.id}/{api}", headers=other, body="{}")
        assert response.status_code in (403, 404)
    assert deps.repo.get_quarantined(ref, item.id).status.value == "pending"


def test_the_api_lists_reads_and_decides(client, deps, agent, escalated):
    ref = escalated["ref"]
    _subject_only(client, escalated, "Premier.")
    (first,) = deps.repo.list_quarantined(ref)
    listed = client.http.get(f"/api/cases/{ref}/quarantine", headers=agent).json_body
    assert [(q["id"], q["reason"], q["status"], q["sender"]) for q in listed] == [
        (first.id, "subject_only", "pending", MEMBER)]
    detail = client.http.get(f"/api/cases/{ref}/quarantine/{first.id}", headers=agent).json_body
    assert detail["text"] == "Premier." and detail["group_id"] == "61-caf"
    assert client.http.get(f"/api/cases/{ref}/quarantine/0000000000000000", headers=agent).status_code == 404
    released = client.http.post(f"/api/cases/{ref}/quarantine/{first.id}/release", headers=agent, body="{}")
    assert released.status_code == 200 and released.json_body["messages"][-1]["body"] == "Premier."
    again = client.http.post(f"/api/cases/{ref}/quarantine/{first.id}/discard", headers=agent, body="{}")
    assert again.status_code == 409


def test_a_too_large_message_can_only_be_discarded(client, deps, agent, escalated, monkeypatch):
    from chalicelib.services import inbound

    monkeypatch.setattr(inbound, "MAX_MESSAGE_BYTES", 10_000)
    quarantined(post_inbound(client, reply(MEMBER, to(escalated), "x" * 20_000)), "too_large")
    (item,) = deps.repo.list_quarantined(escalated["ref"])
    response = client.http.post(f"/api/cases/{escalated['ref']}/quarantine/{item.id}/release",
                                headers=agent, body="{}")
    assert response.status_code == 409 and "trop volumineux" in response.json_body["message"]
    assert client.http.post(f"/api/cases/{escalated['ref']}/quarantine/{item.id}/discard",
                            headers=agent, body="{}").status_code == 200


def test_an_agent_notice_says_the_message_waits_on_the_case_page(client, escalated):
    _subject_only(client, escalated)
    notice = _agent_notices(escalated["ref"], "n'a pas été ajouté")[0]
    assert "l'ajouter aux échanges ou l'écarter" in notice["text"]
    assert outbox()


# --- 6. found in review -------------------------------------------------------------------------

def test_retention_wipes_the_raw_emails_and_the_quarantine_of_a_case(client, deps, agent, escalated):
    """The raw messages (inbound/<ref>/, quarantine/<ref>/) and the quarantine records (sender,
    subject) are personal data: the purge took the messages and documents, and left these."""
    from datetime import timedelta

    from chalicelib import jobs
    from tests.conftest import whole_table

    ref = escalated["ref"]
    assert post_inbound(client, reply(MEMBER, to(escalated), "Réponse acceptée."))["outcome"] == "accepted"
    _subject_only(client, escalated, "Réponse mise de côté.")
    client.http.post(f"/api/cases/{ref}/close", headers=agent,
                     body=json.dumps({"outcome": "solved_with_partner", "useful": True}))
    bucket = deps.settings.mail_bucket
    assert deps.s3.list_objects_v2(Bucket=bucket, Prefix=f"inbound/{ref}/")["KeyCount"] == 1
    assert deps.s3.list_objects_v2(Bucket=bucket, Prefix=f"quarantine/{ref}/")["KeyCount"] == 1
    closed_at = deps.repo.get_case(ref).closed_at
    assert jobs.run_inline("retention", deps, closed_at + timedelta(days=186))["purged"] == 1
    for prefix in (f"inbound/{ref}/", f"quarantine/{ref}/"):
        assert deps.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["KeyCount"] == 0, prefix
    assert deps.repo.list_quarantined(ref) == []
    assert f"[Relais {ref}]" not in json.dumps(whole_table(deps), ensure_ascii=False)
