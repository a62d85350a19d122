"""The staff's pages of Services Publics+ experiences, on DynamoDB Local through Chalice's test
client: the territory's coordination moderates the experiences and their answers
(/moderation/<code>), the responder teams answer (/reponses); each role lands on its page."""
from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
import time_machine

from chalicelib.domain.commands import ExperiencePost
from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import ModerationStatus
from chalicelib.services import experiences
from tests.clock import TUESDAY_MORNING
from tests.conftest import whole_table
from tests.integration.test_pages import Browser, text, title

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

MODERATOR = "moderation.61@example.org"
COORDINATOR = "coordination.61@example.org"
FOREIGN_COORDINATOR = "coordination.62@example.org"
CAF_RESPONDER = "reponses.caf-61@example.org"           # team caf-61-experiences
CPAM_RESPONDER = "reponses.cpam-normandie@example.org"  # team cpam-normandie-experiences
AGENT = "agent.bretoncelles@example.org"
TEXT = ("Ma prime d'activité est bloquée depuis trois mois. J'ai appelé au 06 12 34 56 78 sans "
        "réponse, et Madame Lefèvre de la CAF n'a pas rappelé.")
ADDRESSES = itertools.count(1)     # one address a post: the hourly limit is not the subject here
ANSWER = "Votre dossier est débloqué depuis ce matin : le versement arrive la semaine prochaine."


def post(demo, **fields):
    body = {"territory_code": "61", "organisation_id": "caf", "situation": "precarite",
            "sentiment": "negative", "procedure": "Prime d'activité", "text": TEXT,
            "contact_email": "jeanne.martin@example.org", "contact_phone": "06 98 76 54 32", **fields}
    return experiences.post_public(demo, ExperiencePost(**body), client_address=f"198.51.100.{next(ADDRESSES)}")


@pytest.fixture
def moderator(client):
    return Browser(client, MODERATOR)


@pytest.fixture
def responder(client):
    return Browser(client, CAF_RESPONDER)


def published(demo, moderator: Browser) -> str:
    experience = post(demo)
    response = moderator.post(f"/moderation/61/{experience.id}", {"decision": "publish", "text": "x"})
    assert response.status_code == 303, text(response)
    return experience.id


def stored(demo, experience_id: str):
    return demo.repo.get_experience(experience_id)


# --- landing and menus ---------------------------------------------------------------------

@pytest.mark.parametrize("email, home, landing", [
    (MODERATOR, "/moderation", "/moderation/61"), (CAF_RESPONDER, "/reponses", None),
    (COORDINATOR, "/territoire", None)])
def test_each_role_lands_on_its_page_with_its_menu(client, email, home, landing):
    browser = Browser(client, email)
    assert browser.get("/").headers["Location"] == home
    page = browser.get(home)
    if landing:
        assert page.status_code == 303 and page.headers["Location"] == landing
        page = browser.get(landing)
    assert page.status_code == 200, text(page)
    html = page.body.decode()
    if email != CAF_RESPONDER:
        assert 'href="/moderation"' in html and "Modération" in html
    assert "Se déconnecter" in text(page)


def test_the_new_roles_get_the_french_403_or_404_on_the_other_pages(client, moderator, responder, demo):
    for browser in (moderator, responder):
        for path in ("/tableau-de-bord", "/file", "/territoire", "/annuaire", "/remontees",
                     "/territoire/remontees", "/dossiers/61-ZZZ-ZZZ"):
            response = browser.get(path)
            assert response.status_code in (403, 404), (path, response.status_code)
            assert 'lang="fr"' in response.body.decode()
    assert responder.get("/moderation/61").status_code == 403
    assert Browser(client, AGENT).get("/reponses").status_code == 403


# --- moderation of experiences -------------------------------------------------------------

def test_the_queue_shows_the_scrubbed_text_what_was_taken_out_and_never_the_contact(demo, moderator):
    first, second = post(demo), post(demo, organisation_id="cpam", contact_email=None, contact_phone=None)
    page = moderator.get("/moderation/61")
    assert page.status_code == 200, text(page)
    html = text(page)
    assert title(page).startswith("Modération – territoire 61")
    assert html.index(f"experience-{first.id}") < html.index(f"experience-{second.id}")   # oldest first
    assert "[téléphone retiré]" in html and "06 12 34 56 78" not in html and "Lefèvre" not in html
    assert "numéro de téléphone" in html and "Publiée en ligne" in html
    assert "Réponse personnelle souhaitée" in html and "oui" in html
    assert "jeanne.martin@example.org" not in html and "06 98 76 54 32" not in html and "698765432" not in html
    for label in ("Publier", "Publier avec ce texte modifié", "Refuser", "Propos injurieux"):
        assert label in html


def test_the_queue_pages_by_twenty(demo, moderator):
    ids = [post(demo).id for _ in range(21)]
    first = text(moderator.get("/moderation/61"))
    assert all(f"experience-{i}" in first for i in ids[:20]) and f"experience-{ids[20]}" not in first
    cursor = re.search(r'suite=([^"]+)"', first).group(1)
    second = text(moderator.get(f"/moderation/61?suite={cursor}"))
    assert f"experience-{ids[20]}" in second and f"experience-{ids[0]}" not in second


def test_publish_as_is_then_it_is_public_and_routed(demo, moderator):
    experience = post(demo)
    response = moderator.post(f"/moderation/61/{experience.id}", {"decision": "publish", "text": "ignoré"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/moderation/61?fait=publiee")
    after = stored(demo, experience.id)
    assert after.status is ModerationStatus.PUBLISHED and not after.edited and after.text == experience.text
    assert after.team_id == "caf-61-experiences"
    assert "L'expérience est publiée" in text(moderator.get(response.headers["Location"]))
    assert experiences.get_published(demo, experience.id).id == experience.id


def test_publish_with_the_text_edited(demo, moderator):
    experience = post(demo)
    edited = "Ma prime d'activité est bloquée depuis trois mois, sans réponse de la CAF."
    response = moderator.post(f"/moderation/61/{experience.id}", {"decision": "publish_edited", "text": edited})
    assert response.status_code == 303, text(response)
    after = stored(demo, experience.id)
    assert after.edited and after.text == edited


def test_an_edit_too_short_says_why_on_the_field_and_writes_nothing(demo, moderator):
    experience = post(demo)
    before = {str(item) for item in whole_table(demo)}
    response = moderator.post(f"/moderation/61/{experience.id}", {"decision": "publish_edited", "text": "Bof."})
    assert response.status_code == 400
    assert f'href="#text-{experience.id}"' in response.body.decode() and "trop court" in text(response)
    assert {str(item) for item in whole_table(demo)} == before


def test_refuse_with_a_reason(demo, moderator):
    experience = post(demo)
    response = moderator.post(f"/moderation/61/{experience.id}", {"decision": "refuse", "reason": "individual_case"})
    assert response.status_code == 303
    after = stored(demo, experience.id)
    assert after.status is ModerationStatus.REFUSED and after.refusal.value == "individual_case"
    assert f"experience-{experience.id}" not in text(moderator.get("/moderation/61"))
    with pytest.raises(NotFound):
        experiences.get_published(demo, experience.id)


@pytest.mark.parametrize("fields", [{"decision": "refuse"}, {"decision": "refuse", "reason": "forged"},
                                    {"decision": "maybe"}, {}])
def test_refuse_without_a_reason_is_a_french_error_and_nothing_is_written(demo, moderator, fields):
    experience = post(demo)
    before = {str(item) for item in whole_table(demo)}
    response = moderator.post(f"/moderation/61/{experience.id}", fields)
    assert response.status_code == 400
    html = text(response)
    field = "decision" if fields.get("decision") != "refuse" else "reason"
    assert f'href="#{field}-{experience.id}"' in response.body.decode()
    assert ("Choisissez le motif du refus." if field == "reason" else "Choisissez « Publier » ou « Refuser ».") in html
    assert {str(item) for item in whole_table(demo)} == before
    assert stored(demo, experience.id).status is ModerationStatus.PENDING


def test_a_forged_csrf_writes_nothing(demo, moderator):
    experience = post(demo)
    response = moderator.post(f"/moderation/61/{experience.id}", {"decision": "publish", "csrf": "x"}, csrf=False)
    assert response.status_code == 400 and "La page a expiré" in text(response)
    assert stored(demo, experience.id).status is ModerationStatus.PENDING


def test_another_territory_is_forbidden(client, demo, moderator):
    experience = post(demo)
    assert moderator.get("/moderation/62").status_code == 403
    foreign = Browser(client, FOREIGN_COORDINATOR)
    assert foreign.get("/moderation/61").status_code == 403
    assert foreign.post(f"/moderation/61/{experience.id}", {"decision": "publish"}).status_code == 403
    # Its own territory in the address, another's experience: as if it did not exist.
    assert foreign.post(f"/moderation/62/{experience.id}", {"decision": "publish"}).status_code == 404
    assert stored(demo, experience.id).status is ModerationStatus.PENDING
    assert Browser(client, "admin@example.org").get("/moderation/61").status_code == 403


def test_a_coordinator_moderates_too(client, demo):
    coordinator = Browser(client, COORDINATOR)
    experience = post(demo)
    assert f"experience-{experience.id}" in text(coordinator.get("/moderation/61"))
    assert coordinator.post(f"/moderation/61/{experience.id}", {"decision": "publish"}).status_code == 303


def test_moderating_twice_is_a_conflict_said_in_french(demo, moderator):
    experience_id = published(demo, moderator)
    response = moderator.post(f"/moderation/61/{experience_id}", {"decision": "refuse", "reason": "spam"})
    assert response.status_code == 409 and "déjà été modérée" in text(response)
    assert stored(demo, experience_id).status is ModerationStatus.PUBLISHED


# --- answers -------------------------------------------------------------------------------

def test_the_responder_answers_the_answer_is_moderated_then_published(client, demo, moderator, responder):
    experience_id = published(demo, moderator)
    inbox = responder.get("/reponses")
    assert inbox.status_code == 200, text(inbox)
    assert f"/reponses/{experience_id}" in inbox.body.decode() and "En retard" not in text(inbox)
    page = responder.get(f"/reponses/{experience_id}")
    assert page.status_code == 200, text(page)
    assert "lui sera aussi envoyée" in text(page)                 # the usager left a contact
    assert "jeanne.martin" not in text(page) and "06 98" not in text(page)
    response = responder.post(f"/reponses/{experience_id}", {"text": ANSWER})
    assert response.status_code == 303, text(response)
    assert "en attente de modération" in text(responder.get(response.headers["Location"]))
    assert stored(demo, experience_id).answer_status is ModerationStatus.PENDING
    assert experiences.get_published(demo, experience_id).answer_status is ModerationStatus.PENDING

    queue = moderator.get("/moderation/61?vue=reponses")
    assert ANSWER in text(queue)
    response = moderator.post(f"/moderation/61/{experience_id}/reponse", {"decision": "publish"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/moderation/61?vue=reponses&fait=reponse-publiee")
    public = experiences.get_published(demo, experience_id)
    assert public.answer_status is ModerationStatus.PUBLISHED and public.answer == ANSWER
    assert ANSWER not in text(moderator.get("/moderation/61?vue=reponses"))
    assert "réponse publiée" in text(responder.get("/reponses"))


def test_a_refused_answer_goes_back_to_the_team_with_its_reason(demo, moderator, responder):
    experience_id = published(demo, moderator)
    assert responder.post(f"/reponses/{experience_id}", {"text": ANSWER}).status_code == 303
    refused = moderator.post(f"/moderation/61/{experience_id}/reponse", {"decision": "refuse"})
    assert refused.status_code == 400 and "Choisissez le motif du refus." in text(refused)
    assert stored(demo, experience_id).answer_status is ModerationStatus.PENDING
    response = moderator.post(f"/moderation/61/{experience_id}/reponse", {"decision": "refuse", "reason": "abuse"})
    assert response.status_code == 303
    page = text(responder.get(f"/reponses/{experience_id}"))
    assert "Réponse refusée : Propos injurieux" in page and "Répondre de nouveau" in page


def test_an_empty_answer_says_why_and_writes_nothing(demo, moderator, responder):
    experience_id = published(demo, moderator)
    before = {str(item) for item in whole_table(demo)}
    for fields, message in (({"text": "  "}, "Écrivez votre réponse."),
                            ({"text": "Votre dossier\x07 est débloqué."}, "")):     # a control character
        response = responder.post(f"/reponses/{experience_id}", fields)
        assert response.status_code == 400 and message in text(response)
        assert 'href="#text"' in response.body.decode()
    assert {str(item) for item in whole_table(demo)} == before


def test_a_responder_of_another_team_gets_404(client, demo, moderator):
    experience_id = published(demo, moderator)
    other = Browser(client, CPAM_RESPONDER)
    assert other.get(f"/reponses/{experience_id}").status_code == 404
    assert other.post(f"/reponses/{experience_id}", {"text": ANSWER}).status_code == 404
    assert f"/reponses/{experience_id}" not in other.get("/reponses").body.decode()
    assert other.get("/reponses?equipe=caf-61-experiences").status_code == 404
    assert stored(demo, experience_id).answer is None


def test_the_coordination_answers_what_no_team_takes(client, demo, moderator):
    experience = post(demo, organisation_id=None)
    assert moderator.post(f"/moderation/61/{experience.id}", {"decision": "publish"}).status_code == 303
    coordinator = Browser(client, COORDINATOR)
    assert f"/reponses/{experience.id}" in coordinator.get("/reponses").body.decode()
    assert coordinator.post(f"/reponses/{experience.id}", {"text": ANSWER}).status_code == 303
    assert Browser(client, CAF_RESPONDER).get(f"/reponses/{experience.id}").status_code == 404
    assert Browser(client, FOREIGN_COORDINATOR).get("/reponses?territoire=61").status_code == 403


def test_late_experiences_are_marked_nearest_deadline_first(client, demo, moderator, responder, instant):
    first = published(demo, moderator)
    with time_machine.travel(instant + timedelta(hours=1)):
        second = published(demo, moderator)
        assert "En retard" not in text(responder.get("/reponses"))
    with time_machine.travel(instant + timedelta(days=7, hours=2)):    # a week on: signed in again
        html = text(Browser(client, CAF_RESPONDER).get("/reponses"))
    assert "En retard" in html and html.index(f"/reponses/{first}") < html.index(f"/reponses/{second}")
