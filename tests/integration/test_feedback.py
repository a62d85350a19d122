"""Agents' feedback (« remontées ») and training requests, on DynamoDB Local through Chalice's
test client: an agent files them at their point, the territory's coordinators triage them, the
agent reads the answer; nobody ever sees which agent wrote; the quarterly summary counts a range."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import count, login
from tests.integration.test_pages import Browser, text, title

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

AGENT = "agent.bretoncelles@example.org"          # Sophie Girard, Mairie de Bretoncelles (61)
AGENT_NAME = "Sophie Girard"
OTHER_AGENT = "agent.remalard@example.org"        # Mairie de Rémalard-en-Perche (61)
COORDINATOR = "coordination.61@example.org"
FOREIGN_COORDINATOR = "coordination.62@example.org"
ADMIN = "admin@example.org"
DIFFICULTY = {"kind": "difficulty", "point_id": "61-mairie-bretoncelles", "organisation_id": "cpam",
              "procedure": "Demande de complémentaire santé solidaire",
              "problem": "Le formulaire en ligne refuse les attestations de ressources scannées.",
              "usagers_affected": "12"}
TRAINING = {"kind": "training", "point_id": "61-mairie-bretoncelles", "topic": "La retraite progressive"}


@pytest.fixture
def agent(client):
    return Browser(client, AGENT)


@pytest.fixture
def coordinator(client):
    return Browser(client, COORDINATOR)


def file_report(agent: Browser, fields: dict | None = None) -> None:
    response = agent.post("/remontees", fields or DIFFICULTY)
    assert response.status_code == 303, text(response)


def territory_items(reader: Browser, query: str = "") -> list[dict]:
    """The territory 61's feedback through the API, as this signed-in reader gets it."""
    response = reader.get(f"/api/feedback/61{query}")
    assert response.status_code == 200, response.body
    return response.json_body["items"]


def stored(deps) -> int:
    return count(deps, "FEEDBACK#61")


# --- the agent files -----------------------------------------------------------------------

def test_an_agent_reports_a_difficulty_and_reads_it_back_with_its_status(client, agent):
    page = agent.get("/remontees")
    html = text(page)
    assert page.status_code == 200 and 'href="/remontees" aria-current="page"' in page.body.decode()
    assert "Signaler une difficulté" in html and "Demander une formation" in html
    assert '<option value="cpam">Caisse primaire d\'assurance maladie</option>' in html

    response = agent.post("/remontees", DIFFICULTY)
    assert response.headers["Location"] == "/remontees?fait=difficulte#mes-remontees"
    html = text(agent.get("/remontees?fait=difficulte"))
    assert "Votre remontée est envoyée à la coordination" in html
    listed = html.split('id="mes-remontees"')[1]
    assert "Demande de complémentaire santé solidaire" in listed and "12 usagers" in listed
    assert "Nouvelle" in listed and "Pas encore de réponse" in listed

    [item] = client.http.get("/api/feedback", headers=login(client, AGENT)).json_body["items"]
    assert item["kind"] == "difficulty" and item["status"] == "new" and item["usagers_affected"] == 12
    assert item["organisation_name"] == "Caisse primaire d'assurance maladie"
    assert item["point_name"] == "Mairie de Bretoncelles" and item["territory_code"] == "61"
    assert "author_id" not in item and "version" not in item


def test_a_training_request_needs_only_a_topic(client, agent, deps):
    response = agent.post("/remontees", TRAINING)
    assert response.headers["Location"] == "/remontees?fait=formation#mes-remontees"
    assert "Votre demande de formation est envoyée" in text(agent.get("/remontees?fait=formation"))
    [item] = client.http.get("/api/feedback", headers=login(client, AGENT)).json_body["items"]
    assert (item["kind"], item["topic"], item["details"], item["procedure"]) == (
        "training", "La retraite progressive", None, None)


def test_a_refused_form_says_why_in_french_keeps_what_was_typed_and_writes_nothing(client, agent, deps):
    response = agent.post("/remontees", {**DIFFICULTY, "organisation_id": "", "procedure": "  ",
                                         "usagers_affected": "douze"})
    html = text(response)
    assert response.status_code == 400
    summary = re.search(r'<div class="fr-alert fr-alert--error[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "3 erreurs" in summary
    for anchor, message in [("organisation_id", "Choisissez l'organisme concerné."),
                            ("procedure", "Indiquez la démarche concernée."),
                            ("usagers_affected", "Indiquez un nombre entier, par exemple 12.")]:
        assert f'href="#{anchor}"' in summary and message in summary, anchor
    assert 'aria-invalid="true" aria-describedby="usagers_affected-erreur"' in html
    assert 'value="douze"' in html and DIFFICULTY["problem"] in html     # what was typed stays
    too_many = agent.post("/remontees", {**DIFFICULTY, "usagers_affected": "10 001"})
    assert too_many.status_code == 400 and "Indiquez un nombre entre 1 et 10 000." in text(too_many)
    no_topic = agent.post("/remontees", {**TRAINING, "topic": "", "details": "Pour deux agents."})
    assert "Indiquez le sujet de la formation souhaitée." in text(no_topic)
    assert 'Pour deux agents.</textarea>' in text(no_topic)
    assert stored(deps) == 0


def test_the_api_refuses_in_french_and_writes_nothing(client, deps):
    headers = login(client, AGENT)

    def post(body):
        return client.http.post("/api/feedback", headers=headers, body=json.dumps(body))

    mixed = post({**TRAINING, "procedure": "Une démarche"})
    assert mixed.status_code == 400
    assert mixed.json_body["errors"] == [{"field": "procedure",
                                          "message": "Ce champ ne concerne pas ce type de remontée."}]
    zero = post({**DIFFICULTY, "usagers_affected": 0})
    assert zero.json_body["errors"][0] == {"field": "usagers_affected",
                                           "message": "Indiquez un nombre entre 1 et 10 000."}
    unknown = post({**DIFFICULTY, "organisation_id": "nasa"})
    assert (unknown.status_code, unknown.json_body["field"]) == (400, "organisation_id")
    assert unknown.json_body["message"] == "Choisissez un organisme de la liste."
    foreign = post({**DIFFICULTY, "point_id": "61-mairie-remalard"})
    assert foreign.status_code == 403
    referent = client.http.post("/api/feedback", headers=login(client, "referent.61-caf@example.org"),
                                body=json.dumps(DIFFICULTY))
    assert referent.status_code == 403
    assert stored(deps) == 0
    created = post({k: v for k, v in DIFFICULTY.items() if k != "point_id"})  # one point: implied
    assert created.status_code == 201 and created.json_body["point_id"] == "61-mairie-bretoncelles"
    assert stored(deps) == 1


def test_an_agent_sees_only_their_points_feedback(client, agent):
    file_report(agent)
    other = Browser(client, OTHER_AGENT)
    assert "Aucune remontée pour l'instant." in text(other.get("/remontees"))
    headers = login(client, OTHER_AGENT)
    assert client.http.get("/api/feedback", headers=headers).json_body["items"] == []
    foreign = client.http.get("/api/feedback?point_id=61-mairie-bretoncelles", headers=headers)
    assert foreign.status_code == 403
    forged = other.post("/remontees", DIFFICULTY)          # the hidden point changed by hand
    assert forged.status_code == 404
    assert len(client.http.get("/api/feedback", headers=login(client, AGENT)).json_body["items"]) == 1


def test_other_roles_cannot_open_the_agents_page_nor_the_coordinators(client):
    assert Browser(client, COORDINATOR).get("/remontees").status_code == 403
    assert Browser(client, AGENT).get("/territoire/remontees").status_code == 403
    assert Browser(client, None).get("/remontees").headers["Location"] == "/connexion?suite=%2Fremontees"


# --- the coordinator triages ------------------------------------------------------------------

def test_the_coordinator_sees_the_point_never_the_agent(client, agent, coordinator):
    file_report(agent)
    page = coordinator.get("/territoire/remontees")
    html = text(page)
    assert page.status_code == 200 and 'href="/territoire/remontees" aria-current="page"' in page.body.decode()
    assert "Mairie de Bretoncelles" in html and DIFFICULTY["problem"] in html and "1 remontée" in html
    item_id = territory_items(coordinator)[0]["id"]
    assert f'action="/territoire/remontees/61/{item_id}"' in html
    user_id = client.http.get("/api/me", headers=login(client, AGENT)).json_body["id"]
    assert AGENT_NAME not in html and AGENT not in html and user_id not in html
    assert title(page) == "Remontées des agents – territoire 61 – Relais, Services Publics+"
    assert "/territoire/remontees?code=61" in text(coordinator.get("/territoire"))   # linked


def test_triage_moves_forward_and_the_agent_reads_the_answer(client, agent, coordinator):
    file_report(agent)
    item_id = territory_items(coordinator)[0]["id"]
    path = f"/territoire/remontees/61/{item_id}"

    response = coordinator.post(path, {"status": "acknowledged", "answer": "Signalé à la CPAM le 3 mars.",
                                       "filtres": "code=61&statut=nouvelle"})
    assert response.headers["Location"] == (f"/territoire/remontees?code=61&statut=nouvelle&fait=traitee"
                                            f"#remontee-{item_id}")
    after = text(coordinator.get("/territoire/remontees?code=61&statut=nouvelle&fait=traitee"))
    assert "La remontée est mise à jour." in after and "Aucune remontée" in after   # no longer new
    listed = text(agent.get("/remontees")).split('id="mes-remontees"')[1]
    assert "Prise en compte" in listed and "Signalé à la CPAM le 3 mars." in listed

    assert coordinator.post(path, {"status": "solved", "answer": "Le formulaire est corrigé."}).status_code == 303
    [item] = territory_items(coordinator)
    assert (item["status"], item["status_label"], item["answer"]) == ("solved", "Résolue",
                                                                     "Le formulaire est corrigé.")
    back = coordinator.post(path, {"status": "acknowledged"})
    assert back.status_code == 409 and "déjà résolue" in text(back)
    api_back = client.http.post(f"/api/feedback/61/{item_id}/triage", headers=login(client, COORDINATOR),
                                body=json.dumps({"status": "acknowledged"}))
    assert (api_back.status_code, api_back.json_body["error"]) == (409, "conflict")
    assert territory_items(coordinator)[0]["status"] == "solved"


def test_a_refused_triage_points_at_the_items_fields(client, agent, coordinator):
    file_report(agent)
    item_id = territory_items(coordinator)[0]["id"]
    response = coordinator.post(f"/territoire/remontees/61/{item_id}", {"answer": "x" * 1001})
    html = text(response)
    assert response.status_code == 400
    assert f'href="#status-{item_id}"' in html and "Choisissez « Prise en compte » ou « Résolue »." in html
    assert f'href="#answer-{item_id}"' in html and "1000 caractères au plus" in html
    assert f'aria-describedby="answer-{item_id}-erreur"' in html and "x" * 1001 in html
    back_to_new = text(coordinator.post(f"/territoire/remontees/61/{item_id}", {"status": "new"}))
    assert "Une erreur empêche l'envoi" in back_to_new and "Choisissez « Prise en compte »" in back_to_new
    assert territory_items(coordinator)[0]["status"] == "new"


def test_admins_read_every_territory_but_do_not_triage(client, agent, coordinator):
    file_report(agent)
    item_id = territory_items(coordinator)[0]["id"]
    admin = Browser(client, ADMIN)
    page = text(admin.get("/territoire/remontees?code=61"))
    assert "Mairie de Bretoncelles" in page and "/territoire/remontees/61/" not in page
    assert len(territory_items(admin)) == 1
    assert admin.post(f"/territoire/remontees/61/{item_id}", {"status": "solved"}).status_code == 403
    refused = client.http.post(f"/api/feedback/61/{item_id}/triage", headers=login(client, ADMIN),
                               body=json.dumps({"status": "solved"}))
    assert refused.status_code == 403


def test_a_coordinator_of_another_territory_neither_sees_nor_triages(client, agent, coordinator):
    file_report(agent)
    item_id = territory_items(coordinator)[0]["id"]
    foreign = Browser(client, FOREIGN_COORDINATOR)
    assert "Aucune remontée" in text(foreign.get("/territoire/remontees"))            # their own: 62
    assert foreign.get("/territoire/remontees?code=61").status_code == 404
    assert foreign.post(f"/territoire/remontees/61/{item_id}", {"status": "solved"}).status_code == 404
    headers = login(client, FOREIGN_COORDINATOR)
    assert client.http.get("/api/feedback/61", headers=headers).status_code == 404
    for path in (f"/api/feedback/61/{item_id}/triage", f"/api/feedback/62/{item_id}/triage",
                 "/api/feedback/61/not-an-id/triage"):
        response = client.http.post(path, headers=headers, body=json.dumps({"status": "solved"}))
        assert (response.status_code, response.json_body["error"]) == (404, "not_found"), path
    assert territory_items(coordinator)[0]["status"] == "new"


def test_every_feedback_form_refuses_a_post_without_the_csrf_token(client, agent, coordinator, deps):
    refused = agent.post("/remontees", {**DIFFICULTY, "csrf": "forged"}, csrf=False)
    assert refused.status_code == 400 and "expiré" in text(refused)
    assert 'value="Demande de complémentaire santé solidaire"' in text(refused)
    assert stored(deps) == 0
    file_report(agent)
    item_id = territory_items(coordinator)[0]["id"]
    refused = coordinator.post(f"/territoire/remontees/61/{item_id}",
                               {"status": "solved", "csrf": "forged"}, csrf=False)
    assert refused.status_code == 400 and "expiré" in text(refused)
    assert territory_items(coordinator)[0]["status"] == "new"


def test_the_coordinator_filters_by_status_kind_and_days(client, agent, coordinator, instant):
    file_report(agent)
    file_report(agent, TRAINING)
    assert [i["kind"] for i in territory_items(coordinator)] == ["training", "difficulty"]   # newest first
    training_id = territory_items(coordinator, query="?kind=training")[0]["id"]
    coordinator.post(f"/territoire/remontees/61/{training_id}", {"status": "acknowledged"})
    only_new = text(coordinator.get("/territoire/remontees?statut=nouvelle"))
    assert DIFFICULTY["procedure"] in only_new and TRAINING["topic"] not in only_new
    trainings = text(coordinator.get("/territoire/remontees?type=formation"))
    assert TRAINING["topic"] in trainings and DIFFICULTY["procedure"] not in trainings
    assert len(territory_items(coordinator, query="?status=acknowledged&kind=training")) == 1
    today = instant.astimezone(UTC).date()       # the test's own instant
    around_today = f"?since={today - timedelta(days=1)}&until={today + timedelta(days=1)}"
    assert len(territory_items(coordinator, query=around_today)) == 2
    assert territory_items(coordinator, query=f"?until={today - timedelta(days=2)}") == []
    typed = coordinator.get(f"/territoire/remontees?du={today - timedelta(days=1):%d/%m/%Y}")  # no date picker
    assert typed.status_code == 200 and TRAINING["topic"] in text(typed)
    wrong = coordinator.get("/territoire/remontees?du=hier")
    assert wrong.status_code == 400 and "Indiquez une date au format JJ/MM/AAAA." in text(wrong)
    backwards = coordinator.get(f"/api/feedback/61?since={today}&until={today - timedelta(days=3)}")
    assert backwards.json_body["errors"][0] == {"field": "until",
                                                "message": "La date de fin précède la date de début."}


# --- storage, audit and the quarterly summary --------------------------------------------------

def _file_at(deps, at: datetime, command: dict, agent_id: str = "u-test-agent"):
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.commands import FeedbackCreate
    from chalicelib.domain.models import Role
    from chalicelib.services import feedback

    principal = Principal(agent_id, Role.AGENT, frozenset({command["point_id"]}))
    deps.clock = lambda: at
    return feedback.create_feedback(deps, principal, FeedbackCreate.model_validate(command))


def test_the_audit_log_holds_codes_and_ids_only(client, agent, coordinator, deps):
    file_report(agent)
    item_id = territory_items(coordinator)[0]["id"]
    coordinator.post(f"/territoire/remontees/61/{item_id}", {"status": "solved", "answer": "Corrigé."})
    day = f"AUDIT#{deps.now().astimezone(UTC).date().isoformat()}"
    events = deps.dynamodb.query(TableName=deps.settings.table_name, KeyConditionExpression="PK = :pk",
                                 ExpressionAttributeValues={":pk": {"S": day}})["Items"]
    ours = [e for e in events if e["code"]["S"].startswith("FEEDBACK_")]
    assert [e["code"]["S"] for e in ours] == ["FEEDBACK_CREATED", "FEEDBACK_TRIAGED"]
    assert ours[0]["data"]["M"]["feedback_id"]["S"] == item_id
    raw = json.dumps(ours, ensure_ascii=False)
    assert "complémentaire" not in raw and "Corrigé" not in raw and "formulaire" not in raw


def test_a_stale_triage_is_refused_by_the_version_condition(demo):
    from chalicelib.domain.errors import RaceLost
    from chalicelib.domain.events import EventCode
    from chalicelib.domain.feedback import created_at_of
    from chalicelib.services.common import event

    deps = demo
    view = _file_at(deps, datetime(2026, 2, 3, 9, tzinfo=UTC), DIFFICULTY)
    stored_item = deps.repo.get_feedback("61", created_at_of(view.id), view.id)
    first = stored_item.model_copy(update={"version": 2})
    deps.repo.update_feedback(first, 1, event(EventCode.FEEDBACK_TRIAGED, "u-a", deps.now()))
    with pytest.raises(RaceLost):
        deps.repo.update_feedback(first.model_copy(update={"version": 2}), 1,
                                  event(EventCode.FEEDBACK_TRIAGED, "u-b", deps.now()))


def test_quarter_summary_counts_the_range_by_kind_status_and_organisation(demo):
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.commands import FeedbackTriage
    from chalicelib.domain.models import Role
    from chalicelib.services import feedback

    deps = demo
    # Q1 2026 in Paris: from 1 January 00:00 (UTC+1) to 1 April 00:00 (UTC+2), the end excluded.
    start, end = datetime(2025, 12, 31, 23, tzinfo=UTC), datetime(2026, 3, 31, 22, tzinfo=UTC)
    before = _file_at(deps, start - timedelta(microseconds=1), DIFFICULTY)
    at_start = _file_at(deps, start, DIFFICULTY)
    _file_at(deps, datetime(2026, 2, 10, 14, tzinfo=UTC), {**DIFFICULTY, "usagers_affected": 30})
    _file_at(deps, datetime(2026, 3, 5, tzinfo=UTC), {**DIFFICULTY, "organisation_id": "caf",
                                                       "usagers_affected": "3", "point_id": "61-mairie-remalard"},
             agent_id="u-other-agent")
    training = _file_at(deps, end - timedelta(microseconds=1), TRAINING)
    _file_at(deps, end, TRAINING)                                                   # next quarter
    _file_at(deps, datetime(2026, 2, 1, tzinfo=UTC), {**TRAINING, "point_id": "62-pimms-bethune"})
    coordinator = Principal("u-coord", Role.COORDINATOR, territory_codes=frozenset({"61"}))
    feedback.triage_feedback(deps, coordinator, "61", at_start.id, FeedbackTriage(status="solved"))
    feedback.triage_feedback(deps, coordinator, "61", training.id, FeedbackTriage(status="acknowledged"))

    summary = feedback.quarter_summary(deps, "61", start, end)
    assert summary.total == 4 and [i.id for i in summary.items][0] == at_start.id
    assert before.id not in {i.id for i in summary.items}
    assert summary.by_kind == {"difficulty": 3, "training": 1}
    assert summary.by_status == {"new": 2, "acknowledged": 1, "solved": 1}
    assert summary.by_kind_and_status["difficulty"] == {"new": 2, "acknowledged": 0, "solved": 1}
    assert [(o.organisation_id, o.reports, o.usagers_affected) for o in summary.by_organisation] == [
        ("cpam", 2, 42), ("caf", 1, 3)]
    assert summary.by_organisation[0].organisation_name == "Caisse primaire d'assurance maladie"
    assert summary.usagers_affected == 45
    assert {i.point_name for i in summary.items} == {"Mairie de Bretoncelles", "Mairie de Rémalard-en-Perche"}
    dumped = summary.model_dump_json()
    assert "u-test-agent" not in dumped and "u-other-agent" not in dumped and "author" not in dumped
    empty = feedback.quarter_summary(deps, "61", datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
    assert (empty.total, empty.by_kind, empty.items) == (0, {"difficulty": 0, "training": 0}, [])
    assert feedback.quarter_summary(deps, "62", start, end).total == 1


def test_a_points_feedback_stays_out_of_its_cases_list(client, agent):
    """Feedback has its own GSI1 partition: the point's case list (any status) never reads it."""
    file_report(agent)
    cases = client.http.get("/api/cases", headers=login(client, AGENT))
    assert cases.status_code == 200 and cases.json_body["items"] == []
