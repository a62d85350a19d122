"""The demo's cases on first login (issue 23, point 0): the local stack starts with cases in
every state (devtools/demo_cases.py), so the demo agent's tabs, the referent's queue, the
coordinator's late escalations and the previous quarter's results all show something."""
from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from devtools import demo_cases
from tests.browser.conftest import check_accessibility, sign_in
from tests.clock import STACK_INSTANT

pytestmark = pytest.mark.instant(STACK_INSTANT)


def name_of(state: str) -> str:
    usager = demo_cases.usager_of(state)
    return f"{usager.first_name} {usager.last_name}"


def row_of(page, state: str):
    return page.get_by_role("row").filter(has_text=name_of(state))


def test_the_demo_agent_finds_a_case_in_every_tab(page, stack_url):
    sign_in(page, stack_url, demo_cases.DEMO_AGENT)
    tabs = {"a-traiter": ("open", "handed_back"), "en-attente": ("waiting", "info_supplied", "due_soon"),
            "en-retard": ("late_manager", "late_coordinator"), "a-clore": ("answered",),
            "clos": ("desk_closed", "partner_closed")}
    for slug, states in tabs.items():
        page.goto(f"{stack_url}/tableau-de-bord?vue={slug}")
        for state in states:
            assert row_of(page, state).count() == 1, (slug, state)
        check_accessibility(page, f"i23-demo-agent-{slug}")

    # The documents went through the attachment service: listed on the case, and downloadable.
    page.goto(f"{stack_url}/tableau-de-bord?vue=en-attente")
    row_of(page, "waiting").get_by_role("link").click()
    page.wait_for_url(re.compile(r"/dossiers/61-"))
    download = page.get_by_role("link", name=re.compile("Télécharger Relevé de carrière"))
    response = page.request.get(urljoin(page.url, download.get_attribute("href")))
    assert response.ok and response.body() == demo_cases.PDF
    check_accessibility(page, "i23-demo-agent-dossier-document")

    page.goto(f"{stack_url}/tableau-de-bord?vue=a-traiter")
    row_of(page, "handed_back").get_by_role("link").click()
    assert "pas de notre service" in page.get_by_role("main").inner_text()


def test_the_demo_referent_finds_every_section_of_the_queue_filled(page, stack_url):
    sign_in(page, stack_url, demo_cases.DEMO_REFERENT)
    assert page.url.endswith("/file")
    main = page.get_by_role("main")
    for section in ("En retard", "À traiter sous 24 h", "Nouvelles demandes", "En attente d'informations"):
        table = main.get_by_role("table", name=section)
        assert table.get_by_role("link", name=re.compile(r"^61-")).count() >= 1, section
    assert main.get_by_role("table", name="En retard").get_by_role("row").count() >= 3     # header + 2 late
    check_accessibility(page, "i23-demo-referent-file")


def test_the_coordinator_and_the_public_see_the_demo(page, stack_url):
    page.goto(f"{stack_url}/resultats?periode=2026-T3&territoire=62")
    # Published (not « — »): the town hall's cases, the Banque de France network's escalations.
    for name, column in (("Hôtel de ville de Béthune", 0), ("Banque de France", 2)):
        row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))
        assert re.match(r"^\d", row.get_by_role("cell").nth(column).inner_text()), name
    check_accessibility(page, "i23-demo-resultats-trimestre")
    sign_in(page, stack_url, "coordination.61@example.org")
    page.goto(f"{stack_url}/territoire")
    late = page.get_by_role("table", name="Saisines en retard")
    assert late.get_by_role("row").filter(has_text="CARSAT Normandie").count() >= 2
