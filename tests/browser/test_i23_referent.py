"""Issue 23, the referent's side, in chromium on the local stack: the contact point on the case
page (9), the hand-back that returns to the queue (10), the queue's « Traités » and « Information
reçue » (11), and « Je m'en occupe », forwarding within the organisation, read receipts and the
directory's names (12). axe-core checks each new page state.

Login links are limited per address: each person signs in once for the module, through the
API, and each test's browser page gets that session's cookie."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import api_sign_in, check_accessibility, outbox_emails

AGENT = "agent.berdhuis@example.org"                     # Mairie de Berd'huis
MARIE = "referent2.61-caf@example.org"                   # « Marie Durand » in demo/users.csv
HOUSING = "referent.61-caf-logement@example.org"         # another group of the CAF de l'Orne
CASE = {"point_id": "61-mairie-berdhuis",
        "usager": {"first_name": "Gaston", "last_name": "Vallée", "phone": "06 22 33 44 55"},
        "situation": "precarite", "description": "La prime d'activité est suspendue.",
        "consent_attested": True}


@pytest.fixture(scope="module")
def sessions(stack_url):
    return {email: api_sign_in(stack_url, email) for email in (AGENT, MARIE)}


def as_(page, stack_url, session) -> None:
    """The browser page signed in as that API session."""
    page.context.clear_cookies()
    page.context.add_cookies([{"name": c.name, "value": c.value, "url": stack_url} for c in session.cookies])


def escalated_case(stack_url, sessions, question: str = "Pouvez-vous rétablir la prime ?") -> str:
    agent = sessions[AGENT]
    created = agent.post(f"{stack_url}/api/cases", json=CASE, timeout=60)
    assert created.status_code == 201, created.text
    ref = created.json()["ref"]
    sent = agent.post(f"{stack_url}/api/cases/{ref}/escalations",
                      json={"group_ids": ["61-caf"], "question": question}, timeout=60)
    assert sent.status_code == 201, sent.text
    return ref


def reply(stack_url, session, ref: str, body: str, **fields) -> None:
    response = session.post(f"{stack_url}/api/cases/{ref}/messages", json={"body": body, **fields}, timeout=60)
    assert response.status_code == 201, response.text


def test_9_the_referent_sees_the_contact_point_its_address_and_phone(page, stack_url, sessions):
    ref = escalated_case(stack_url, sessions)
    as_(page, stack_url, sessions[MARIE])
    page.goto(f"{stack_url}/dossiers/{ref}")
    point = page.get_by_role("region", name="Le point de contact")
    text = point.inner_text()
    assert "Mairie de Berd'huis" in text and "Adresse" in text and "Berd'huis" in text
    phone = point.get_by_role("link", name="02 61 91 00 02")
    assert phone.get_attribute("href") == "tel:0261910002"
    # The request itself is there too: the agent's question.
    assert "Pouvez-vous rétablir la prime ?" in page.get_by_role("main").inner_text()
    check_accessibility(page, "i23-09-referent-dossier-point-de-contact")


def test_10_handing_back_returns_to_the_queue_with_the_confirmation(page, stack_url, sessions):
    ref = escalated_case(stack_url, sessions)
    as_(page, stack_url, sessions[MARIE])
    page.goto(f"{stack_url}/dossiers/{ref}")
    page.locator("label.fr-label", has_text="Je ne suis pas le bon interlocuteur").click()
    page.get_by_role("textbox", name=re.compile("^Votre message")).fill("Voyez plutôt la MSA.")
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_url(re.compile(r"/file\?fait=rendu$"))
    assert "l'agent va saisir un autre organisme" in page.get_by_role("status").inner_text()
    assert "introuvable" not in page.get_by_role("main").inner_text()
    assert page.get_by_role("link", name=ref).count() == 0
    check_accessibility(page, "i23-10-referent-file-apres-renvoi")


def test_11_the_queue_keeps_the_answered_cases_and_marks_information_received(page, stack_url, sessions):
    asked = escalated_case(stack_url, sessions, "Le dossier est-il complet ?")
    reply(stack_url, sessions[MARIE], asked, "Quel est le mois concerné ?", kind="needs_info")
    reply(stack_url, sessions[AGENT], asked, "Le mois d'octobre.", group_id="61-caf")
    answered = escalated_case(stack_url, sessions, "Quand arrive le versement ?")
    reply(stack_url, sessions[MARIE], answered, "Le versement arrive le 5.", kind="answer")

    as_(page, stack_url, sessions[MARIE])
    page.goto(f"{stack_url}/file")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=asked))
    assert "Information reçue" in row.text_content()          # (the badge's CSS writes it in capitals)
    assert page.get_by_role("link", name=answered).count() == 0      # no longer to do
    check_accessibility(page, "i23-11-referent-file-information-recue")

    page.get_by_role("link", name="Traités").click()
    page.wait_for_url(re.compile(r"vue=traites"))
    assert page.get_by_role("link", name="Traités").get_attribute("aria-current") == "page"
    history = page.get_by_role("region", name=re.compile("^Répondues"))
    assert history.get_by_role("link", name=answered).is_visible()
    assert history.get_by_role("columnheader", name="Répondu le").is_visible()
    check_accessibility(page, "i23-11-referent-file-traites")


def test_12_je_m_en_occupe_and_the_read_receipt_are_shown_to_the_agent_by_name(page, browser, stack_url, sessions):
    ref = escalated_case(stack_url, sessions)
    as_(page, stack_url, sessions[AGENT])
    page.goto(f"{stack_url}/dossiers/{ref}")
    assert "Pas encore consultée par le partenaire" in page.get_by_role("main").inner_text()

    as_(page, stack_url, sessions[MARIE])
    page.goto(f"{stack_url}/dossiers/{ref}")                          # the read receipt, once
    page.get_by_role("button", name="Je m'en occupe").click()
    assert "l'agent voit que vous vous en occupez" in page.get_by_role("status").inner_text()
    assert page.get_by_role("button", name="Je m'en occupe").count() == 0
    check_accessibility(page, "i23-12-referent-pris-en-charge")

    as_(page, stack_url, sessions[AGENT])                              # still waiting: « Pris en charge »
    page.goto(f"{stack_url}/tableau-de-bord?vue=en-attente")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=ref))
    assert "Pris en charge par le partenaire" in row.text_content()
    check_accessibility(page, "i23-12-agent-tableau-de-bord-pris-en-charge")

    as_(page, stack_url, sessions[MARIE])
    page.goto(f"{stack_url}/dossiers/{ref}")
    page.get_by_role("textbox", name=re.compile("^Votre message")).fill("Je regarde et reviens vers vous.")
    page.locator("label.fr-label", has_text="Il me manque des informations").click()
    page.get_by_role("button", name="Envoyer").click()

    as_(page, stack_url, sessions[AGENT])
    page.goto(f"{stack_url}/dossiers/{ref}")
    card = page.locator(".fr-card", has_text="CAF de l'Orne")
    text = card.inner_text()
    assert re.search(r"Consultée le \d\d/\d\d/\d{4} à \d\d:\d\d par Marie Durand, CAF de l'Orne", text)
    assert "Pris en charge par Marie Durand, CAF de l'Orne" in text
    # The thread names the referent from the directory, never from the address.
    thread = page.locator("#echanges").inner_text()
    assert "Marie Durand, CAF de l'Orne" in thread and "Referent" not in thread
    check_accessibility(page, "i23-12-agent-dossier-consulte-pris-en-charge")
    page.goto(f"{stack_url}/tableau-de-bord?vue=informations-demandees")   # asked: in its own tab
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=ref))
    assert "Informations demandées" in row.text_content()


def test_12_a_referent_forwards_to_another_group_of_the_caf(page, stack_url, sessions):
    ref = escalated_case(stack_url, sessions)
    as_(page, stack_url, sessions[MARIE])
    page.goto(f"{stack_url}/dossiers/{ref}")
    form = page.get_by_role("region", name="Transmettre à un autre service")
    form.get_by_role("button", name="Transmettre").click()              # nothing chosen: a French error
    assert "Choisissez le groupe" in page.get_by_role("alert").inner_text()
    check_accessibility(page, "i23-12-referent-transfert-erreur")
    select = page.get_by_label("Groupe de votre organisme")
    assert "CPAM" not in select.inner_text()                           # the same organisation only
    select.select_option(label="CAF de l'Orne – aides au logement")
    page.get_by_role("region", name="Transmettre à un autre service").get_by_role("button", name="Transmettre").click()
    page.wait_for_url(re.compile(r"/file\?fait=transmis$"))
    assert "La demande est transmise" in page.get_by_role("status").inner_text()
    check_accessibility(page, "i23-12-referent-file-apres-transfert")
    [mail] = [m for m in outbox_emails(stack_url, HOUSING) if f"[Relais {ref}]" in m["subject"]]
    assert "Demande d'un usager" in mail["subject"]

    as_(page, stack_url, sessions[AGENT])
    page.goto(f"{stack_url}/dossiers/{ref}")
    main = page.get_by_role("main").inner_text()
    assert "Transmise à CAF de l'Orne – aides au logement" in main
    assert "Transmise par CAF de l'Orne." in main
