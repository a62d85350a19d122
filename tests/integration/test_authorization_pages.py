"""Who may open what, through the HTML pages, the documents and the routes added since the API
matrix (test_authorization_matrix.py, whose world and rules this reuses): role x page x own
or foreign resource. Every route of the app is in one of the two matrices (the last test).

Pages answer a visitor who is not signed in with the sign-in page (303 to /connexion, or the
case's own sign-in page, 401), a role that never uses the page with 403, and a case or a
document outside one's scope with 404, exactly as if it did not exist.
"""
from __future__ import annotations

import pytest

from tests.clock import TUESDAY_MORNING
from tests.integration import test_authorization_matrix as matrix
from tests.integration.test_authorization_matrix import ESCALATED_GROUP, ROLES, open_escalated_case, params

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

world, case = matrix.world, matrix.case         # the API matrix's fixtures: its world, its cases

AGENT_PAGE = {"agent": 200, "foreign_agent": 200, "referent": 403, "foreign_referent": 403,
              "coordinator": 403, "foreign_coordinator": 403, "admin": 403, "moderator": 403,
              "responder": 403, "anonymous": 303}
TERRITORY_PAGE = {"agent": 403, "foreign_agent": 403, "referent": 403, "foreign_referent": 403,
                  "coordinator": 200, "foreign_coordinator": 200, "admin": 200, "moderator": 403,
                  "responder": 403, "anonymous": 303}
CASE_SCOPE = {"agent": 200, "foreign_agent": 404, "referent": 200, "foreign_referent": 404,
              "coordinator": 404, "foreign_coordinator": 404, "admin": 404, "moderator": 404,
              "responder": 404, "anonymous": 401}
# Services Publics+ experiences: the territory's coordination moderates (its coordinators and
# moderators), the responder teams and the coordination answer; another territory's is refused.
MODERATION_PAGE = {**TERRITORY_PAGE, "foreign_coordinator": 403, "admin": 403, "moderator": 200}
ANSWERS_PAGE = {**TERRITORY_PAGE, "admin": 403, "moderator": 200, "responder": 200}

PAGES = {
    "/tableau-de-bord": AGENT_PAGE,
    "/nouveau-dossier": AGENT_PAGE,
    "/recherche": AGENT_PAGE,
    "/remontees": AGENT_PAGE,
    "/file": {**AGENT_PAGE, "agent": 403, "foreign_agent": 403, "referent": 200, "foreign_referent": 200},
    "/territoire": TERRITORY_PAGE,
    "/territoire/remontees": TERRITORY_PAGE,
    "/territoire/rapport": TERRITORY_PAGE,
    "/territoire/rapport.csv": TERRITORY_PAGE,
    # Another territory's pages: as if the territory did not exist; the admin sees them all.
    "/territoire?code=62": {**TERRITORY_PAGE, "coordinator": 404},
    "/territoire/rapport?code=62": {**TERRITORY_PAGE, "coordinator": 404},
    "/annuaire": {**TERRITORY_PAGE, "coordinator": 403, "foreign_coordinator": 403},
    "/annuaire/contenu": {**TERRITORY_PAGE, "coordinator": 403, "foreign_coordinator": 403},
    "/annuaire/contenu?type=utilisateurs": {**TERRITORY_PAGE, "coordinator": 403, "foreign_coordinator": 403},
    "/moderation/61": MODERATION_PAGE,
    "/moderation/62": {**MODERATION_PAGE, "coordinator": 403, "foreign_coordinator": 200, "moderator": 403},
    "/moderation/61?vue=reponses": MODERATION_PAGE,
    "/reponses": ANSWERS_PAGE,
    "/reponses?territoire=62": {**ANSWERS_PAGE, "coordinator": 403, "moderator": 403},
    "/resultats": dict.fromkeys(ROLES, 200),                       # public
    "/resultats/donnees.csv": dict.fromkeys(ROLES, 200),
    # Issue 25: a point's poster is public; a territory's posters are its coordinators' and admins'.
    "/resultats/affiche/61-mairie-bretoncelles": dict.fromkeys(ROLES, 200),
    "/resultats/affiche/61-inconnu": dict.fromkeys(ROLES, 404),
    "/territoire/61/affiches": {**TERRITORY_PAGE, "foreign_coordinator": 404},
    "/territoire/62/affiches": {**TERRITORY_PAGE, "coordinator": 404},
    "/experiences": dict.fromkeys(ROLES, 200),                     # public (issue 25)
    "/experiences/nouvelle": dict.fromkeys(ROLES, 200),            # anyone posts, no account
    "/experiences/guichet": AGENT_PAGE,                            # an agent, for a usager at the desk
    "/experiences/donnees.csv": dict.fromkeys(ROLES, 200),         # public open data
    "/experiences/donnees.json": dict.fromkeys(ROLES, 200),
}


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_page(world, path, role):
    response = world.get(role, path)
    assert response.status_code == PAGES[path][role], response.body[:300]
    if response.status_code == 303:
        assert response.headers.get("Location", response.headers.get("location", "")).startswith("/connexion")


@pytest.mark.parametrize("role,status", params(CASE_SCOPE))
def test_case_page(world, case, role, status):
    response = world.get(role, f"/dossiers/{case.ref}")
    assert response.status_code == status
    html = response.body.decode()
    if status != 200:
        # The address typed, and the sign-in link back to it (%2F-encoded), aside: nothing of the case.
        shown = html.replace(f"/dossiers/{case.ref}", "").replace(f"%2Fdossiers%2F{case.ref}", "")
        assert case.last_name not in html and case.ref not in shown
    elif role.startswith("referent"):
        assert case.note not in html and "06 12 34 56 78" not in html     # notes and phone: the agent's


@pytest.mark.parametrize("role,status", params({**CASE_SCOPE, "referent": 404}))
def test_quarantined_email_page(world, role, status):
    """/dossiers/{ref}/quarantaine/{quarantine_id}: the case's agents only (its forms: CSRF and
    roles in test_inbound_security.py)."""
    ref, item_id = matrix.quarantined_email(world)
    response = world.get(role, f"/dossiers/{ref}/quarantaine/{item_id}")
    assert response.status_code == status, response.body[:300]
    assert ("Réponse sans jeton." in response.body.decode()) == (status == 200)


@pytest.mark.parametrize("role,status", params({**CASE_SCOPE, "referent": 404}))
def test_message_source_page(world, role, status):
    """/dossiers/{ref}/messages/{message_id}/origine: the case's agents only (issue 24); the
    referent who wrote the message too gets the case's 404."""
    ref, message_id = matrix.emailed_message(world)
    response = world.get(role, f"/dossiers/{ref}/messages/{message_id}/origine")
    assert response.status_code == status, response.body[:300]
    assert ("Réponse par e-mail." in response.body.decode()) == (status == 200)


@pytest.mark.parametrize("role,status", params({**TERRITORY_PAGE, "coordinator": 404,
                                                "foreign_coordinator": 404, "admin": 404}))
def test_late_escalation_page(world, case, role, status):
    """/territoire/{code}/retards/{ref}/{group_id}: an escalation still on time is no late one,
    for anybody (the late ones: test_oversight.py, with « Relancer » and its CSRF check)."""
    response = world.get(role, f"/territoire/61/retards/{case.ref}/{ESCALATED_GROUP}")
    assert response.status_code == status, response.body[:300]
    assert case.last_name not in response.body.decode()


@pytest.fixture(scope="module")
def experience_ids(world) -> tuple[str, str]:
    """A published experience and a pending one (the forms: test_experience_pages.py)."""
    from chalicelib import bootstrap
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.commands import ExperienceModeration, ExperiencePost
    from chalicelib.domain.models import Role
    from chalicelib.services import experiences

    deps = bootstrap.deps()
    moderator = Principal("mod-61", Role.MODERATOR, territory_codes=frozenset({"61"}))
    posted = [experiences.post_public(deps, ExperiencePost(
        territory_code="61", organisation_id="caf", situation="precarite", sentiment="negative",
        text=f"Ma prime d'activité est bloquée depuis trois mois ({n}).", contact_email="jeanne@example.org"),
        client_address=f"198.51.100.{n}") for n in (1, 2)]
    experiences.moderate(deps, moderator, posted[0].id, ExperienceModeration(decision="publish"))
    return posted[0].id, posted[1].id


@pytest.mark.parametrize("role", ROLES)
def test_experience_page(world, experience_ids, role):
    """/experiences/{experience_id}: a published one for everyone, a pending one for nobody."""
    published, waiting = experience_ids
    response = world.get(role, f"/experiences/{published}")
    assert response.status_code == 200 and "jeanne@example.org" not in response.body.decode()
    assert world.get(role, f"/experiences/{waiting}").status_code == 404


@pytest.fixture
def document(world):
    """An escalated case whose referent answered with a PDF, as an inbound email does."""
    from chalicelib import bootstrap
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.commands import MessageCreate
    from chalicelib.domain.models import Attachment, Channel, MessageKind
    from chalicelib.services import cases

    created = open_escalated_case(world)
    deps = bootstrap.deps()
    key = f"attachments/{created.ref}/m1/0"
    deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key=key, Body=b"%PDF-1.4 avis")
    referent = Principal.of(deps.repo.get_user_by_email("referent.61-caf@example.org"))
    view = cases.post_referent_reply(deps, referent, created.ref, MessageCreate(
        body="Voici l'avis.", kind=MessageKind.ANSWER, group_id=ESCALATED_GROUP), cases.Posting(
        Channel.EMAIL, attachments=[Attachment(name="avis.pdf", size=13, content_type="application/pdf", key=key)]))
    message = next(m for m in view.messages if m.attachments)
    return f"/dossiers/{created.ref}/pieces-jointes/{message.id}/0"


@pytest.mark.parametrize("role,status", params({**CASE_SCOPE, "agent": 303, "referent": 303, "anonymous": 303}))
def test_document_download(world, document, role, status):
    response = world.get(role, document)
    assert response.status_code == status, response.body[:300]
    location = response.headers.get("Location", response.headers.get("location", ""))
    if role in ("agent", "referent"):
        assert "X-Amz-Signature" in location and "avis" not in location      # no file name in the URL
    else:
        assert "X-Amz" not in location


@pytest.mark.parametrize("role,status", params({
    "agent": 403, "foreign_agent": 403, "referent": 403, "foreign_referent": 403, "coordinator": 403,
    "foreign_coordinator": 403, "admin": 200, "moderator": 403, "responder": 403, "anonymous": 401}))
def test_usager_export(world, role, status):
    response = world.post(role, "/api/admin/usager-export", {"phone": "06 12 34 56 78"})
    assert response.status_code == status


@pytest.mark.parametrize("role,status", params({**MODERATION_PAGE, "coordinator": 303, "foreign_coordinator": 303,
                                                "moderator": 303}))
def test_moderation_landing(world, role, status):
    """/moderation: to the first of one's territories (a moderator's home after signing in)."""
    response = world.get(role, "/moderation")
    assert response.status_code == status, response.body[:300]
    if status == 303:
        expected = {"anonymous": "/connexion", "foreign_coordinator": "/moderation/62"}.get(role, "/moderation/61")
        assert response.headers.get("Location", "").startswith(expected)


@pytest.fixture
def experience_id(world) -> str:
    """An experience of the Orne about the CAF, published: routed to the team caf-61-experiences."""
    from chalicelib import bootstrap
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.commands import ExperienceModeration, ExperiencePost
    from chalicelib.services import experiences

    deps = bootstrap.deps()
    posted = experiences.post_public(deps, ExperiencePost(
        territory_code="61", organisation_id="caf", situation="precarite", sentiment="negative",
        text="Ma prime d'activité est bloquée depuis trois mois, sans réponse."),
        client_address=matrix.tag())          # an address of its own: the hourly limit aside
    moderator = Principal.of(deps.repo.get_user_by_email(matrix.EMAILS["moderator"]))
    experiences.moderate(deps, moderator, posted.id, ExperienceModeration(decision="publish"))
    return posted.id


@pytest.mark.parametrize("role,status", params({**ANSWERS_PAGE, "foreign_coordinator": 404}))
def test_answer_page(world, experience_id, role, status):
    """/reponses/{id}: its team, and its territory's coordination; to others as if it did not
    exist (the forms: test_moderation_pages.py)."""
    response = world.get(role, f"/reponses/{experience_id}")
    assert response.status_code == status, response.body[:300]
    assert ("prime d" in response.body.decode()) == (status == 200)


def test_every_route_is_in_a_matrix():
    """A new route fails here until its cells are written."""
    import re
    from pathlib import Path

    import app as relais

    covered = set(PAGES) | {"/dossiers/{ref}", "/dossiers/{ref}/pieces-jointes/{message_id}/{index}",
                            "/dossiers/{ref}/quarantaine/{quarantine_id}",
                            "/dossiers/{ref}/messages/{message_id}/origine",
                            "/api/admin/usager-export",
                            "/experiences/{experience_id}",
                            "/api/admin/directory/{kind}",          # test_import_directory_* there
                            "/territoire/{code}/retards/{ref}/{group_id}",
                            "/territoire/{code}/retards/{ref}/{group_id}/relance",   # test_oversight.py
                            "/resultats/affiche/{point}", "/territoire/{code}/affiches",  # PAGES, by value
                            "/moderation", "/moderation/{code}", "/reponses/{experience_id}"}
    matrix = Path(__file__).with_name("test_authorization_matrix.py").read_text(encoding="utf-8")
    covered |= set(re.findall(r'"(/api/[^"?]*)"', matrix)) | set(re.findall(r"f\"(/api/[^\"?]*)\"", matrix))
    # Covered elsewhere, each by its own tests: forms (CSRF and roles, test_pages.py), login,
    # static files, feedback (test_feedback.py), the dev stage's routes (refused in prod), the
    # catch-all of unknown addresses (a 404 page for everyone, test_pages.py), the public pages
    # every site must have (open to everyone, test_i23_public_pages.py and the browser's).
    elsewhere = re.compile(r"^/(connexion|deconnexion|static|_dev|api/auth|api/openapi|api/feedback|\{proxy\+\}|"
                           r"api/territories/\{territory\}/feedback|territoire/remontees/|annuaire/|"
                           r"dossiers/\{ref\}/(reponse|message|saisine|cloture|reouverture|prise-en-charge|transfert|avis-telephone|"
                           r"pieces-jointes/ajout)|"
                           r"dossiers/\{ref\}/quarantaine/\{quarantine_id\}/(ajouter|ecarter)$|"
                           r"nouveau-dossier|recherche|remontees|resultats/donnees\.json|"
                           r"moderation/\{code\}/\{experience_id\}|"     # test_moderation_pages.py
                           r"(accessibilite|mentions-legales|donnees-personnelles|aide)$|$)")
    normalised = {re.sub(r"\{[^}]+\}", "{}", path.split("?")[0]) for path in covered}
    missing = sorted(path for path in relais.app.routes
                     if re.sub(r"\{[^}]+\}", "{}", path) not in normalised and not elsewhere.match(path))
    assert missing == []
