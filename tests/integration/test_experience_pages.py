"""Services Publics+ experiences, the public pages, on DynamoDB Local through Chalice's test
client: anyone posts one without an account (it waits for moderation and is listed nowhere),
a moderator publishes it (service), then it is listed with its answer, filtered and paged; an
agent writes one down at the desk. Every refusal writes nothing; a robot filling the honeypot
is told it worked and writes nothing; no page ever shows a contact email or phone."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from chalicelib.domain.authz import Principal
from chalicelib.domain.commands import ExperienceModeration, ExperiencePost
from chalicelib.domain.models import ExperienceChannel, ModerationStatus, Role
from chalicelib.services import experiences
from tests.clock import TUESDAY_MORNING
from tests.conftest import whole_table
from tests.integration.test_pages import Browser, text, title

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

MODERATOR_61 = Principal("mod-61", Role.MODERATOR, territory_codes=frozenset({"61"}))
CAF_61 = Principal("caf-61", Role.RESPONDER, group_ids=frozenset({"caf-61-experiences"}))
PUBLISH = ExperienceModeration(decision="publish")
CONTACT_EMAIL = "jeanne.martin@example.org"
CONTACT_PHONE = "07 98 76 54 32"
STORY = ("Ma prime d'activité est bloquée depuis trois mois. J'ai appelé au 06 12 34 56 78 sans "
         "réponse. Madame Lefèvre de la CAF n'a pas rappelé.")
FORM = {"territory_code": "61", "organisation_id": "caf", "procedure": "Prime d'activité",
        "situation": "precarite", "sentiment": "negative", "text": STORY,
        "contact_email": CONTACT_EMAIL, "contact_phone": CONTACT_PHONE}


@pytest.fixture
def visitor(client):
    return Browser(client, None)


def location(response) -> str:
    return response.headers.get("Location", response.headers.get("location", ""))


def pending(demo) -> list:
    return experiences.moderation_queue(demo, MODERATOR_61, "61").items


def publish_through_service(demo, *, address: str = "203.0.113.1", **fields) -> str:
    body = {"territory_code": "61", "organisation_id": "caf", "situation": "precarite",
            "sentiment": "negative", "procedure": "Prime d'activité", "text": STORY,
            "contact_email": CONTACT_EMAIL, "contact_phone": CONTACT_PHONE, **fields}
    posted = experiences.post_public(demo, ExperiencePost(**body), client_address=address)
    return experiences.moderate(demo, MODERATOR_61, posted.id, PUBLISH).id


def no_contact_in(html: str) -> None:
    assert CONTACT_EMAIL not in html and "07 98" not in html and "+33798" not in html and "0798" not in html


def error_links(html: str) -> list[str]:
    summary = html.split('id="erreurs"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'href="#([^"]+)"', summary)


# --- posting ----------------------------------------------------------------------------------

def test_the_form_needs_no_account_and_holds_a_honeypot_humans_are_told_to_leave(visitor):
    page = visitor.get("/experiences/nouvelle")
    html = text(page)
    assert page.status_code == 200 and title(page).startswith("Raconter votre expérience")
    assert re.search(r'<option value=""[^>]*>Je ne sais pas</option>', html)
    assert '<option value="caf">Caisse d\'allocations familiales</option>' in html
    assert "Pour recevoir une réponse personnelle (jamais publié)" in html
    honeypot = re.search(r'<div class="relais-honeypot" aria-hidden="true">(.*?)</div>', html, re.S).group(1)
    assert "Ne remplissez pas ce champ" in honeypot
    assert 'autocomplete="off"' in honeypot and 'tabindex="-1"' in honeypot


def test_a_posted_experience_waits_for_moderation_and_is_listed_nowhere(demo, visitor):
    response = visitor.post("/experiences/nouvelle", FORM)
    assert response.status_code == 303, text(response)
    assert location(response) == "/experiences/nouvelle?fait=envoyee&retire=phone%2Cname"
    confirmation = visitor.get(location(response))
    html = text(confirmation)
    assert confirmation.status_code == 200 and "Un modérateur va la lire avant sa publication" in html
    assert "<li>numéro de téléphone</li>" in html and "<li>nom</li>" in html
    [experience] = pending(demo)
    assert experience.status is ModerationStatus.PENDING and experience.channel is ExperienceChannel.WEB
    assert experience.contact_email == CONTACT_EMAIL and "06 12" not in experience.text
    listed = text(visitor.get("/experiences"))
    assert "Prime d'activité" not in listed and "Aucune expérience publiée" in listed
    assert visitor.get(f"/experiences/{experience.id}").status_code == 404


def test_a_published_experience_and_its_answer_are_listed_and_filtered(demo, visitor):
    visitor.post("/experiences/nouvelle", FORM)
    [posted] = pending(demo)
    experiences.moderate(demo, MODERATOR_61, posted.id, PUBLISH)
    experiences.answer(demo, CAF_61, posted.id, "Votre dossier est débloqué depuis ce matin.")
    experiences.moderate_answer(demo, MODERATOR_61, posted.id, PUBLISH)
    positive = publish_through_service(demo, organisation_id="cpam", sentiment="positive", situation="sante",
                                       procedure="Carte Vitale", text="L'agent m'a aidé à refaire ma carte "
                                       "Vitale en une seule visite.")
    page = visitor.get("/experiences")
    html = text(page)
    assert page.status_code == 200
    assert "Réponse de Caisse d'allocations familiales (niveau départemental)" in html
    assert "Votre dossier est débloqué depuis ce matin." in html
    assert html.index(positive) < html.index(posted.id)                        # newest first
    assert "[téléphone retiré]" in html and "Lefèvre" not in html
    no_contact_in(html)

    def ids(**filters) -> set[str]:
        response = visitor.get(f"/experiences?{urlencode(filters)}")
        assert response.status_code == 200, text(response)
        return set(re.findall(r'href="/experiences/([^"?]+)"', response.body.decode())) - {"nouvelle"}
    assert ids(territoire="61") == {posted.id, positive} and ids(territoire="62") == set()
    assert ids(organisme="caf") == {posted.id} and ids(territoire="61", organisme="cpam") == {positive}
    assert ids(ressenti="positive") == {positive} and ids(situation="precarite") == {posted.id}
    assert ids(demarche="carte vitale") == {positive}

    detail = visitor.get(f"/experiences/{posted.id}")
    assert detail.status_code == 200 and "Votre dossier est débloqué" in text(detail)
    no_contact_in(text(detail))


def test_the_list_pages_twenty_at_a_time(demo, visitor):
    published = [publish_through_service(demo, address=f"203.0.113.{i}") for i in range(21)]
    first = visitor.get("/experiences?ressenti=negative")
    html = first.body.decode()
    assert html.count('class="relais-experience ') == 20 and "Page suivante" in html
    following = re.search(r'href="(/experiences\?[^"]*suite=[^"]+)"', html).group(1).replace("&amp;", "&")
    assert "ressenti=negative" in following                                    # the filters go along
    second = visitor.get(following)
    assert second.status_code == 200 and second.body.decode().count('class="relais-experience ') == 1
    assert published[0] in second.body.decode() and "Première page" in text(second)


def test_an_answer_waiting_for_moderation_is_not_shown(demo, visitor):
    experience_id = publish_through_service(demo)
    experiences.answer(demo, CAF_61, experience_id, "Une réponse que personne n'a encore relue.")
    html = text(visitor.get(f"/experiences/{experience_id}"))
    assert "Une réponse que personne" not in html and "Pas encore de réponse publiée." in html


def test_a_refused_experience_is_a_404(demo, visitor):
    posted = experiences.post_public(demo, ExperiencePost(**{**FORM, "contact_phone": None}),
                                     client_address="203.0.113.5")
    experiences.moderate(demo, MODERATOR_61, posted.id, ExperienceModeration(decision="refuse", reason="abuse"))
    for path in (f"/experiences/{posted.id}", "/experiences/pas-un-identifiant"):
        response = visitor.get(path)
        assert response.status_code == 404 and 'lang="fr"' in response.body.decode()


# --- refusals: nothing written ------------------------------------------------------------------

@pytest.mark.parametrize("change,field,message", [
    ({"text": ""}, "text", "Racontez ce qui s'est passé en 20 caractères au moins."),
    ({"text": "Trop court."}, "text", "Racontez ce qui s'est passé en 20 caractères au moins."),
    ({"text": "x" * 3001}, "text", "Le récit dépasse 3 000 caractères"),
    ({"text": "Un récit assez long pour passer,\x07 mais qui sonne."}, "text", "caractère"),
    ({"organisation_id": "inconnu"}, "organisation_id", "Choisissez un organisme de la liste."),
    ({"territory_code": "00"}, "territory_code", "Choisissez le département dans la liste."),
    ({"territory_code": ""}, "territory_code", "Choisissez le département dans la liste."),
    ({"situation": "lune"}, "situation", "Choisissez la situation de vie"),
    ({"sentiment": ""}, "sentiment", "Dites si l'expérience est positive ou négative."),
    ({"contact_email": "pas-une-adresse"}, "contact_email", "adresse e-mail"),
    ({"text": "é" * 9000}, "text", "L'envoi est trop long"),
])
def test_a_refused_form_says_why_at_its_field_and_writes_nothing(demo, visitor, change, field, message):
    before = len(whole_table(demo))
    response = visitor.post("/experiences/nouvelle", {**FORM, **change})
    html = text(response)
    assert response.status_code == (413 if "trop long" in message else 400), html[:500]
    assert message in html and field.replace("_", "_") in error_links(html)
    assert f'id="{field}"' in html and title(response).startswith("Erreur")
    assert len(whole_table(demo)) == before


def test_a_textareas_line_breaks_count_once(demo, visitor):
    story = "a" * 1000 + "\r\n" + "b" * 1000 + "\r\n" + "c" * 997           # 3 001 sent, 2 999 once CRLF is LF
    response = visitor.post("/experiences/nouvelle", {**FORM, "text": story})
    assert response.status_code == 303, text(response)
    assert pending(demo)[0].text == story.replace("\r\n", "\n")


def test_a_form_without_its_token_is_refused_and_writes_nothing(demo, visitor):
    before = len(whole_table(demo))
    response = visitor.post("/experiences/nouvelle", FORM, csrf=False)
    assert response.status_code == 400 and "La page a expiré" in text(response)
    assert STORY[:30] in text(response)                                       # what was typed stays
    assert len(whole_table(demo)) == before


def test_a_robot_filling_the_honeypot_is_told_it_worked_and_nothing_is_written(demo, visitor):
    before = len(whole_table(demo))
    response = visitor.post("/experiences/nouvelle", {**FORM, "site_internet": "http://spam.example"})
    assert response.status_code == 303 and location(response) == "/experiences/nouvelle?fait=envoyee"
    assert "Un modérateur va la lire" in text(visitor.get(location(response)))
    assert len(whole_table(demo)) == before and pending(demo) == []


def test_posting_from_one_address_is_limited_per_hour(demo, visitor):
    for _ in range(demo.settings.experience_posts_per_hour):
        assert visitor.post("/experiences/nouvelle", FORM).status_code == 303
    before = len(pending(demo))
    response = visitor.post("/experiences/nouvelle", FORM)
    html = text(response)
    assert response.status_code == 429 and "réessayez dans une heure" in html
    assert STORY[:30] in html and len(pending(demo)) == before


@pytest.mark.parametrize("query,field", [
    ("territoire=00", "territoire"), ("organisme=inconnu", "organisme"), ("situation=lune", "situation"),
    ("ressenti=mitige", "ressenti"), ("demarche=" + "x" * 201, "demarche"),
])
def test_a_filter_no_page_offers_is_a_french_400(visitor, query, field):
    response = visitor.get(f"/experiences?{query}")
    html = text(response)
    assert response.status_code == 400 and 'lang="fr"' in html and error_links(html) == [field]


def test_a_forged_cursor_is_a_french_400(visitor):
    for cursor in ("%%%", "eyJQSyI6ICJ4In0=", "x" * 3000):
        response = visitor.get(f"/experiences?{urlencode({'suite': cursor})}")
        assert response.status_code == 400 and 'lang="fr"' in response.body.decode()


# --- at the desk ----------------------------------------------------------------------------------

def test_an_agent_writes_down_a_usagers_experience_at_the_desk(demo, client):
    agent = Browser(client, "agent.bretoncelles@example.org")
    page = agent.get("/experiences/guichet")
    assert page.status_code == 200 and "Recueillie au guichet" in text(page)
    assert 'href="/experiences/guichet" aria-current="page"' in page.body.decode()     # in the agent's menu
    assert "site_internet" not in page.body.decode()
    response = agent.post("/experiences/guichet", {**FORM, "point_id": "61-mairie-bretoncelles"})
    assert response.status_code == 303 and location(response).startswith("/experiences/guichet?fait=envoyee")
    assert "l'expérience de l'usager est envoyée" in text(agent.get(location(response)))
    [experience] = pending(demo)
    assert experience.channel is ExperienceChannel.DESK and experience.point_id == "61-mairie-bretoncelles"
    experiences.moderate(demo, MODERATOR_61, experience.id, PUBLISH)
    listed = text(Browser(client, None).get("/experiences"))
    assert "Recueillie au guichet" in listed and "Sophie Girard" not in listed
    no_contact_in(listed)


def test_the_desk_form_is_for_agents_only(client):
    anonymous = Browser(client, None).get("/experiences/guichet")
    assert anonymous.status_code == 303 and location(anonymous).startswith("/connexion")
    referent = Browser(client, "referent.61-caf@example.org")
    assert referent.get("/experiences/guichet").status_code == 403
    refused = referent.post("/experiences/guichet", FORM)
    assert refused.status_code == 403
