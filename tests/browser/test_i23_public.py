"""Issue 23, points 16 to 18, in chromium on the local stack: the public pages every French
public site has (linked from every footer), small screens without JavaScript (320 px, and
640 px for a 1280 px screen at 200 % zoom), and the wording of the public results.
axe-core checks each new page state (zero violations)."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import api_sign_in, check_accessibility

# Login links are limited to 5 per address per quarter hour: addresses the other tests spare,
# signed in once each for the module (through the JSON API, the cookie handed to chromium).
AGENT = "agent.hotel-de-ville-bethune@example.org"
REFERENT = "referent.62-caf@example.org"
COORDINATOR = "coordination.62@example.org"       # the longest name in a header
ADMIN = "admin@example.org"
FOOTER_PAGES = {"/accessibilite": "Déclaration d'accessibilité", "/mentions-legales": "Mentions légales",
                "/donnees-personnelles": "Données personnelles", "/aide": "Aide : utiliser Relais"}
# A usager's request that no line can break on its own: a long word, long identifiers.
LONG_WORD = "Renouvellement-de-la-complémentaire-santé-solidaire-et-de-l'allocation-logement"
CASE = {"point_id": "62-hotel-de-ville-bethune",
        "usager": {"first_name": "Marie-Françoise-Bernadette", "last_name": "Delacroix-Vandenberghe-Lefebvre",
                   "phone": "06 12 34 56 79", "email": "marie-francoise.delacroix-vandenberghe@example.org"},
        "situation": "precarite", "description": f"{LONG_WORD} : les versements sont suspendus.",
        "consent_attested": True}
ESCALATION = {"group_ids": ["62-caf"], "question": f"{LONG_WORD} ?",
              "identifiers": {"caf_number": "1234567", "nir": "269054958815780",
                              "tax_number": "1234567890123", "france_travail_id": "1234567A"}}
# The page's width, and (to say where) the elements that reach past the window, outside any
# frame that scrolls on its own (a data table scrolls inside its frame: allowed).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolled = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getClientRects().length && el.getBoundingClientRect().right > width + 1 && !scrolled(el))
    .map(el => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
  return {scroll: document.documentElement.scrollWidth, client: width, wide: wide.slice(0, 8)};
}"""


@pytest.fixture(scope="module")
def sessions(stack_url):
    return {email: api_sign_in(stack_url, email) for email in (AGENT, REFERENT, COORDINATOR, ADMIN)}


@pytest.fixture(scope="module")
def case_ref(stack_url, sessions) -> str:
    agent = sessions[AGENT]
    created = agent.post(f"{stack_url}/api/cases", json=CASE, timeout=10)
    assert created.status_code == 201, created.text
    ref = created.json()["ref"]
    escalated = agent.post(f"{stack_url}/api/cases/{ref}/escalations", json=ESCALATION, timeout=10)
    assert escalated.status_code in (200, 201), escalated.text
    return ref


def small_screen(browser, stack_url, session=None, width: int = 320):
    """A browser context without JavaScript, `width` px wide, signed in with that session."""
    context = browser.new_context(locale="fr-FR", java_script_enabled=False,
                                  viewport={"width": width, "height": 800})
    if session is not None:
        context.add_cookies([{"name": name, "value": value, "url": stack_url}
                             for name, value in session.cookies.items()])
    return context


def assert_fits(page, what: str) -> None:
    for summary in page.locator("details:not([open]) > summary").all():
        summary.click()                     # what folds out must fit too (no JavaScript needed)
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["client"], \
        f"{what} overflows at {found['client']} px: scrollWidth {found['scroll']}, wider elements: {found['wide']}"


# --- point 16: the mandatory pages -------------------------------------------------------------

def test_the_mandatory_pages_are_public_and_in_every_footer(page, stack_url):
    page.goto(f"{stack_url}/connexion")
    footer = page.get_by_role("contentinfo")
    assert footer.get_by_role("link", name="Accessibilité : non conforme").is_visible()
    for path, heading in FOOTER_PAGES.items():
        page.goto(f"{stack_url}/connexion")
        link = page.get_by_role("contentinfo").locator(f'a.fr-footer__bottom-link[href="{path}"]')
        assert link.count() == 1, f"no footer link to {path}"
        link.click()
        page.wait_for_url(f"{stack_url}{path}")
        assert page.get_by_role("heading", level=1).inner_text() == heading
        check_accessibility(page, f"i23-public{path.replace('/', '-')}")


def test_the_accessibility_statement_says_what_was_checked_and_the_recourse(page, stack_url):
    page.goto(f"{stack_url}/accessibilite")
    text = page.get_by_role("main").inner_text()
    assert "Relais est non conforme avec le référentiel général d'amélioration de l'accessibilité (RGAA), version 4.1" in text
    assert "Aucun audit de conformité n'a encore été réalisé" in text
    assert "axe-core" in text and "Limites connues" in text
    assert "Défenseur des droits" in text and "Libre réponse 71120" in text
    assert page.get_by_role("link", name="contact@relais.example.org").is_visible()


def test_the_legal_notice_names_the_editor_and_the_host(page, stack_url):
    page.goto(f"{stack_url}/mentions-legales")
    text = page.get_by_role("main").inner_text()
    assert "programme Services Publics+" in text and "Direction interministérielle de la transformation publique" in text
    assert "Amazon Web Services" in text and "Europe (Paris), en France" in text and "eu-west-3" in text


def test_personal_data_gives_the_retention_periods_the_rights_and_the_cnil(page, stack_url):
    page.goto(f"{stack_url}/donnees-personnelles")
    table = page.get_by_role("table", name="Ce que Relais garde, et combien de temps")
    periods = table.inner_text()
    assert "puis 6 mois après sa clôture" in periods           # RELAIS_RETENTION_MONTHS
    assert "24 mois après leur envoi" in periods               # RELAIS_FEEDBACK_RETENTION_MONTHS
    assert "Le lien vaut 20 minutes" in periods and "la session dure 12 heures au plus" in periods
    text = page.get_by_role("main").inner_text()
    for right in ("droit d'accès", "de rectification", "d'effacement", "droit d'opposition"):
        assert right in text
    assert "adressez-vous à l'agent du point d'accueil" in text
    assert page.get_by_role("link", name="dpd@relais.example.org").is_visible()
    assert "réclamation à la Commission nationale de l'informatique et des libertés (CNIL)" in text


def test_help_explains_each_role(page, stack_url):
    page.goto(f"{stack_url}/aide")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    for role in ("agent d'un point d'accueil", "référent d'un organisme partenaire",
                 "usager et suivez votre demande par SMS", "coordinateur d'un territoire"):
        assert any(role in heading for heading in headings), headings
    assert "4 jours ouvrés" in page.get_by_role("main").inner_text()


# --- point 17: small screens, without JavaScript ---------------------------------------------

SMALL_SCREEN_PAGES = {None: ["/connexion", "/resultats", "/resultats?territoire=62", *FOOTER_PAGES,
                            "/experiences", "/experiences/nouvelle"],
                      AGENT: ["/tableau-de-bord", "/dossiers/{ref}", "/nouveau-dossier", "/recherche",
                              "/experiences/guichet"],
                      REFERENT: ["/file", "/dossiers/{ref}"],
                      COORDINATOR: ["/territoire", "/territoire/rapport"],
                      ADMIN: ["/annuaire"]}


@pytest.mark.parametrize("email", SMALL_SCREEN_PAGES, ids=lambda email: (email or "signed-out").split("@")[0])
def test_at_320_px_without_javascript_logout_is_reachable_and_nothing_overflows(browser, stack_url, sessions,
                                                                             case_ref, email):
    for width in (320, 640):                # 640: a 1280 px screen at 200 % zoom
        context = small_screen(browser, stack_url, sessions.get(email), width)
        page = context.new_page()
        try:
            for path in (p.format(ref=case_ref) for p in SMALL_SCREEN_PAGES[email]):
                page.goto(f"{stack_url}{path}")
                assert page.url.endswith(path), f"{email}: {path} led to {page.url}"
                assert_fits(page, f"{path} ({email or 'signed out'})")
                if email:
                    logout = page.get_by_role("button", name="Se déconnecter")
                    assert logout.count() == 1 and logout.is_visible(), \
                        f"« Se déconnecter » is not visible on {path} at {width} px without JavaScript"
        finally:
            context.close()
    if email == COORDINATOR:               # axe needs JavaScript: the same page state, with it
        context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 800})
        context.add_cookies([{"name": name, "value": value, "url": stack_url}
                             for name, value in sessions[email].cookies.items()])
        try:
            page = context.new_page()
            page.goto(f"{stack_url}/territoire/rapport")
            check_accessibility(page, "i23-public-320-rapport")
        finally:
            context.close()


def test_at_320_px_without_javascript_the_agent_signs_out(browser, stack_url, sessions):
    """Last of the small-screen tests: it ends the agent's session."""
    context = small_screen(browser, stack_url, sessions[AGENT])
    page = context.new_page()
    try:
        page.goto(f"{stack_url}/tableau-de-bord")
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(re.compile(r"/connexion"))
        page.goto(f"{stack_url}/tableau-de-bord")
        assert "/connexion" in page.url
    finally:
        context.close()


# --- point 18: the results pages ---------------------------------------------------------------

def test_a_withheld_figure_is_explained_and_read_without_aria_on_a_span(page, stack_url):
    page.goto(f"{stack_url}/resultats")
    main = page.get_by_role("main")
    assert "—" in main.inner_text()                              # no quarter has 5 cases yet
    legend = main.locator(".relais-legend").first
    assert legend.is_visible()
    assert legend.inner_text().startswith("« — » : chiffre non publié, parce qu'il repose sur moins de 5 dossiers")
    assert page.locator("span[aria-label]").count() == 0
    assert main.locator(".fr-sr-only", has_text="non publié").count() >= 1
    check_accessibility(page, "i23-public-resultats")


def test_delays_cannot_be_read_as_a_time_of_day(page, stack_url):
    page.goto(f"{stack_url}/resultats")
    text = page.get_by_role("main").inner_text()
    assert not re.search(r"\d+ h au plus|plus de \d+ h\b", text), text
    assert "« 8 heures ouvrées au plus »" in text


def test_departements_are_in_french_order(page, stack_url):
    page.goto(f"{stack_url}/resultats")
    names = page.locator("#territoire option").all_inner_texts()
    assert names.index("Ardèche (07)") < names.index("Ardennes (08)")


def test_a_departement_without_a_point_says_so(page, stack_url):
    page.goto(f"{stack_url}/resultats")
    page.locator("#territoire").select_option("07")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"territoire=07"))
    section = page.get_by_role("region", name="Points de contact : Ardèche")
    assert "Aucun point d'accueil dans ce département pour l'instant." in section.inner_text()
    check_accessibility(page, "i23-public-resultats-ardeche")
