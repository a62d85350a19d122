"""Hostile text in every free-text field, rendered in chromium: nothing executes.

The payloads go in through the ways people really type text into Relais: the JSON API
(the case's description, the question to partners, the agent's note, the referent's answer,
agents' feedback), a referent's email reply (real MIME, with an HTML part), a usager's SMS, and
the browser's own forms (a document's title and file name, a coordinator's answer, a search,
the sign-in form). Then every page that shows them, for every role that reads them, and every
email that quotes them, is opened in chromium. On each:
- no payload ran (each would set window.__xss);
- no element the payloads carry exists in the page (script, img, svg, iframe, javascript: links,
  inline event handlers): they were escaped, not merely blocked by the Content-Security-Policy;
- each payload reads as the text that was typed, "{{7*7}}" included (no template evaluation);
- the console shows no CSP violation (the `page` fixture), which a blocked payload would cause.
"""
from __future__ import annotations

import re
import uuid

import requests

from tests.browser.conftest import api_sign_in, outbox_emails, sign_in
from tests.browser.test_demo_flow import field, sign_out

# Login links are limited to 5 per address per quarter hour: addresses the other tests spare.
AGENT = "agent.berdhuis@example.org"
POINT = "61-mairie-berdhuis"
REFERENT = "referent.61-cpam@example.org"          # answers on the web
EMAIL_REFERENT = "referent.61-msa@example.org"     # answers by email
COORDINATOR = "coordination.61@example.org"
PHONE = "06 71 82 93 04"                           # no other test uses it: the SMS finds this case

HOSTILE = ('<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
           '"><svg onload="window.__xss=3"></svg>\'><a href="javascript:window.__xss=4">x</a> {{7*7}}')
SHORT_HOSTILE = '"><img src=x onerror="window.__xss=5"> {{7*7}}'          # for 100-character fields
# What a page holds if a payload was parsed as HTML rather than shown as text.
INJECTED = ("script:not([src]), img[src='x'], svg[onload], iframe, a[href^='javascript'], "
            "[onerror], [onload], [onclick]")


def payload(name: str, hostile: str = HOSTILE) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]} {hostile}"


def assert_inert(page, *texts: str) -> None:
    """Nothing ran, nothing was injected, and each text reads as typed."""
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.__xss") == "undefined", f"a payload ran on {page.url}"
    injected = page.evaluate(f"() => Array.from(document.querySelectorAll({INJECTED!r}), e => e.outerHTML)")
    assert injected == [], f"injected elements on {page.url}: {injected}"
    shown = " ".join(page.evaluate("document.body.textContent").split())
    for text in texts:
        assert " ".join(text.split()) in shown, f"{text[:40]!r}… is not shown as text on {page.url}"


def test_hostile_text_is_shown_never_run(page, stack_url, tmp_path):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    agent = api_sign_in(stack_url, AGENT)
    texts = {name: payload(name) for name in ("description", "question", "note", "to_referent",
                                             "answer", "email", "sms", "problem", "details")}
    texts["procedure"] = payload("procedure")
    texts["topic"] = payload("topic")

    # A person's name is letters only: the payload is refused, and the field named.
    usager = {"first_name": "Xavier", "last_name": "Hostile", "phone": PHONE}
    refused = agent.post(f"{stack_url}/api/cases", json={
        "point_id": POINT, "usager": {**usager, "last_name": SHORT_HOSTILE}, "situation": "precarite",
        "description": texts["description"], "consent_attested": True})
    assert refused.status_code == 400 and refused.json()["field"] == "usager.last_name", refused.text

    created = agent.post(f"{stack_url}/api/cases", json={
        "point_id": POINT, "usager": usager, "situation": "precarite",
        "description": texts["description"], "consent_attested": True})
    assert created.status_code == 201, created.text
    ref = created.json()["ref"]
    escalated = agent.post(f"{stack_url}/api/cases/{ref}/escalations", json={
        "group_ids": ["61-cpam", "61-msa"], "question": texts["question"]})
    assert escalated.status_code == 201, escalated.text
    assert agent.post(f"{stack_url}/api/cases/{ref}/messages", json={"body": texts["note"]}).status_code == 201
    assert agent.post(f"{stack_url}/api/cases/{ref}/messages", json={
        "body": texts["to_referent"], "group_id": "61-msa"}).status_code == 201
    for kind, organisation, fields in (
            ("difficulty", "cpam", {"procedure": texts["procedure"][:200], "problem": texts["problem"],
                                    "usagers_affected": 3}),
            ("training", None, {"topic": texts["topic"][:200], "details": texts["details"]})):
        sent = agent.post(f"{stack_url}/api/feedback", json={
            "kind": kind, "point_id": POINT, **({"organisation_id": organisation} if organisation else {}),
            **fields})
        assert sent.status_code == 201, sent.text

    referent = api_sign_in(stack_url, REFERENT)
    answered = referent.post(f"{stack_url}/api/cases/{ref}/messages", json={
        "body": texts["answer"], "group_id": "61-cpam", "kind": "answer"})
    assert answered.status_code == 201, answered.text

    # The MSA referent replies by email: a plain part with the payload as text, and an HTML part
    # where it is live markup (the plain part is the one kept).
    escalation = next(m for m in outbox_emails(stack_url, EMAIL_REFERENT) if ref in (m["subject"] or ""))
    reply = (f"From: Referent MSA <{EMAIL_REFERENT}>\r\nTo: {escalation['reply_to']}\r\n"
             f"Subject: RE: {escalation['subject']}\r\nMessage-ID: <xss-{ref}@example.org>\r\n"
             "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
             "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + texts["email"] + "\r\n"
             "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>" + texts["email"] + "</p>\r\n--b--\r\n")
    received = requests.post(f"{stack_url}/_dev/inbound-email", data=reply.encode(),
                             headers={"Content-Type": "message/rfc822"}, timeout=10)
    assert received.json()["outcome"] == "accepted", received.text
    sms = requests.post(f"{stack_url}/_dev/inbound-sms", json={"from": PHONE, "body": texts["sms"]},
                        timeout=10)
    assert sms.json() == {"outcome": "message", "case_ref": ref}, sms.text

    # The agent: the dashboard, the case (and a document with a hostile title and file name),
    # a hostile search, the feedback page.
    sign_in(page, stack_url, AGENT)
    assert_inert(page)
    page.goto(f"{stack_url}/dossiers/{ref}")
    on_the_case = [texts[name] for name in ("description", "question", "note", "to_referent", "answer",
                                            "email", "sms")]
    assert_inert(page, *on_the_case)
    title = payload("titre", SHORT_HOSTILE)[:120]
    field(page, "Titre du document").fill(title)
    page.locator("select[name='x-amz-meta-group']").select_option(label="CPAM de l'Orne")
    page.locator("input[type=file][name=file]").set_input_files(files=[{
        "name": '"><img src=x onerror="window.__xss=6">.pdf', "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n%%EOF\n"}])
    page.get_by_role("button", name="Envoyer le document").click()
    page.wait_for_url(re.compile(rf"/dossiers/{ref}"))
    assert "Le document a été ajouté au dossier" in page.get_by_role("status").inner_text()
    assert_inert(page, *on_the_case, title)

    page.goto(f"{stack_url}/recherche")
    search = payload("q", SHORT_HOSTILE)[:100]
    field(page, "Référence ou nom de l'usager").fill(search)
    page.get_by_role("button", name="Rechercher").click()
    assert_inert(page)
    # The server's page echoes the search (the attribute, not what the browser kept typed).
    assert "Aucun dossier trouvé" in page.get_by_role("main").inner_text()
    assert page.locator("input[name=q]").get_attribute("value") == search
    page.goto(f"{stack_url}/remontees")
    assert_inert(page, texts["procedure"][:200], texts["topic"][:200])
    sign_out(page)

    # The referent: the queue and the case (the question, not the agent's description or notes).
    sign_in(page, stack_url, REFERENT)
    assert_inert(page)
    page.goto(f"{stack_url}/dossiers/{ref}")
    assert_inert(page, texts["question"], texts["answer"], title)
    sign_out(page)

    # The coordinator: the feedback (answered with a hostile text) and the quarterly report.
    sign_in(page, stack_url, COORDINATOR)
    page.goto(f"{stack_url}/territoire/remontees")
    item = page.get_by_role("article", name=texts["procedure"][:200])
    assert_inert(page, texts["procedure"][:200], texts["problem"], texts["topic"][:200], texts["details"])
    triage = payload("triage")[:1000]
    item.locator("label.fr-label", has_text="Prise en compte").click()
    item.get_by_label("Réponse aux agents du point").fill(triage)
    item.get_by_role("button", name=re.compile("^Enregistrer")).click()
    assert "La remontée est mise à jour." in page.get_by_role("status").inner_text()
    assert_inert(page, triage)
    page.goto(f"{stack_url}/territoire/rapport")
    assert_inert(page)
    sign_out(page)

    # The sign-in form echoes what was typed.
    page.goto(f"{stack_url}/connexion")
    page.get_by_label("Adresse e-mail professionnelle").fill(SHORT_HOSTILE)
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    assert_inert(page)
    assert page.get_by_label("Adresse e-mail professionnelle").get_attribute("value") == SHORT_HOSTILE

    # Every email that quotes a payload, as a mail client renders its HTML.
    quoting = [m for m in requests.get(f"{stack_url}/_dev/outbox", timeout=10).json()
               if m.get("html") and "{{7*7}}" in m["html"]]
    assert {m["to"][0] for m in quoting if texts["question"] in m["text"]} >= {REFERENT, EMAIL_REFERENT}
    assert any(texts["to_referent"] in m["text"] for m in quoting), "the agent's message is emailed"
    mail_client = page.context.new_page()          # about:blank: no CSP, as in a mail client
    mail_client.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for message in quoting:
        mail_client.set_content(message["html"])
        assert_inert(mail_client)
    assert dialogs == []
