"""Issue 25, Services Publics+ experiences, the public pages in chromium on the local stack: a
usager posts one with the keyboard only (the errors first, then the confirmation naming what
was taken out), the published list and its filters, one experience, the desk form. axe-core
checks each page state (zero violations)."""
from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest

from tests.browser.conftest import STACK_TABLE, check_accessibility, sign_in, tab_to
from tests.clock import STACK_INSTANT

MODERATOR = "moderation.61@example.org"
AGENT = "agent.victor-hugo@example.org"     # an address the other browser tests spare (login links)
STORY = ("Ma prime d'activité est bloquée depuis trois mois. J'ai appelé au 06 12 34 56 78 "
         "sans réponse de personne.")


def publish(endpoint: str, marker: str) -> dict[str, str]:
    """Two experiences posted and published through the services on the stack's table (the
    moderation pages are another slice), one of them answered: {organisation: id}."""
    from chalicelib import bootstrap, config
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.commands import ExperienceModeration, ExperiencePost
    from chalicelib.domain.models import Role
    from chalicelib.services import experiences
    from devtools import stack

    publish_it = ExperienceModeration(decision="publish")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**stack.LOCAL_CREDENTIALS, "RELAIS_DYNAMODB_ENDPOINT": endpoint,
                            "RELAIS_TABLE": STACK_TABLE, "RELAIS_STAGE": "dev"}.items():
            patch.setenv(name, value)
        patch.delenv("RELAIS_AWS_EMULATION", raising=False)
        config.reset()
        try:
            at = datetime.fromisoformat(STACK_INSTANT)
            deps = bootstrap.Deps(config.settings(), clock=lambda: at)
            moderator = Principal.of(deps.repo.get_user_by_email(MODERATOR))
            found = {}
            for organisation, sentiment, text in (
                    ("caf", "negative", f"Mon dossier {marker} attend depuis deux mois sans nouvelles."),
                    ("cpam", "positive", f"Carte Vitale {marker} refaite en une seule visite, merci.")):
                posted = experiences.post_public(deps, ExperiencePost(
                    territory_code="61", organisation_id=organisation, situation="sante", sentiment=sentiment,
                    procedure=f"Démarche {marker}", text=text, contact_email="jeanne@example.org"),
                    client_address=f"browser-{marker}-{organisation}")
                experiences.moderate(deps, moderator, posted.id, publish_it)
                found[organisation] = posted.id
            caf = Principal("caf-61", Role.RESPONDER, group_ids=frozenset({"caf-61-experiences"}))
            experiences.answer(deps, caf, found["caf"], "Votre dossier est traité depuis ce matin.")
            experiences.moderate_answer(deps, moderator, found["caf"], publish_it)
        finally:
            config.reset()
            bootstrap.reset()
    return found


def test_a_usager_posts_an_experience_with_the_keyboard_only(page, stack_url):
    page.goto(f"{stack_url}/experiences")
    footer = page.get_by_role("contentinfo")
    assert footer.get_by_role("link", name="Les expériences des usagers").count() == 1
    tab_to(page, "Raconter votre expérience")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/experiences/nouvelle$"))
    check_accessibility(page, "i25-experience-formulaire")

    tab_to(page, "Envoyer mon expérience")
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert")
    assert "Choisissez le département dans la liste." in summary.inner_text()
    assert "Racontez ce qui s'est passé en 20 caractères au moins." in summary.inner_text()
    check_accessibility(page, "i25-experience-formulaire-erreurs")

    tab_to(page, "Département concerné")
    page.keyboard.type("61")                              # a closed select picks by typing
    assert page.locator("#territory_code").input_value() == "61"
    tab_to(page, "Organisme concerné")
    page.keyboard.type("Caisse d")
    assert page.locator("#organisation_id").input_value() == "caf"
    tab_to(page, "Démarche concernée")
    page.keyboard.type("Prime d'activité")
    tab_to(page, "Situation de vie")
    page.keyboard.type("Je tombe")
    assert page.locator("#situation").input_value() == "precarite"
    tab_to(page, re.compile("^Positive"))
    page.keyboard.press("ArrowRight")                     # the next radio of the group: Négative
    assert page.locator("#sentiment-negative").is_checked()
    tab_to(page, "Ce qui s'est passé")
    page.keyboard.type(STORY)
    focused = tab_to(page, "Adresse e-mail")
    page.keyboard.type("jeanne.martin@example.org")
    focused = tab_to(page, "Envoyer mon expérience")
    assert focused["tag"] == "button"                     # the honeypot was never on the way
    assert page.locator("#site_internet").input_value() == ""
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/experiences/nouvelle\?fait=envoyee"))
    assert "Un modérateur va la lire avant sa publication" in page.get_by_role("status").inner_text()
    assert "numéro de téléphone" in page.get_by_role("main").inner_text()
    check_accessibility(page, "i25-experience-envoyee")


def test_the_published_list_its_filters_and_one_experience(page, stack_url, stack_dynamodb):
    marker = uuid.uuid4().hex[:6]
    published = publish(stack_dynamodb, marker)
    page.goto(f"{stack_url}/experiences")
    main = page.get_by_role("main")
    assert f"Démarche {marker}" in main.inner_text() and "jeanne@example.org" not in main.inner_text()
    answered = page.get_by_role("article", name=re.compile(f"Caisse d'allocations familiales – Démarche {marker}"))
    assert "Réponse de Caisse d'allocations familiales (niveau départemental)" in answered.inner_text()
    check_accessibility(page, "i25-experiences-liste")

    page.get_by_role("combobox", name="Organisme").select_option(label="Caisse primaire d'assurance maladie")
    page.get_by_role("textbox", name=re.compile("^Démarche")).fill(f"Démarche {marker}")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url(re.compile(r"organisme=cpam"))
    articles = page.get_by_role("article")
    assert articles.count() == 1 and "Carte Vitale" in articles.first.inner_text()
    check_accessibility(page, "i25-experiences-filtrees")

    page.goto(f"{stack_url}/experiences?territoire=00")
    assert "Ce département n'existe pas" in page.get_by_role("alert").inner_text()
    check_accessibility(page, "i25-experiences-filtre-refuse")

    page.goto(f"{stack_url}/experiences")
    page.get_by_role("link", name=re.compile(f"Caisse d'allocations familiales – Démarche {marker}")).click()
    page.wait_for_url(re.compile(f"/experiences/{published['caf']}$"))
    assert "Votre dossier est traité depuis ce matin." in page.get_by_role("main").inner_text()
    check_accessibility(page, "i25-experience")


def test_an_agent_has_the_desk_form(page, stack_url):
    sign_in(page, stack_url, AGENT)
    page.goto(f"{stack_url}/experiences/guichet")
    assert "Recueillie au guichet" in page.get_by_role("main").inner_text()
    check_accessibility(page, "i25-experience-guichet")
