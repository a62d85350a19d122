"""« Avis recueilli par téléphone » on the case page (issue 25): the agent who phoned the usager
back records the mark (the case's satisfaction if none yet), positive or negative, and what the
usager said (an experience, channel telephone). Audited; only the case's agents; CSRF; French
errors that keep what was typed."""
from __future__ import annotations

import pytest

from tests.clock import TUESDAY_MORNING
from tests.integration.test_pages import AGENT, REFERENT, Browser, create, text

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

OTHER_AGENT = "agent.remalard@example.org"
SURVEY = {"satisfaction": "4", "sentiment": "positive"}


@pytest.fixture
def agent(client):
    return Browser(client, AGENT)


def closed_case(agent: Browser) -> str:
    ref = create(agent)
    assert agent.post(f"/dossiers/{ref}/cloture", {"outcome": "solved_at_desk", "useful": "oui"}).status_code == 303
    return ref


def survey_events(deps, ref: str) -> list:
    return [e for e in deps.repo.get_bundle(ref).events if e.code == "PHONE_SURVEY"]


def test_the_form_is_offered_on_a_closed_case_only_and_records_the_mark(client, agent, deps):
    ref = create(agent)
    assert "Avis recueilli par téléphone" not in text(agent.get(f"/dossiers/{ref}"))
    assert agent.post(f"/dossiers/{ref}/cloture", {"outcome": "solved_at_desk", "useful": "oui"}).status_code == 303
    page = text(agent.get(f"/dossiers/{ref}"))
    assert "Avis recueilli par téléphone" in page and "pas encore donné de note" in page
    response = agent.post(f"/dossiers/{ref}/avis-telephone", SURVEY)
    assert response.status_code == 303 and response.headers["Location"].endswith("?fait=avis#avis-telephone")
    case = deps.repo.get_case(ref)
    assert case.satisfaction == 4 and case.satisfaction_at is not None
    page = text(agent.get(response.headers["Location"]))
    assert "Satisfaction de l'usager : 4 sur 5." in page and "L'avis de l'usager est enregistré" in page
    [audit] = survey_events(deps, ref)
    assert audit.actor_id != "usager" and audit.data == {
        "satisfaction": "4", "sentiment": "positive", "recorded": "true", "comment": "false"}


def test_a_mark_already_given_by_sms_is_kept(client, agent, deps):
    from tests.integration.test_sms import inbound

    ref = closed_case(agent)
    assert inbound(client, "2")["outcome"] == "satisfaction"
    assert agent.post(f"/dossiers/{ref}/avis-telephone", {"satisfaction": "5", "sentiment": "positive"}).status_code == 303
    assert deps.repo.get_case(ref).satisfaction == 2
    assert survey_events(deps, ref)[0].data["recorded"] == "false"


def test_an_incomplete_form_is_refused_in_french_and_keeps_what_was_typed(client, agent, deps):
    ref = closed_case(agent)
    response = agent.post(f"/dossiers/{ref}/avis-telephone", {"comment": "Très bien reçue au guichet"})
    page = text(response)
    assert response.status_code == 400
    assert "Choisissez la note donnée par l'usager, de 1 à 5." in page
    assert "plutôt positif ou plutôt négatif" in page and "Très bien reçue au guichet" in page
    bad = agent.post(f"/dossiers/{ref}/avis-telephone", {"satisfaction": "9", "sentiment": "meh"})
    assert bad.status_code == 400
    too_long = agent.post(f"/dossiers/{ref}/avis-telephone", {**SURVEY, "comment": "x" * 1001})
    assert too_long.status_code == 400
    assert deps.repo.get_case(ref).satisfaction is None and survey_events(deps, ref) == []


def test_only_the_case_s_agents_with_the_token_and_only_once_closed(client, agent, deps):
    open_ref = create(agent)
    assert agent.post(f"/dossiers/{open_ref}/avis-telephone", SURVEY).status_code == 409
    ref = closed_case(agent)
    assert agent.post(f"/dossiers/{ref}/avis-telephone", {**SURVEY, "csrf": "forged"}, csrf=False).status_code == 400
    other = Browser(client, OTHER_AGENT)
    assert other.post(f"/dossiers/{ref}/avis-telephone", SURVEY).status_code == 404
    referent = Browser(client, REFERENT)
    assert referent.post(f"/dossiers/{ref}/avis-telephone", SURVEY).status_code in (200, 404)
    signed_out = Browser(client, None)
    assert signed_out.post(f"/dossiers/{ref}/avis-telephone", SURVEY).status_code in (200, 401, 303)
    assert deps.repo.get_case(ref).satisfaction is None and survey_events(deps, ref) == []
    assert deps.repo.get_case(open_ref).satisfaction is None


def test_the_comment_is_filed_as_an_experience_by_telephone_scrubbed(client, agent, deps):
    from tests.integration.test_sms_opinions import pending_experiences

    ref = closed_case(agent)
    response = agent.post(f"/dossiers/{ref}/avis-telephone", {
        "satisfaction": "2", "sentiment": "negative",
        "comment": "Élodie D'Argent trouve l'attente\r\ntrop longue au 06 12 34 56 78"})
    assert response.status_code == 303
    [experience] = pending_experiences(deps)
    assert experience.channel == "telephone" and experience.sentiment == "negative"
    assert experience.point_id == "61-mairie-bretoncelles" and experience.situation == "retraite"
    assert experience.author_id is not None
    assert "06 12 34 56 78" not in experience.text and "D'Argent" not in experience.text
    assert "trop longue" in experience.text                      # a textarea's CRLF is a line break
    assert survey_events(deps, ref)[0].data["comment"] == "true"


def test_a_too_short_comment_is_refused_before_anything_is_recorded(client, agent, deps):
    ref = closed_case(agent)
    response = agent.post(f"/dossiers/{ref}/avis-telephone", {**SURVEY, "comment": "ok"})
    assert response.status_code == 400 and "Le commentaire est trop court" in text(response)
    assert deps.repo.get_case(ref).satisfaction is None and survey_events(deps, ref) == []
