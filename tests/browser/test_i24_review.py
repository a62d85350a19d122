"""Issue 24, never lose an answer, in chromium: a reply written below the quoted history comes in
by email; the agent's case page marks it « Réponse à vérifier » and links to the original, whose
quoted runs are folded in native <details> that open with the keyboard. axe finds nothing on
either page.

The case is set up through the JSON API (the agent signs in once, the browser reuses the
session's cookie); the reply goes through /_dev/inbound-email, as SES receiving would."""
from __future__ import annotations

import re

import pytest
import requests

from tests.browser.conftest import api_sign_in, check_accessibility, outbox_emails, tab_to
from tests.clock import STACK_INSTANT

pytestmark = pytest.mark.instant(STACK_INSTANT)

AGENT = "agent.remalard@example.org"        # Mairie de Rémalard: no other browser test signs in there
POINT = "61-mairie-remalard"
REFERENT = "referent.61-carsat@example.org"  # writes by email only here: no login link asked
ANSWER = "Bonjour, la pension est recalculée, le rappel sera versé le 9 décembre."
QUOTED = "Pouvez-vous vérifier le montant de la pension ?"


def declined(escalation: dict, ref: str) -> bytes:
    """The answer, then Relais's email under a header no table knows: extraction declines."""
    body = (f"{ANSWER}\r\n\r\nQapla' 24.11.2026 08:30 Relais SP+ <ne-pas-repondre@relais.example.org> ghItlh:\r\n"
            f"{QUOTED}\r\nRépondez simplement à cet e-mail : votre réponse sera ajoutée au dossier.\r\n")
    return (f"From: CARSAT <{REFERENT}>\r\nTo: {escalation['reply_to']}\r\n"
            f"Subject: RE: {escalation['subject']}\r\nMessage-ID: <i24-{ref}@example.org>\r\n"
            "Date: Tue, 24 Nov 2026 08:35:00 +0100\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()


def test_a_reply_to_check_and_its_original(page, stack_url):
    agent = api_sign_in(stack_url, AGENT)
    created = agent.post(f"{stack_url}/api/cases", json={
        "point_id": POINT, "situation": "retraite", "consent_attested": True,
        "description": "La pension de retraite a baissé sans explication.",
        "usager": {"first_name": "Gisèle", "last_name": "Fontaine", "phone": "0611223355", "sms_opt_in": False}})
    assert created.status_code == 201, created.text
    ref = created.json()["ref"]
    escalated = agent.post(f"{stack_url}/api/cases/{ref}/escalations", json={
        "group_ids": ["61-carsat"], "question": "Pouvez-vous vérifier le montant de la pension ?"})
    assert escalated.status_code == 201, escalated.text
    escalation = next(m for m in outbox_emails(stack_url, REFERENT) if f"[Relais {ref}]" in (m["subject"] or ""))
    received = requests.post(f"{stack_url}/_dev/inbound-email", data=declined(escalation, ref),
                             headers={"Content-Type": "message/rfc822"}, timeout=10)
    assert received.json()["outcome"] == "accepted", received.text

    page.context.add_cookies([{"name": "relais_session", "value": agent.cookies["relais_session"],
                               "url": stack_url}])
    page.goto(f"{stack_url}/dossiers/{ref}")
    message = page.locator(".relais-message").filter(has_text="CARSAT")
    assert message.locator(".fr-badge").filter(has_text="Réponse à vérifier").is_visible()
    assert "Relais n'a pas su séparer la réponse de l'historique du message" in message.inner_text()
    check_accessibility(page, "i24-01-reponse-a-verifier")

    # The link, reached and followed with the keyboard.
    link = tab_to(page, "Voir le message d'origine")
    assert link["role"] == "link"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/dossiers/{ref}/messages/[\w-]+/origine$"))
    assert "Message d'origine" in page.title() and "Fontaine" not in page.title() and REFERENT not in page.title()
    main = page.get_by_role("main")
    assert REFERENT in main.inner_text() and "24/11/2026 à 08:35" in main.inner_text()

    # The quote is folded; Enter on its summary opens it.
    folded = page.locator("details").filter(has=page.locator("summary", has_text=re.compile(r"^Texte cité \(\d+ lignes?\)")))
    assert folded.count() >= 1
    first = folded.first
    assert first.evaluate("d => d.open") is False
    assert not first.get_by_text(QUOTED, exact=False).is_visible()
    summary = tab_to(page, re.compile(r"Texte cité"))
    assert summary["tag"] == "summary"
    page.keyboard.press("Enter")
    assert first.evaluate("d => d.open") is True
    assert first.get_by_text("Pouvez-vous vérifier le montant de la pension ?", exact=False).is_visible()
    assert ANSWER in main.inner_text()
    check_accessibility(page, "i24-02-message-d-origine")

    page.get_by_role("link", name="Retour au dossier").click()
    page.wait_for_url(re.compile(rf"/dossiers/{ref}#message-"))
