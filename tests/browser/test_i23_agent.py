"""Issue 23, the agent's side: a reply to a partner's request for information reaches that
partner (point 1), and the dashboard shows what a partner asked of the agent, the tabs'
counts, the current tab and the new answers per case (point 2).

The cases are set up through the JSON API (the agent and a CAF referent each sign in once);
the agent's browser reuses the API session's cookie, so the module asks for few login links."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import api_sign_in, check_accessibility, outbox_emails

AGENT = "agent.berdhuis@example.org"           # Mairie de Berdhuis: no other test writes there
POINT = "61-mairie-berdhuis"
REFERENT = "referent2.61-caf@example.org"
CAF = "CAF de l'Orne"


@pytest.fixture(scope="module")
def agent_api(stack_url):
    return api_sign_in(stack_url, AGENT)


@pytest.fixture(scope="module")
def referent_api(stack_url):
    return api_sign_in(stack_url, REFERENT)


def escalated_case(stack_url, agent_api, first_name: str, last_name: str) -> str:
    created = agent_api.post(f"{stack_url}/api/cases", json={
        "point_id": POINT, "situation": "precarite", "consent_attested": True,
        "description": "Le RSA n'est plus versé.",
        "usager": {"first_name": first_name, "last_name": last_name, "phone": "0611223344",
                   "sms_opt_in": False}})
    assert created.status_code == 201, created.text
    ref = created.json()["ref"]
    escalated = agent_api.post(f"{stack_url}/api/cases/{ref}/escalations", json={
        "group_ids": ["61-caf"], "question": "Pouvez-vous vérifier le droit au RSA ?"})
    assert escalated.status_code == 201, escalated.text
    return ref


def referent_writes(stack_url, referent_api, ref: str, kind: str, body: str) -> None:
    posted = referent_api.post(f"{stack_url}/api/cases/{ref}/messages", json={"kind": kind, "body": body})
    assert posted.status_code == 201, posted.text


def as_agent(page, stack_url, agent_api) -> None:
    """The browser takes the API session of the agent: no other login link."""
    page.context.add_cookies([{"name": "relais_session", "value": agent_api.cookies["relais_session"],
                               "url": stack_url}])


def test_a_reply_to_a_request_for_information_goes_to_the_partner(page, stack_url, agent_api, referent_api):
    ref = escalated_case(stack_url, agent_api, "Lucette", "Marchand")
    referent_writes(stack_url, referent_api, ref, "needs_info", "Merci de joindre l'avis d'imposition 2025.")
    as_agent(page, stack_url, agent_api)
    page.goto(f"{stack_url}/dossiers/{ref}")

    # The partner waiting for information is the default recipient, not the internal note.
    recipient = page.locator("#group_id")
    assert recipient.get_by_label(re.compile(f"^{re.escape(CAF)}")).is_checked()
    assert not recipient.get_by_label(re.compile("^Note interne")).is_checked()
    assert page.locator("select[name='x-amz-meta-group']").input_value() == "61-caf"   # a document too
    # Before sending, the agent reads what the partner will receive and will not see.
    told = page.get_by_role("heading", name="Ce que reçoit le partenaire").locator("..").inner_text()
    assert f"[Relais {ref}]" in told and "Ils ne voient ni le téléphone ni l'e-mail de l'usager" in told
    check_accessibility(page, "i23-agent-01-reponse-au-partenaire")

    seen = len(outbox_emails(stack_url, REFERENT))
    page.get_by_role("textbox", name=re.compile("^Votre message")).fill("L'avis est joint au dossier.")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    page.wait_for_url(re.compile(rf"/dossiers/{ref}\?fait=message-partenaire"))
    assert page.get_by_role("status").inner_text().strip() == f"Votre message a été envoyé à {CAF}."
    # The partner got it, and the clock runs again.
    mails = outbox_emails(stack_url, REFERENT)[seen:]
    assert [m for m in mails if "L'avis est joint au dossier." in m["text"]]
    assert agent_api.get(f"{stack_url}/api/cases/{ref}").json()["escalations"][0]["status"] == "sent"

    # Each message of the thread says whom it went to.
    page.get_by_role("textbox", name=re.compile("^Votre message")).fill("Rappeler l'usager jeudi.")
    page.locator("#group_id").get_by_label(re.compile("^Note interne")).check(force=True)
    page.get_by_role("button", name="Envoyer", exact=True).click()
    page.wait_for_url(re.compile(rf"/dossiers/{ref}\?fait=message"))
    assert "Seuls les agents du point la voient" in page.get_by_role("status").inner_text()
    thread = page.locator(".relais-thread > li")
    texts = [thread.nth(i).inner_text() for i in range(thread.count())]
    assert "À : l'agent du dossier" in texts[0] and "demande des informations" in texts[0]
    assert f"À : {CAF}" in texts[1] and "L'avis est joint" in texts[1]
    assert "Note interne, visible des agents du point seulement" in texts[2] and "jeudi" in texts[2]
    check_accessibility(page, "i23-agent-02-fil-avec-destinataires")


def test_the_dashboard_shows_requests_for_information_counts_and_new_answers(page, stack_url, agent_api,
                                                                              referent_api):
    asked = escalated_case(stack_url, agent_api, "Gisèle", "Poirier")
    waiting = escalated_case(stack_url, agent_api, "Hervé", "Collin")
    answered = escalated_case(stack_url, agent_api, "Yvette", "Barbier")
    referent_writes(stack_url, referent_api, asked, "needs_info", "Quel est le numéro d'allocataire ?")
    referent_writes(stack_url, referent_api, answered, "answer", "Le droit est rétabli.")
    as_agent(page, stack_url, agent_api)
    page.goto(f"{stack_url}/tableau-de-bord")

    tabs = page.get_by_role("navigation", name="Filtrer les dossiers").get_by_role("link")
    labels = [tabs.nth(i).inner_text() for i in range(tabs.count())]
    counts = {re.sub(r" \(\d+\)$", "", label): int(re.search(r"\((\d+)\)$", label).group(1)) for label in labels}
    assert counts["Informations demandées"] >= 1 and counts["En attente d'un partenaire"] >= 1
    assert counts["Réponse reçue, à clore"] >= 1
    # The current tab is said (aria-current) and seen (filled, unlike the others).
    current = page.locator("a.fr-tag[aria-current='page']")
    assert current.count() == 1 and current.inner_text().startswith("Au guichet")
    other = page.get_by_role("link", name=re.compile("^Clos"))

    def background(locator) -> str:
        return locator.evaluate("element => getComputedStyle(element).backgroundColor")

    assert background(current) != background(other)

    page.get_by_role("link", name=re.compile(r"^Informations demandées \(\d+\)$")).click()
    assert page.get_by_role("heading", level=2).first.inner_text() == "Informations demandées"
    assert page.locator("a.fr-tag[aria-current='page']").inner_text().startswith("Informations demandées")
    table = page.get_by_role("table")
    assert table.get_by_role("link", name=asked).is_visible()
    assert table.get_by_role("link", name=waiting).count() == 0
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name=asked))
    assert "1 nouvelle réponse" in row.text_content()
    check_accessibility(page, "i23-agent-03-tableau-informations-demandees")

    page.get_by_role("link", name=re.compile(r"^En attente d'un partenaire \(\d+\)$")).click()
    table = page.get_by_role("table")
    assert table.get_by_role("link", name=waiting).is_visible()
    assert table.get_by_role("link", name=asked).count() == 0

    page.get_by_role("link", name=re.compile(r"^Réponse reçue, à clore \(\d+\)$")).click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=answered))
    assert "1 nouvelle réponse" in row.text_content()
    check_accessibility(page, "i23-agent-04-tableau-nouvelle-reponse")
    # Once the agent opened the case, its answer is no longer new.
    row.get_by_role("link", name=answered).click()
    page.wait_for_url(re.compile(rf"/dossiers/{answered}"))
    page.go_back()
    page.reload()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=answered))
    assert "nouvelle réponse" not in row.text_content()
