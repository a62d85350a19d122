"""Services Publics+ experiences, the staff's side, in a real browser on the local stack: an
experience posted through the public API waits for moderation; the Orne's moderator signs in,
lands on the territory's queue and publishes it with the keyboard; a refusal without a reason
is said in French; the CAF's responder team answers; the moderator publishes the answer.
axe-core checks every page (zero violations)."""
from __future__ import annotations

import re
import uuid

import requests

from tests.browser.conftest import check_accessibility, sign_in, tab_to
from tests.browser.test_demo_flow import field, sign_out

MODERATOR = "moderation.61@example.org"
RESPONDER = "reponses.caf-61@example.org"       # the team caf-61-experiences
TEXT = "Ma prime d'activité est bloquée depuis trois mois, personne ne me rappelle à l'agence."


def post_experience(stack_url: str, procedure: str) -> None:
    response = requests.post(f"{stack_url}/api/experiences", timeout=10, json={
        "territory_code": "61", "organisation_id": "caf", "situation": "precarite",
        "sentiment": "negative", "procedure": procedure, "text": TEXT,
        "contact_email": "jeanne.martin@example.org"})
    assert response.status_code == 201, response.text


def test_a_moderator_publishes_with_the_keyboard_the_team_answers(page, stack_url):
    marker = uuid.uuid4().hex[:6]
    procedure, refused_procedure = f"Prime d'activité {marker}", f"Allocation logement {marker}"
    post_experience(stack_url, procedure)
    post_experience(stack_url, refused_procedure)

    sign_in(page, stack_url, MODERATOR)
    page.wait_for_url(re.compile(r"/moderation/61$"))
    check_accessibility(page, "i25-01-moderation-file")
    item = page.get_by_role("article", name=re.compile(re.escape(procedure)))
    assert "Réponse personnelle souhaitée" in item.inner_text()
    assert "jeanne.martin" not in page.get_by_role("main").inner_text()

    # A refusal without its reason: said in French, at the top and on the field.
    other = page.get_by_role("article", name=re.compile(re.escape(refused_procedure)))
    other.get_by_role("button", name=re.compile("^Refuser")).click()
    summary = page.get_by_role("alert")
    assert "Choisissez le motif du refus." in summary.inner_text()
    check_accessibility(page, "i25-02-moderation-refus-sans-motif")

    # The keyboard: from the text to publish, Tab to « Publier », Enter.
    item = page.get_by_role("article", name=re.compile(re.escape(procedure)))
    item.get_by_role("textbox", name=re.compile("^Texte à publier")).focus()
    focused = tab_to(page, re.compile(r"^Publier tel quel"), max_tabs=3)
    assert procedure in focused["name"]
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"fait=publiee"))
    assert "L'expérience est publiée" in page.get_by_role("status").inner_text()
    assert procedure not in page.get_by_role("main").inner_text()
    check_accessibility(page, "i25-03-moderation-publiee")
    page.get_by_role("link", name="Réponses à modérer").click()
    page.wait_for_url(re.compile(r"vue=reponses"))
    check_accessibility(page, "i25-04-moderation-reponses")
    sign_out(page)

    sign_in(page, stack_url, RESPONDER)
    page.wait_for_url(re.compile(r"/reponses$"))
    check_accessibility(page, "i25-05-reponses-equipe")
    page.get_by_role("article", name=re.compile(re.escape(procedure))).get_by_role(
        "link", name=re.compile("^Répondre")).click()
    page.wait_for_url(re.compile(r"/reponses/[0-9T]+-[0-9a-f]{6}$"))
    assert "lui sera aussi envoyée directement" in page.get_by_role("main").inner_text()
    page.get_by_role("button", name="Envoyer la réponse à la modération").click()
    assert "Écrivez votre réponse." in page.get_by_role("alert").inner_text()
    check_accessibility(page, "i25-06-reponse-erreur")
    field(page, "Votre réponse").fill("Votre dossier est débloqué : le versement arrive la semaine prochaine.")
    page.get_by_role("button", name="Envoyer la réponse à la modération").click()
    assert "en attente de modération" in page.get_by_role("status").inner_text()
    sign_out(page)

    sign_in(page, stack_url, MODERATOR)
    page.goto(f"{stack_url}/moderation/61?vue=reponses")
    answer = page.get_by_role("article", name=re.compile(re.escape(procedure)))
    assert "le versement arrive la semaine prochaine" in answer.inner_text()
    answer.get_by_role("button", name=re.compile("^Publier tel quel")).click()
    assert "La réponse est publiée" in page.get_by_role("status").inner_text()
