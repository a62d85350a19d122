"""Issue 25, « Results on the wall », in chromium on the local stack: a point's A4 poster and a
territory's posters, reached from /resultats, axe-checked (zero violations), printed (print
media: only the posters, one a page, as chromium's own PDF shows), usable with the keyboard and
without JavaScript.

The demo's previous quarter (2026-T3: the stack runs in November 2026) publishes the town hall
of Béthune: 6 cases, one solved at the desk; its small neighbours are withheld."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import api_sign_in, check_accessibility, tab_to
from tests.browser.test_i23_public import assert_fits, small_screen

POINT = "62-hotel-de-ville-bethune"
COORDINATOR = "coordination.62@example.org"
# Chromium's PDF lists each page as an object of /Type /Page (the tree's root is /Pages).
PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
HIDDEN_WHEN_PRINTED = ["header.fr-header", "footer.fr-footer", ".fr-skiplinks", ".relais-poster-tools"]


@pytest.fixture(scope="module")
def coordinator(stack_url):
    return api_sign_in(stack_url, COORDINATOR)


def printed_pages(page) -> int:
    return len(PDF_PAGE.findall(page.pdf(format="A4", print_background=True)))


def test_a_points_poster_from_the_results_page_reads_prints_and_works_with_the_keyboard(page, stack_url):
    page.goto(f"{stack_url}/resultats?periode=2026-T3&territoire=62")
    page.get_by_role("link", name="Affiche à imprimer : Hôtel de ville de Béthune").click()
    page.wait_for_url(re.compile(rf"/resultats/affiche/{POINT}\?periode=2026-T3$"))
    poster = page.locator("article.relais-poster")
    assert poster.count() == 1
    assert page.get_by_role("heading", level=2, name="Hôtel de ville de Béthune").is_visible()
    text = " ".join(poster.inner_text().replace("\u202f", " ").split())
    assert "Nos résultats de juillet à septembre 2026" in text and "6 demandes traitées ici ce trimestre." in text
    assert "17 sur 100 demandes terminées ont été réglées ici même" in text       # 1 of 6
    assert "Les chiffres trop petits ne sont pas affichés, pour que personne ne puisse être reconnu." in text
    assert "%" not in text
    qr = poster.get_by_role("img", name="Code QR : les résultats de Hôtel de ville de Béthune sur internet")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 120
    check_accessibility(page, "i25-poster")

    # The QR code's address: the point's row on the public page, which is there.
    address = poster.locator(".relais-poster__address").inner_text()
    assert address.endswith(f"/resultats?periode=2026-T3&territoire=62#point-{POINT}")
    page.goto(stack_url + address[address.index("/resultats"):])
    assert page.locator(f"th#point-{POINT}").inner_text().startswith("Hôtel de ville de Béthune")
    page.go_back()

    # The print button (JavaScript), reached and pressed with the keyboard.
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    focused = tab_to(page, "Imprimer")
    assert focused["tag"] == "button"
    page.keyboard.press("Enter")
    assert page.evaluate("window.printed") == 1

    # Printed: the poster alone, on one A4 page; the site's chrome and the tools are not printed.
    page.emulate_media(media="print")
    for chrome in HIDDEN_WHEN_PRINTED:
        assert not page.locator(chrome).first.is_visible(), chrome
    assert poster.is_visible() and qr.is_visible()
    assert printed_pages(page) == 1
    page.emulate_media(media="screen")
    assert page.locator("header.fr-header").is_visible()


def test_without_javascript_on_a_small_screen_the_poster_says_how_to_print(browser, stack_url):
    context = small_screen(browser, stack_url)
    try:
        page = context.new_page()
        page.goto(f"{stack_url}/resultats/affiche/{POINT}")           # the last finished quarter: 2026-T3
        assert "6 demandes traitées" in " ".join(page.locator("article.relais-poster").inner_text().split())
        assert not page.get_by_role("button", name="Imprimer").is_visible()
        assert page.get_by_text("menu du navigateur, puis « Imprimer »").is_visible()
        assert_fits(page, "the poster at 320 px")
    finally:
        context.close()
    context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 800})
    try:                                    # axe needs JavaScript: the same page, with it
        page = context.new_page()
        page.goto(f"{stack_url}/resultats/affiche/{POINT}")
        assert_fits(page, "the poster at 320 px, with JavaScript")
        check_accessibility(page, "i25-poster-320")
    finally:
        context.close()


def test_a_withheld_point_says_why_in_words(page, stack_url):
    page.goto(f"{stack_url}/resultats/affiche/62-pimms-bethune?periode=2026-T3")     # 3 cases
    text = page.locator("article.relais-poster").inner_text()
    assert "trop peu de demandes ici pour afficher des chiffres" in text
    assert text.count("Pas affiché") == 4
    check_accessibility(page, "i25-poster-withheld")


def test_the_territorys_posters_print_one_a_page(browser, stack_url, coordinator):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": name, "value": value, "url": stack_url}
                         for name, value in coordinator.cookies.items()])
    try:
        page = context.new_page()
        page.goto(f"{stack_url}/territoire")
        page.get_by_role("link", name="Les affiches des résultats de vos points de contact, à imprimer").click()
        page.wait_for_url(re.compile(r"/territoire/62/affiches$"))
        posters = page.locator("article.relais-poster")
        assert posters.count() == 7                                   # the Pas-de-Calais's seven points
        assert page.get_by_role("heading", level=1, name="Affiches des résultats : Pas-de-Calais (62)").is_visible()
        check_accessibility(page, "i25-territory-posters")
        # Another quarter, chosen with the keyboard.
        tab_to(page, "Trimestre")
        page.keyboard.press("ArrowDown")        # 2026-T3 shown: the quarter before
        tab_to(page, "Afficher")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/territoire/62/affiches\?periode=2026-T2$"))
        assert page.locator("article.relais-poster").count() == 7
        page.go_back()
        page.emulate_media(media="print")
        for chrome in HIDDEN_WHEN_PRINTED:
            assert not page.locator(chrome).first.is_visible(), chrome
        assert printed_pages(page) == 7
    finally:
        context.close()
