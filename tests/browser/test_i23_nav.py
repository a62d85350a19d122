"""Issue 23, finding one's way: the agent's search (point 7), back to the page asked for after
signing in (point 8), and French error pages for unknown addresses and form addresses (point 15)."""
from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from tests.browser.conftest import api_sign_in, check_accessibility, outbox_emails, sign_in

# Login links are limited to 5 per address per quarter hour: addresses the other modules leave alone.
AGENT = "agent.remalard-poste@example.org"          # point 61-fs-remalard-poste, in the Orne (61)
REFERENT = "referent.61-carsat@example.org"
LOGIN_LINK_WITH_TARGET = re.compile(r"/connexion/[\w-]+(?:\?suite=[^\s\"<>]+)?")


@pytest.fixture(scope="module")
def agent_api(stack_url):
    """The agent's JSON API session: it opens the cases the pages look for."""
    return api_sign_in(stack_url, AGENT)


def open_case(agent_api, stack_url: str, last_name: str, escalate_to: str | None = None) -> str:
    created = agent_api.post(f"{stack_url}/api/cases", timeout=10, json={
        "point_id": "61-fs-remalard-poste",
        "usager": {"first_name": "Jeanne", "last_name": last_name, "phone": "06 12 34 56 78"},
        "situation": "precarite", "description": "Son RSA n'est plus versé depuis deux mois.",
        "consent_attested": True})
    assert created.status_code == 201, created.text
    ref = created.json()["ref"]
    if escalate_to:
        escalated = agent_api.post(f"{stack_url}/api/cases/{ref}/escalations", timeout=10, json={
            "group_ids": [escalate_to], "question": "Pouvez-vous vérifier ses droits ?"})
        assert escalated.status_code in (200, 201), escalated.text
    return ref


def search(page, query: str) -> None:
    page.get_by_role("textbox", name=re.compile("^Référence ou nom")).fill(query)
    with page.expect_navigation(timeout=5000):
        page.get_by_role("button", name="Rechercher").click()


def test_point_7_search_finds_a_compound_name_a_bare_reference_and_refuses_an_empty_search(
        page, stack_url, agent_api):
    ref = open_case(agent_api, stack_url, "Dupré-Lefèvre")
    sign_in(page, stack_url, AGENT)
    page.goto(f"{stack_url}/recherche")

    # Empty: the page's own French error (DSFR), not the browser's bubble.
    search(page, "")
    group = page.locator(".fr-input-group--error")
    assert "Tapez au moins deux lettres" in group.locator(".fr-error-text").inner_text()
    # The error summary takes the focus, as on every form (point 4), and links to the field.
    assert page.evaluate("document.activeElement && document.activeElement.id") == "erreurs"
    page.get_by_role("alert").get_by_role("link").first.click()
    assert page.evaluate("document.activeElement && document.activeElement.name") == "q"
    assert "Tapez au moins deux lettres" in page.get_by_role("alert").inner_text()
    check_accessibility(page, "i23-recherche-vide")

    # The second half of a compound last name, with or without accents, any case; spaced too.
    for query in ("Lefèvre", "lefevre", "LEFEVRE", "Dupré Lefèvre"):
        search(page, query)
        links = page.get_by_role("main").locator(f'a[href="/dossiers/{ref}"]')
        assert links.count() == 1, query
    check_accessibility(page, "i23-recherche-nom-compose")

    # The reference without its département: straight to the case.
    body = ref.split("-", 1)[1]                                  # 61-K7M-4QX -> K7M-4QX
    search(page, body.lower())
    assert page.url.endswith(f"/dossiers/{ref}")


def test_point_8_a_signed_out_referent_lands_on_the_case_of_the_emails_link(page, stack_url, agent_api):
    ref = open_case(agent_api, stack_url, "Perrin", escalate_to="61-carsat")
    [escalation] = [m for m in outbox_emails(stack_url, REFERENT) if ref in (m["text"] or "")]
    case_link = re.search(rf"https?://\S+/dossiers/{ref}\b", escalation["text"]).group(0)

    page.goto(case_link)                                         # signed out: sign in first
    page.get_by_role("main").get_by_role("link", name="Recevoir un lien de connexion").click()
    assert "Perrin" not in page.url and "Jeanne" not in page.url
    seen = len(outbox_emails(stack_url, REFERENT))
    page.get_by_label("Adresse e-mail professionnelle").fill(REFERENT)
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    page.wait_for_load_state()
    emails = outbox_emails(stack_url, REFERENT)
    assert len(emails) > seen, "no login link sent"
    link = LOGIN_LINK_WITH_TARGET.search(emails[-1]["text"]).group(0)
    assert link.endswith(f"?suite=%2Fdossiers%2F{ref}"), link   # the page, and nothing personal
    page.goto(urljoin(stack_url, link))
    page.get_by_role("main").get_by_role("button", name="Me connecter").click()
    page.wait_for_url(re.compile(rf"/dossiers/{ref}$"))
    assert page.get_by_role("heading", level=1).count() == 1

    # Another site is never a target: the login form drops it.
    for target in ("//evil.example/x", "https://evil.example/", "/%5Cevil.example"):
        page.goto(f"{stack_url}/connexion?suite={target}")
        assert page.locator("input[name=suite]").count() == 0, target


def test_point_15_unknown_addresses_and_form_addresses_get_french_pages(page, stack_url):
    for path in ("/nimporte", "/dossiers/61-K7M-4QX/pas/une/page"):
        response = page.goto(f"{stack_url}{path}")
        assert response.status == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert page.get_by_role("heading", level=1).inner_text() == "Page introuvable"
        assert "Missing Authentication Token" not in page.content()
    check_accessibility(page, "i23-erreur-404")

    response = page.goto(f"{stack_url}/deconnexion")              # a form's address, opened as a page
    assert response.status == 405 and response.headers["allow"] == "POST"
    assert "ne s'ouvre pas comme une page" in page.get_by_role("heading", level=1).inner_text()
    assert "MethodNotAllowedError" not in page.content()
    check_accessibility(page, "i23-erreur-405")

    # The JSON API keeps JSON errors.
    api = page.request.get(f"{stack_url}/api/pas-une-route", headers={"Accept": "application/json"})
    assert api.status == 404 and api.json()["error"] == "not_found"
