"""The demo flow in a real browser, on the local stack that `make run` starts: an agent
creates a case and escalates it, attaches a document, a referent answers on the web, the
agent closes the case. axe-core checks every page on the way (zero violations), each one is
saved as a screenshot in test-artifacts/screenshots/, and the console must stay free of CSP
violations and script errors (the `page` fixture)."""
from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from tests.browser.conftest import check_accessibility, outbox_emails, sign_in, tab_to

# Login links are limited to 5 per address per quarter hour: each test signs in as its own agent.
AGENT = "agent.bretoncelles@example.org"
REFERENT = "referent.61-caf@example.org"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def choose(scope, label: str) -> None:
    """Tick a DSFR radio or checkbox as a user does: by clicking its label (the input is drawn over)."""
    scope.locator("label.fr-label", has_text=label).first.click()


def field(scope, label_start: str):
    """The text field whose label starts so ("Nom" is not "Prénom", "La demande" not its hint)."""
    return scope.get_by_role("textbox", name=re.compile("^" + re.escape(label_start)))


def sign_out(page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/connexion\?fait=deconnecte$"))


def test_an_agent_escalates_a_referent_answers_the_agent_closes(page, stack_url, tmp_path):
    sign_in(page, stack_url, AGENT)
    assert page.url.endswith("/tableau-de-bord")
    check_accessibility(page, "01-agent-tableau-de-bord")

    page.get_by_role("main").get_by_role("link", name="Nouveau dossier").click()
    check_accessibility(page, "02-agent-nouveau-dossier")
    page.get_by_role("button", name="Créer le dossier").click()
    summary = page.get_by_role("alert")
    assert "Indiquez le prénom de l'usager" in summary.inner_text()
    check_accessibility(page, "03-agent-nouveau-dossier-erreurs")

    field(page, "Prénom").fill("Lucien")
    field(page, "Nom").fill("Perrin")
    field(page, "Téléphone").fill("06 98 76 54 32")
    choose(page, "Je tombe dans la précarité financière")
    field(page, "La demande").fill("Le RSA n'est plus versé depuis la mise à jour de sa situation.")
    choose(page, "J'atteste que l'usager m'a donné son accord")
    choose(page, "CAF de l'Orne")
    field(page, "Votre question au partenaire").fill("Pouvez-vous débloquer le versement ?")
    page.get_by_role("button", name="Créer le dossier").click()
    page.wait_for_url(re.compile(r"/dossiers/61-"))
    ref = re.search(r"/dossiers/([0-9A-Z-]+)", page.url).group(1)
    assert "Lucien" not in page.url and "Perrin" not in page.title()
    assert "Le dossier est transmis" in page.get_by_role("status").inner_text()
    # The deadline is the end of its day: "au plus tard le", never "avant le" (a day early).
    main_text = page.get_by_role("main").inner_text()
    assert "Réponse attendue au plus tard le" in main_text and "avant le" not in main_text
    check_accessibility(page, "04-agent-dossier-transmis")

    upload = tmp_path / "avis.pdf"
    upload.write_bytes(PDF)
    field(page, "Titre du document").fill("Attestation de la CAF")
    page.locator("select[name='x-amz-meta-group']").select_option(label="CAF de l'Orne")
    page.locator("input[type=file][name=file]").set_input_files(str(upload))
    page.get_by_role("button", name="Envoyer le document").click()
    page.wait_for_url(re.compile(rf"/dossiers/{ref}"))
    assert "Le document a été ajouté au dossier" in page.get_by_role("status").inner_text()
    sign_out(page)

    sign_in(page, stack_url, REFERENT)
    assert page.url.endswith("/file")
    # (one table per section that has requests: other tests' cases may fill more than one)
    assert page.get_by_role("columnheader", name="À traiter au plus tard le").first.is_visible()
    [escalation_mail] = [m for m in outbox_emails(stack_url, REFERENT)
                         if m["subject"].startswith(f"[Relais {ref}] Demande d'un usager")]
    assert "à traiter au plus tard le" in escalation_mail["subject"] and "avant le" not in escalation_mail["text"]
    check_accessibility(page, "05-referent-file")
    page.get_by_role("link", name=ref).click()
    check_accessibility(page, "06-referent-dossier")
    download = page.get_by_role("link", name=re.compile("Télécharger Attestation de la CAF"))
    response = page.request.get(urljoin(page.url, download.get_attribute("href")))
    assert response.ok and response.body() == PDF
    field(page, "Votre message").fill("Le versement est relancé : il arrivera le 5 du mois.")
    page.get_by_role("button", name="Envoyer").click()
    assert "Votre réponse a été ajoutée" in page.get_by_role("status").inner_text()
    sign_out(page)
    # The agent's email names the partner and gives the answer's first lines, not the usager.
    [answered] = [m for m in outbox_emails(stack_url, AGENT) if m["subject"] == f"[Relais {ref}] CAF de l'Orne a répondu"]
    assert "Début du message :\nLe versement est relancé : il arrivera le 5 du mois." in answered["text"]
    assert not {"Lucien", "Perrin"} & set(re.findall(r"\w+", answered["text"] + answered["html"]))

    sign_in(page, stack_url, AGENT)
    page.get_by_role("link", name="Réponse reçue, à clore").click()
    page.get_by_role("link", name=ref).click()
    assert "Le versement est relancé" in page.get_by_role("main").inner_text()
    choose(page, "Réglée avec un partenaire")
    choose(page.locator("#useful"), "Oui")
    page.get_by_role("button", name="Clore le dossier").click()
    assert "Le dossier est clos" in page.get_by_role("status").inner_text()
    check_accessibility(page, "07-agent-dossier-clos")

    page.get_by_role("link", name="Rechercher un dossier").click()
    field(page, "Référence ou nom de l'usager").fill("perrin")
    page.get_by_role("button", name="Rechercher").click()
    assert page.get_by_role("link", name=ref).is_visible()
    assert "perrin" not in page.url.lower()
    check_accessibility(page, "08-agent-recherche")


def test_a_case_is_created_with_the_keyboard_alone(page, stack_url):
    sign_in(page, stack_url, "agent.remalard@example.org")
    page.goto(f"{stack_url}/nouveau-dossier")
    for label, value in [("Prénom", "Odette"), ("Nom", "Lebrun"), ("Téléphone", "06 11 22 33 44")]:
        tab_to(page, re.compile(rf"^{label}\b"))
        page.keyboard.type(value)
    tab_to(page, "Je prépare ma retraite")
    page.keyboard.press("Space")
    tab_to(page, "La demande")
    page.keyboard.type("Relevé de carrière incomplet.")
    tab_to(page, "J'atteste que l'usager")
    page.keyboard.press("Space")
    tab_to(page, "CARSAT")
    page.keyboard.press("Space")
    tab_to(page, "Créer le dossier")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/dossiers/61-"))
    assert "Le dossier est transmis" in page.get_by_role("status").inner_text()
    # The skip link comes first: one Tab and Enter reach the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Contenu"


@pytest.mark.parametrize("email, path, name", [
    ("coordination.61@example.org", "/territoire", "09-coordinateur-territoire"),
    ("admin@example.org", "/annuaire", "10-admin-annuaire"),
])
def test_the_other_roles_pages_are_accessible(page, stack_url, email, path, name):
    sign_in(page, stack_url, email)
    assert page.url.endswith(path)
    check_accessibility(page, name)


def test_the_admin_previews_a_csv_before_applying_it(page, stack_url, tmp_path):
    sign_in(page, stack_url, "admin@example.org")
    csv_file = tmp_path / "points.csv"
    csv_file.write_text("id;territory_code;name;kind;phone;address\n"
                        "61-mairie-moutiers;61;Mairie de Moutiers-au-Perche;mairie;;Moutiers\n",
                        encoding="cp1252")
    choose(page, "Points de contact")
    page.get_by_label("Fichier CSV").set_input_files(str(csv_file))
    page.get_by_role("button", name="Voir l'aperçu").click()
    assert "1 à créer" in page.get_by_role("main").inner_text()
    check_accessibility(page, "11-admin-apercu")
    page.get_by_role("button", name="Appliquer l'import").click()
    assert "est appliqué : l'annuaire est à jour. Lignes : 1 créée" in page.get_by_role("status").inner_text()


def test_choosing_a_situation_brings_its_usual_partners_first(page, stack_url):
    sign_in(page, stack_url, "agent.mortagne@example.org")
    page.goto(f"{stack_url}/nouveau-dossier")
    organisations = page.locator("#group_ids .fr-checkbox-group label")
    assert organisations.first.inner_text().startswith("Anah")           # alphabetical at first
    choose(page, "Je prépare ma retraite")
    assert organisations.nth(0).inner_text().startswith("CARSAT Normandie")
    assert organisations.nth(1).inner_text().startswith("MSA")
    assert "Souvent saisi pour cette situation" in organisations.nth(0).inner_text()
    choose(page, "J'ai une question sur mes impôts")
    assert organisations.nth(0).inner_text().startswith("Direction départementale des finances publiques")
    assert "Souvent saisi" not in organisations.nth(1).inner_text()


def test_the_small_pages_are_accessible_too(page, stack_url):
    page.goto(f"{stack_url}/connexion/{'x' * 43}")
    check_accessibility(page, "12-connexion-lien")
    page.goto(f"{stack_url}/dossiers/61-AAA-AAA")
    assert "Connectez-vous pour voir ce dossier" in page.get_by_role("heading", level=1).inner_text()
    check_accessibility(page, "13-dossier-connexion")
    sign_in(page, stack_url, "agent.val-au-perche@example.org")
    page.goto(f"{stack_url}/annuaire")
    check_accessibility(page, "14-acces-reserve")
    page.goto(f"{stack_url}/dossiers/61-AAA-AAA")
    assert page.get_by_role("heading", level=1).inner_text() == "Dossier introuvable"
    check_accessibility(page, "15-dossier-introuvable")


def test_the_public_results_and_the_quarterly_report_are_accessible(page, stack_url):
    page.goto(f"{stack_url}/resultats?territoire=61")
    assert page.get_by_role("heading", level=1).inner_text() == "Les résultats de Services Publics+"
    check_accessibility(page, "16-resultats-publics")
    sign_in(page, stack_url, "coordination.62@example.org")
    page.get_by_role("link", name="Rapport trimestriel").click()
    assert "Rapport trimestriel" in page.get_by_role("heading", level=1).inner_text()
    check_accessibility(page, "17-rapport-trimestriel")
