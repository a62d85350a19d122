"""Issue 23, points 13 and 14: the coordinator's late escalations (days late, the group's manager,
« Relancer », a view without the usager, a 404 in the coordinator's words) and the admin's
directory import (columns checked against the kind, binary, empty and short rows refused, the
counts repeated once applied, the loaded directory listed, a menu that links every admin page).

The late escalations are made through the services, on the stack's own table, by an agent whose
clock reads eleven days before the stack's instant: the stack then finds them 5 days late.
Each role signs in once for the module (login links are limited to 5 per address per quarter
hour): territory 62 and its coordinator, which the other browser tests leave alone.
"""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.browser.conftest import STACK_TABLE, ConsoleWatch, check_accessibility, outbox_emails, sign_in

pytestmark = pytest.mark.instant("2026-11-24T09:00:00+01:00")

COORDINATOR = "coordination.62@example.org"
ADMIN = "admin@example.org"
AGENT = "agent.pimms-itinerant@example.org"
POINT = "62-pimms-itinerant"
POINT_NAME = "PIMMS"
GROUP, GROUP_NAME = "62-mds", "Maison départementale des solidarités de l'Artois"
GROUP_REFERENT, GROUP_MANAGER = "referent.62-mds@example.org", "responsable.62-mds@example.org"
# A Friday: due at the end of Thursday 19 November, 5 days before the stack's Tuesday 24.
ESCALATED_AT = datetime.fromisoformat("2026-11-13T10:00:00+01:00")
USAGER = {"first_name": "Ginette", "last_name": "Vanhoutte", "phone": "06 45 67 12 98"}
DESCRIPTION = "Dossier de surendettement bloqué depuis la séparation."
QUESTION = "Pouvez-vous réexaminer l'aide au logement de Mme Vanhoutte ?"


def escalate_in_the_past(endpoint: str, at: datetime) -> str:
    """A case and its escalation to GROUP, made by the agent through the services as of `at`,
    on the stack's table: what the agent would have done on that day. Returns the reference."""
    from chalicelib import bootstrap, config
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.commands import CaseCreate, EscalationCreate
    from chalicelib.services import cases
    from devtools import stack

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**stack.LOCAL_CREDENTIALS, "RELAIS_DYNAMODB_ENDPOINT": endpoint,
                            "RELAIS_TABLE": STACK_TABLE, "RELAIS_STAGE": "dev"}.items():
            patch.setenv(name, value)
        patch.delenv("RELAIS_AWS_EMULATION", raising=False)
        config.reset()
        try:
            deps = bootstrap.Deps(config.settings(), clock=lambda: at)
            agent = Principal.of(deps.repo.get_user_by_email(AGENT))
            case = cases.create_case(deps, agent, CaseCreate(
                point_id=POINT, usager=USAGER, situation="precarite", description=DESCRIPTION,
                consent_attested=True))
            cases.escalate(deps, agent, case.ref, EscalationCreate(group_ids=[GROUP], question=QUESTION))
        finally:
            config.reset()
            bootstrap.reset()
    return case.ref


@pytest.fixture(scope="module")
def late_ref(stack_url, stack_dynamodb) -> str:
    return escalate_in_the_past(stack_dynamodb, ESCALATED_AT)


def _signed_in_page(browser, stack_url, email):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    watch = ConsoleWatch(context.new_page())
    sign_in(watch.page, stack_url, email)
    return context, watch


@pytest.fixture(scope="module")
def coordinator(browser, stack_url, late_ref):
    """The coordinator's page, signed in once for the module; no console problem allowed."""
    context, watch = _signed_in_page(browser, stack_url, COORDINATOR)
    yield watch.page
    problems = watch.problems()
    context.close()
    assert not problems, problems


def late_row(page, ref: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=re.compile(re.escape(ref))))


# --- point 13: late escalations -----------------------------------------------------------------

def test_a_late_escalation_shows_days_late_the_group_and_its_manager(coordinator, stack_url, late_ref):
    coordinator.goto(f"{stack_url}/territoire?code=62")
    row = late_row(coordinator, late_ref)
    assert row.count() == 1, coordinator.get_by_role("main").inner_text()
    cells = [" ".join(c.split()) for c in row.get_by_role("cell").all_inner_texts()]
    assert GROUP_NAME in cells
    assert "5 jours" in cells
    assert "19/11/2026" in cells
    manager = row.get_by_role("link", name=GROUP_MANAGER)
    assert manager.get_attribute("href") == f"mailto:{GROUP_MANAGER}"
    # the manager, never the members' addresses
    assert GROUP_REFERENT not in coordinator.content()
    check_accessibility(coordinator, "i23-13-territoire-retards")


def test_relancer_sends_one_reminder_a_day_and_records_it(coordinator, stack_url, late_ref):
    before = [m for m in outbox_emails(stack_url, GROUP_REFERENT) if "Relance" in m["subject"]]
    coordinator.goto(f"{stack_url}/territoire?code=62")
    late_row(coordinator, late_ref).get_by_role("button", name=re.compile("^Relancer")).click()
    coordinator.wait_for_url(re.compile(rf"/territoire/62/retards/{late_ref}/{GROUP}\?fait=relance$"))
    assert "Le partenaire est relancé" in coordinator.get_by_role("status").inner_text()
    reminders = coordinator.get_by_role("region", name=re.compile("^Relances envoyées"))
    assert "relance de la coordination" in reminders.inner_text()
    sent = [m for m in outbox_emails(stack_url, GROUP_REFERENT) if "Relance" in m["subject"]]
    assert len(sent) == len(before) + 1
    assert late_ref in sent[-1]["subject"] and USAGER["last_name"] not in sent[-1]["subject"]
    check_accessibility(coordinator, "i23-13-relance-envoyee")

    # A second click the same day: nothing sent, and the page says so.
    coordinator.get_by_role("button", name=re.compile("^Relancer")).click()
    coordinator.wait_for_url(re.compile(r"\?fait=deja-relance$"))
    assert "déjà été relancé aujourd'hui" in coordinator.get_by_role("status").inner_text()
    assert len([m for m in outbox_emails(stack_url, GROUP_REFERENT) if "Relance" in m["subject"]]) == len(sent)
    assert reminders.inner_text().count("relance de la coordination") == 1
    check_accessibility(coordinator, "i23-13-deja-relance")


def test_each_late_line_opens_a_view_without_personal_data(coordinator, stack_url, late_ref):
    coordinator.goto(f"{stack_url}/territoire?code=62")
    late_row(coordinator, late_ref).get_by_role("link", name=re.compile(re.escape(late_ref))).click()
    coordinator.wait_for_url(re.compile(rf"/territoire/62/retards/{late_ref}/{GROUP}$"))
    heading = coordinator.get_by_role("heading", level=1).inner_text()
    assert late_ref in heading and "introuvable" not in heading
    facts = " ".join(coordinator.locator("dl").inner_text().split())
    for expected in (POINT_NAME, GROUP_NAME, GROUP_MANAGER, "13/11/2026", "19/11/2026", "5 jours"):
        assert expected in facts
    text = coordinator.content()
    for personal in (USAGER["first_name"], USAGER["last_name"], "06 45 67", DESCRIPTION, QUESTION):
        assert personal not in text
    check_accessibility(coordinator, "i23-13-saisine-en-retard")


def test_the_coordinators_404_speaks_to_a_coordinator(coordinator, stack_url, late_ref):
    response = coordinator.goto(f"{stack_url}/dossiers/{late_ref}")
    assert response.status == 404
    main = coordinator.get_by_role("main").inner_text()
    assert "votre organisme" not in main
    assert "coordination" in main
    check_accessibility(coordinator, "i23-13-dossier-introuvable-coordinateur")
    response = coordinator.goto(f"{stack_url}/territoire/62/retards/62-INCONNU/{GROUP}")
    assert response.status == 404
    assert "votre organisme" not in coordinator.get_by_role("main").inner_text()
    check_accessibility(coordinator, "i23-13-page-introuvable-coordinateur")


# --- point 14: the directory import -------------------------------------------------------------

@pytest.fixture(scope="module")
def admin(browser, stack_url):
    context, watch = _signed_in_page(browser, stack_url, ADMIN)
    yield watch.page
    problems = watch.problems()
    context.close()
    assert not problems, problems


def preview(page, stack_url, kind_label: str, name: str, data: bytes) -> None:
    page.goto(f"{stack_url}/annuaire")
    page.locator("label.fr-label", has_text=kind_label).first.click()
    page.set_input_files("#csv", files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="Voir l'aperçu").click()
    page.wait_for_load_state()


def apply_button(page):
    return page.get_by_role("button", name="Appliquer l'import")


def test_a_users_file_imported_as_points_names_the_expected_columns(admin, stack_url):
    from devtools import stack

    preview(admin, stack_url, "Points de contact", "utilisateurs.csv", (stack.DEMO / "users.csv").read_bytes())
    summary = admin.get_by_role("alert").inner_text()
    assert "Colonnes attendues : id;territory_code;name;kind;phone;address" in summary
    assert apply_button(admin).count() == 0
    check_accessibility(admin, "i23-14-colonnes-attendues")


@pytest.mark.parametrize("name, data, words", [
    ("classeur.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml", "n'est pas un fichier CSV"),
    ("vide.csv", b"", "Le fichier est vide"),
    ("entete.csv", b"id;name;short_name\n", "que son en-tête"),
])
def test_a_binary_or_empty_file_is_refused_with_no_apply_button(admin, stack_url, name, data, words):
    preview(admin, stack_url, "Organismes partenaires", name, data)
    assert words in admin.get_by_role("alert").inner_text()
    assert apply_button(admin).count() == 0
    check_accessibility(admin, f"i23-14-fichier-refuse-{name.removesuffix('.csv')}")


def test_a_short_row_is_an_error_with_its_line(admin, stack_url):
    text = ("id;territory_code;name;kind;phone;address\n"
            "62-i23-a;62;Point A;mairie;03 00 00 00 01;A\n62-i23-b;62;Point B\n")
    preview(admin, stack_url, "Points de contact", "points.csv", text.encode())
    errors = admin.get_by_role("alert").inner_text()
    assert "Ligne 3, colonnes : Cette ligne n'a que 3 colonnes" in errors
    assert apply_button(admin).count() == 0
    check_accessibility(admin, "i23-14-ligne-courte")


def test_the_applied_import_repeats_its_counts(admin, stack_url):
    from devtools import stack

    preview(admin, stack_url, "Organismes partenaires", "organismes.csv",
            (stack.DEMO / "organisations.csv").read_bytes())
    assert "18 inchangées" in admin.get_by_role("main").inner_text()
    apply_button(admin).click()
    admin.wait_for_url(re.compile(r"/annuaire\?fait=importe&"))
    notice = admin.get_by_role("status").inner_text()
    assert "0 créée, 0 modifiée, 18 inchangées" in notice
    check_accessibility(admin, "i23-14-import-applique")


def test_admins_view_the_loaded_directory(admin, coordinator, stack_url):
    admin.goto(f"{stack_url}/annuaire/contenu?type=utilisateurs")
    table = admin.get_by_role("table")
    rows = {" ".join(r.split()) for r in table.get_by_role("row").all_inner_texts()}
    assert any(r.startswith("coordination.62@example.org") and "Coordinateur" in r and "Territoires : 62" in r
               for r in rows), rows
    check_accessibility(admin, "i23-14-annuaire-utilisateurs")
    admin.get_by_role("link", name="Points de contact", exact=True).click()
    admin.get_by_label("Territoire").select_option("62")
    admin.get_by_role("button", name="Afficher").click()
    assert POINT in admin.get_by_role("table").inner_text()
    check_accessibility(admin, "i23-14-annuaire-points")
    admin.get_by_role("link", name="Groupes de référents", exact=True).click()
    assert GROUP_REFERENT in admin.get_by_role("table").inner_text()
    # for admins only
    assert coordinator.goto(f"{stack_url}/annuaire/contenu?type=utilisateurs").status == 403


def test_the_admin_menu_links_every_page_the_admin_may_open(admin, stack_url):
    import app as relais

    admin.goto(f"{stack_url}/annuaire")
    menu = admin.get_by_role("navigation", name="Menu principal")
    linked = {a.get_attribute("href") for a in menu.get_by_role("link").all()}
    footer = admin.get_by_role("contentinfo")
    public = {"/", "/connexion", "/resultats"} | {      # the header's and the footer's
        a.get_attribute("href") for a in footer.get_by_role("link").all()}
    assert {"/accessibilite", "/mentions-legales", "/donnees-personnelles", "/aide"} <= public
    pages = sorted(path for path, methods in relais.app.routes.items()
                   if "GET" in methods and "{" not in path and not path.startswith(("/api", "/_dev", "/static"))
                   and path not in public and not path.endswith((".csv", ".json")))
    opened = [path for path in pages if admin.request.get(f"{stack_url}{path}", max_redirects=0).status == 200]
    assert opened and set(opened) <= linked, (opened, linked)
    for path in linked:
        assert admin.request.get(f"{stack_url}{path}", max_redirects=0).status == 200, path
    check_accessibility(admin, "i23-14-menu-admin")
