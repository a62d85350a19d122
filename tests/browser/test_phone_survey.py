"""« Avis recueilli par téléphone » in a real browser on the local stack (issue 25): the agent
who phoned the usager back records the mark, positive or negative, and what the usager said,
on a closed case. axe-core checks the form, its errors and its success (zero violations)."""
from __future__ import annotations

import re

from tests.browser.conftest import api_sign_in, check_accessibility, sign_in

# Login links are limited to 5 per address per quarter hour: an address the other tests spare.
AGENT = "agent.victor-hugo@example.org"
POINT = "62-centre-victor-hugo"


def closed_case(stack_url: str) -> str:
    api = api_sign_in(stack_url, AGENT)
    created = api.post(f"{stack_url}/api/cases", timeout=10, json={
        "point_id": POINT, "situation": "retraite", "consent_attested": True,
        "description": "Sa pension de réversion n'est pas versée.",
        "usager": {"first_name": "Lucienne", "last_name": "Vasseur", "phone": "0611223355", "sms_opt_in": False}})
    assert created.status_code == 201, created.text
    ref = created.json()["ref"]
    closed = api.post(f"{stack_url}/api/cases/{ref}/close", timeout=10,
                      json={"outcome": "solved_at_desk", "useful": True})
    assert closed.status_code == 200, closed.text
    return ref


def test_the_agent_records_the_opinion_gathered_by_phone(page, stack_url):
    ref = closed_case(stack_url)
    sign_in(page, stack_url, AGENT)
    page.goto(f"{stack_url}/dossiers/{ref}")
    section = page.get_by_role("region", name="Avis recueilli par téléphone")
    assert "pas encore donné de note" in section.inner_text()
    check_accessibility(page, "25-agent-avis-telephone")

    section.get_by_role("button", name="Enregistrer l'avis").click()
    summary = page.get_by_role("alert").first
    assert "Choisissez la note donnée par l'usager, de 1 à 5." in summary.inner_text()
    check_accessibility(page, "26-agent-avis-telephone-erreurs")

    section = page.get_by_role("region", name="Avis recueilli par téléphone")
    section.get_by_role("group", name=re.compile("^Satisfaction de l'usager")).get_by_text("4", exact=True).click()
    section.get_by_role("group", name=re.compile("^Son avis est")).get_by_text("Plutôt positif", exact=True).click()
    section.get_by_label(re.compile("^Ce que l'usager a dit")).fill("Très bien reçue, l'attente était courte.")
    section.get_by_role("button", name="Enregistrer l'avis").click()
    page.wait_for_url(re.compile(r"fait=avis"))
    assert "L'avis de l'usager est enregistré" in page.get_by_role("status").inner_text()
    assert "Satisfaction de l'usager : 4 sur 5." in page.get_by_role(
        "region", name="Avis recueilli par téléphone").inner_text()
    check_accessibility(page, "27-agent-avis-telephone-enregistre")
