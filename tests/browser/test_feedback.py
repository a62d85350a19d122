"""Agents' feedback in a real browser on the local stack: an agent reports a difficulty with a
procedure, the territory's coordinator triages it with an answer, the agent reads the answer.
axe-core checks both pages (zero violations) and screenshots land in test-artifacts/screenshots/."""
from __future__ import annotations

import re
import uuid

from tests.browser.conftest import check_accessibility, sign_in
from tests.browser.test_demo_flow import field, sign_out

# Login links are limited to 5 per address per quarter hour: addresses the other tests spare.
AGENT = "agent.msa-mortagne@example.org"
COORDINATOR = "coordination.61@example.org"


def test_an_agent_reports_a_difficulty_the_coordinator_triages_it(page, stack_url):
    procedure = f"Demande de complémentaire santé solidaire {uuid.uuid4().hex[:6]}"
    sign_in(page, stack_url, AGENT)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Remontées").click()
    page.wait_for_url(re.compile(r"/remontees$"))
    check_accessibility(page, "16-agent-remontees")

    page.get_by_role("button", name="Envoyer la remontée").click()
    summary = page.get_by_role("alert")
    assert "Choisissez l'organisme concerné." in summary.inner_text()
    assert "Indiquez combien d'usagers sont concernés." in summary.inner_text()
    check_accessibility(page, "17-agent-remontees-erreurs")

    page.get_by_label("Organisme concerné").select_option(label="Caisse primaire d'assurance maladie")
    field(page, "Démarche concernée").fill(procedure)
    field(page, "Ce qui ne va pas").fill("Le formulaire en ligne refuse les attestations scannées.")
    field(page, "Nombre d'usagers concernés").fill("8")
    page.get_by_role("button", name="Envoyer la remontée").click()
    assert "Votre remontée est envoyée" in page.get_by_role("status").inner_text()
    row = page.get_by_role("row", name=re.compile(re.escape(procedure)))
    assert "Nouvelle" in row.text_content() and "Pas encore de réponse" in row.text_content()
    sign_out(page)

    sign_in(page, stack_url, COORDINATOR)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Remontées").click()
    page.wait_for_url(re.compile(r"/territoire/remontees$"))
    item = page.get_by_role("article", name=procedure)
    assert "Agence MSA de Mortagne-au-Perche" in item.inner_text()
    assert "Pierre Lambert" not in page.get_by_role("main").inner_text()     # the agent stays anonymous
    check_accessibility(page, "18-coordinateur-remontees")
    item.locator("label.fr-label", has_text="Prise en compte").click()
    item.get_by_label("Réponse aux agents du point").fill("Signalé à la CPAM de l'Orne le 3 mars.")
    item.get_by_role("button", name=re.compile("^Enregistrer")).click()
    assert "La remontée est mise à jour." in page.get_by_role("status").inner_text()
    assert "Prise en compte" in page.get_by_role("article", name=procedure).text_content()
    sign_out(page)

    sign_in(page, stack_url, AGENT)
    page.goto(f"{stack_url}/remontees")
    row = page.get_by_role("row", name=re.compile(re.escape(procedure)))
    assert "Prise en compte" in row.text_content()
    assert "Signalé à la CPAM de l'Orne le 3 mars." in row.text_content()
