"""Issue 23, points 4 and 5, in chromium on the local stack: closing a case is reachable
without going through the partner list, a refused form puts the keyboard on its error summary,
listed in the form's order; SMS consent is never ticked in advance, a usager without a phone
can be registered, and the new case form says what the partner will and will not see."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import check_accessibility, sign_in, tab_to
from tests.browser.test_demo_flow import choose, field
from tests.clock import STACK_INSTANT

pytestmark = pytest.mark.instant(STACK_INSTANT)

# Login links are limited to 5 per address per quarter hour: each test signs in once, as its own agent.
CLOSING_AGENT = "agent.mortagne@example.org"
CONSENT_AGENT = "agent.val-au-perche@example.org"

# The summary's links, and whether their targets come in the page's order.
SUMMARY = """() => {
  const links = Array.from(document.querySelectorAll('#erreurs a[href^="#"]'));
  const targets = links.map(a => document.getElementById(a.getAttribute('href').slice(1)));
  const ordered = targets.every((t, i) => t && (i === 0 ||
      (targets[i - 1].compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING)));
  return {hrefs: links.map(a => a.getAttribute('href')), ordered: ordered};
}"""


def focused_id(page) -> str | None:
    return page.evaluate("document.activeElement && document.activeElement.id")


def open_case(page, stack_url, first_name: str, phone: str | None) -> str:
    page.goto(f"{stack_url}/nouveau-dossier")
    field(page, "Prénom").fill(first_name)
    field(page, "Nom").fill("Essai")
    if phone:
        field(page, "Téléphone").fill(phone)
    choose(page, "Je tombe dans la précarité financière")
    field(page, "La demande").fill("L'aide au logement n'est plus versée.")
    choose(page, "J'atteste que l'usager m'a donné son accord")
    page.get_by_role("button", name="Créer le dossier").click()
    page.wait_for_url(re.compile(r"/dossiers/61-"))
    return re.search(r"/dossiers/([0-9A-Z-]+)", page.url).group(1)


def test_point_4_closing_comes_before_the_partner_list_and_errors_take_the_focus(page, stack_url):
    sign_in(page, stack_url, CLOSING_AGENT)

    # The new case form, sent empty: the summary has the focus, its links in the form's order.
    page.goto(f"{stack_url}/nouveau-dossier")
    page.get_by_role("button", name="Créer le dossier").click()
    page.wait_for_load_state()
    assert focused_id(page) == "erreurs"
    summary = page.evaluate(SUMMARY)
    assert summary["ordered"] and summary["hrefs"][0] == "#usager-first_name", summary
    check_accessibility(page, "i23-4-nouveau-dossier-erreurs")

    ref = open_case(page, stack_url, "Closinde", "06 55 44 33 22")
    # On an open case the territory's 15 partners are offered: closing comes before them.
    assert page.locator("#group_ids input[type=checkbox]").count() >= 15
    closing = page.get_by_role("heading", name="Clore le dossier").bounding_box()
    partners = page.get_by_role("heading", name="Saisir un organisme").bounding_box()
    assert closing["y"] < partners["y"], (closing, partners)
    # And by keyboard: a skip link, then the form's first choice.
    page.goto(f"{stack_url}/dossiers/{ref}")
    reached = tab_to(page, "Clore le dossier", max_tabs=3)
    assert reached["tag"] == "a"
    page.keyboard.press("Enter")
    assert tab_to(page, "Réglée au guichet", max_tabs=1)["role"] == "radio"
    check_accessibility(page, "i23-4-dossier-ouvert")

    # Closing with nothing chosen: the summary takes the focus, the issue before the usefulness.
    page.get_by_role("button", name="Clore le dossier").click()
    page.wait_for_load_state()
    assert focused_id(page) == "erreurs"
    summary = page.evaluate(SUMMARY)
    assert summary["hrefs"] == ["#outcome", "#useful"] and summary["ordered"], summary
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Choisissez l'issue de la demande."
    check_accessibility(page, "i23-4-cloture-erreurs")


def test_point_5_consent_is_an_act_and_a_usager_may_have_no_phone(page, stack_url):
    sign_in(page, stack_url, CONSENT_AGENT)
    page.goto(f"{stack_url}/nouveau-dossier")
    assert not page.locator("#usager-sms_opt_in").is_checked()
    assert page.get_by_role("textbox", name=re.compile("^Téléphone")).get_attribute("required") is None
    said = page.locator("#ce-que-voit-le-partenaire").inner_text()
    assert "la demande et votre question" in said
    assert re.search(r"ne verra jamais :\s*le téléphone et l'adresse e-mail de l'usager", said)
    check_accessibility(page, "i23-5-nouveau-dossier")

    # SMS consent with no phone: a clear error on the phone field, the summary focused.
    field(page, "Prénom").fill("Sansfil")
    field(page, "Nom").fill("Essai")
    choose(page, "L'usager accepte de suivre sa demande par SMS")
    choose(page, "Je tombe dans la précarité financière")
    field(page, "La demande").fill("L'aide au logement n'est plus versée.")
    choose(page, "J'atteste que l'usager m'a donné son accord")
    page.get_by_role("button", name="Créer le dossier").click()
    page.wait_for_load_state()
    assert focused_id(page) == "erreurs"
    assert "numéro de portable" in page.locator("#usager-phone-erreur").inner_text()
    check_accessibility(page, "i23-5-sms-sans-telephone")

    # Without SMS, the usager is registered without a phone, and the case says so.
    choose(page, "L'usager accepte de suivre sa demande par SMS")      # kept ticked: untick it
    page.get_by_role("button", name="Créer le dossier").click()
    page.wait_for_url(re.compile(r"/dossiers/61-"))
    assert "Pas de téléphone : l'usager sera recontacté par le point" in page.get_by_role("main").inner_text()
    check_accessibility(page, "i23-5-dossier-sans-telephone")
