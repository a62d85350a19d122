"""Bad input through the JSON API: a 400 in French naming the field, and nothing written.

Every refusal is checked against the table itself: the relevant partition is counted with a
Query (never a Scan) before and after the request.
"""
from __future__ import annotations

import base64
import copy
import json
from datetime import UTC

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import count, login, outbox

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

POINT = "61-mairie-bretoncelles"
AGENT = "agent.bretoncelles@example.org"
CASE = {
    "point_id": POINT,
    "usager": {"first_name": "Jeanne", "last_name": "Martin", "phone": "06 12 34 56 78",
               "sms_opt_in": True},
    "situation": "emploi",
    "description": "Ses allocations chômage ne sont plus versées depuis deux mois.",
    "consent_attested": True,
}
VALID_NIR = "1 85 05 78 006 084 91"
WRONG_KEY_NIR = "1 85 05 78 006 084 37"
# What pydantic says when a message was not translated.
ENGLISH = ("Field required", "Input should", "value is not", "Value error", "String should",
           "Extra inputs", "List should", "Invalid JSON", "validation error")


# --- helpers ------------------------------------------------------------------------------


def point_cases(deps) -> int:
    return count(deps, f"POINT#{POINT}", index="GSI1")


def case_items(deps, ref: str) -> int:
    return count(deps, f"CASE#{ref}")


def audit_items(deps) -> int:
    return count(deps, f"AUDIT#{deps.now().astimezone(UTC).date().isoformat()}")


def assert_invalid(response, field: str | None, *fragments: str) -> dict:
    """A 400 with the API's error shape, a French message and the field at fault."""
    assert response.status_code == 400, (response.status_code, response.body)
    assert response.headers["Content-Type"].startswith("application/json")
    body = json.loads(response.body)
    assert body["error"] == "invalid_input", body
    message = body["message"]
    assert isinstance(message, str) and message.strip(), body
    assert not any(english in message for english in ENGLISH), body
    for fragment in fragments:
        assert fragment in message, body
    assert body["field"] == field, body
    return body


def with_changes(base: dict, path: str, value) -> dict:
    """A copy of base with the dotted path set to value, or removed if value is DELETE."""
    data = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    target = data
    for part in parents:
        target = target[part]
    if value is DELETE:
        del target[leaf]
    else:
        target[leaf] = value
    return data


DELETE = object()


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.fixture
def agent(client):
    return login(client, AGENT)


@pytest.fixture
def case_ref(client, agent):
    created = client.http.post("/api/cases", headers=agent, body=json.dumps(CASE))
    assert created.status_code == 201, created.body
    return created.json_body["ref"]


@pytest.fixture
def escalated_ref(client, agent, case_ref):
    escalated = client.http.post(f"/api/cases/{case_ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-caf"], "question": "Pourquoi le versement est-il suspendu ?"}))
    assert escalated.status_code == 201, escalated.body
    return case_ref


# --- creating a case -------------------------------------------------------------------------

@pytest.mark.parametrize("raw, field, fragment", [
    pytest.param(b'{"point_id": "61-mairie-bretoncelles", ', None, "JSON", id="malformed-json"),
    pytest.param(b"not json at all", None, "JSON", id="not-json"),
    pytest.param(json.dumps([CASE]).encode(), None, "objet", id="json-array"),
    pytest.param(b'"a string"', None, "objet", id="json-string"),
    pytest.param(b"null", None, "objet", id="json-null"),
    pytest.param(b'{"point_id": "\xff"}', None, "JSON", id="not-utf8"),
    pytest.param(b"[" * 100_000, None, "JSON", id="deeply-nested-array"),
])
def test_a_body_that_is_not_a_json_object_is_refused(client, deps, agent, raw, field, fragment):
    before = point_cases(deps)
    response = client.http.post("/api/cases", headers=agent, body=raw)
    assert_invalid(response, field, fragment)
    assert point_cases(deps) == before


@pytest.mark.parametrize("path, value, field, fragment", [
    pytest.param("priority", "haute", "priority", "pas attendu", id="unknown-extra-field"),
    pytest.param("usager.nickname", "Jeannot", "usager.nickname", "pas attendu",
                 id="unknown-usager-field"),
    pytest.param("usager", DELETE, "usager", "obligatoire", id="missing-usager"),
    pytest.param("usager", "Jeanne Martin", "usager", "objet", id="usager-not-an-object"),
    pytest.param("usager.first_name", "", "usager.first_name", "obligatoire", id="empty-first-name"),
    pytest.param("usager.first_name", "   ", "usager.first_name", "obligatoire",
                 id="blank-first-name"),
    pytest.param("usager.last_name", "Martin2", "usager.last_name", "lettres", id="name-with-digits"),
    pytest.param("usager.phone", "12", "usager.phone", "n'est pas valide", id="invalid-phone"),
    pytest.param("usager.phone", "", "usager.phone", "portable", id="sms-without-a-phone"),
    pytest.param("usager.phone", DELETE, "usager.phone", "portable", id="sms-with-no-phone-field"),
    pytest.param("usager.phone", 612345678, "usager.phone", "", id="phone-as-a-number"),
    pytest.param("usager.phone", ["06 12 34 56 78"], "usager.phone", "", id="phone-as-a-list"),
    pytest.param("usager.phone", "01 45 67 89 12", "usager.phone", "fixe", id="landline-with-sms"),
    pytest.param("usager.email", "jeanne.martin@", "usager.email", "adresse e-mail",
                 id="invalid-email"),
    pytest.param("situation", "loisirs", "situation", "Choisissez une valeur", id="unknown-situation"),
    pytest.param("consent_attested", False, "consent_attested", "accord", id="no-consent"),
    pytest.param("consent_attested", DELETE, "consent_attested", "obligatoire", id="missing-consent"),
    pytest.param("description", "x" * 5001, "description", "5000", id="description-too-long"),
    pytest.param("description", "   ", "description", "obligatoire", id="blank-description"),
    pytest.param("description", "Bonjour\x00", "description", "caractères", id="control-character"),
    pytest.param("point_id", "61 MAIRIE", "point_id", "format", id="bad-point-id"),
])
def test_case_creation_refuses_bad_fields_and_writes_nothing(client, deps, agent, path, value,
                                                             field, fragment):
    before = point_cases(deps)
    response = client.http.post("/api/cases", headers=agent,
                                body=json.dumps(with_changes(CASE, path, value)))
    assert_invalid(response, field, fragment)
    assert point_cases(deps) == before


def test_a_landline_is_accepted_when_the_usager_wants_no_sms(client, deps, agent):
    """The counterpart of the landline refusal, and proof that the count does see writes."""
    before = point_cases(deps)
    usager = {**CASE["usager"], "phone": "01 45 67 89 12", "sms_opt_in": False}
    response = client.http.post("/api/cases", headers=agent, body=json.dumps({**CASE, "usager": usager}))
    assert response.status_code == 201, response.body
    assert response.json_body["usager"]["phone"] == "+33145678912"
    assert response.json_body["usager"]["sms_opt_in"] is False
    assert point_cases(deps) == before + 1
    assert case_items(deps, response.json_body["ref"]) >= 1


def test_a_body_larger_than_256_kb_is_refused(client, deps, agent):
    before = point_cases(deps)
    padding = "x" * (256 * 1024)
    raw = json.dumps({**CASE, "description": padding}).encode()
    assert len(raw) > 256 * 1024
    response = client.http.post("/api/cases", headers=agent, body=raw)
    assert_invalid(response, None, "volumineuse")
    assert point_cases(deps) == before


def test_a_text_plain_body_is_a_client_error(client, deps, agent):
    before = point_cases(deps)
    response = client.http.post("/api/cases", headers={**agent, "Content-Type": "text/plain"},
                                body=json.dumps(CASE))
    assert 400 <= response.status_code < 500, (response.status_code, response.body)
    assert point_cases(deps) == before


# --- escalating, writing, closing ---------------------------------------------------------

@pytest.mark.parametrize("command, field, fragment", [
    pytest.param({"group_ids": [], "question": "Où en est le dossier ?"}, "group_ids", "au moins 1",
                 id="empty-group-ids"),
    pytest.param({"group_ids": ["61-caf", "61-caf"], "question": "Où en est le dossier ?"},
                 "group_ids", "deux fois", id="duplicate-group-ids"),
    pytest.param({"group_ids": ["61-inconnu"], "question": "Où en est le dossier ?"},
                 "group_ids", "n'existe pas", id="unknown-group"),
    pytest.param({"group_ids": ["62-caf"], "question": "Où en est le dossier ?"},
                 "group_ids", "territoire", id="group-of-another-territory"),
    pytest.param({"group_ids": ["61-cpam", "62-caf"], "question": "Où en est le dossier ?"},
                 "group_ids", "territoire", id="one-group-of-another-territory"),
    pytest.param({"group_ids": ["61-caf"], "question": "Où en est le dossier ?",
                  "identifiers": {"nir": WRONG_KEY_NIR}}, "identifiers.nir", "clé",
                 id="nir-with-a-wrong-key"),
    pytest.param({"group_ids": ["61-caf"], "question": "Où en est le dossier ?",
                  "identifiers": {"nir": 185057800608491}}, "identifiers.nir", "",
                 id="nir-as-a-number"),
    pytest.param({"group_ids": ["61-caf"], "question": "Où en est le dossier ?",
                  "identifiers": {"caf_number": "12"}}, "identifiers.caf_number", "format",
                 id="bad-caf-number"),
    pytest.param({"group_ids": ["61-caf"], "question": ""}, "question", "obligatoire",
                 id="empty-question"),
    pytest.param({"group_ids": ["61-caf"], "question": "Où ?", "urgent": True}, "urgent",
                 "pas attendu", id="unknown-extra-field"),
])
def test_escalation_refuses_bad_input_and_writes_nothing(client, deps, agent, case_ref, command,
                                                         field, fragment):
    before = case_items(deps, case_ref)
    response = client.http.post(f"/api/cases/{case_ref}/escalations", headers=agent,
                                body=json.dumps(command))
    assert_invalid(response, field, fragment)
    assert case_items(deps, case_ref) == before
    assert client.http.get(f"/api/cases/{case_ref}", headers=agent).json_body["status"] == "open"


def test_a_valid_nir_is_accepted_on_escalation(client, deps, agent, case_ref):
    before = case_items(deps, case_ref)
    response = client.http.post(f"/api/cases/{case_ref}/escalations", headers=agent, body=json.dumps(
        {"group_ids": ["61-caf"], "question": "Où en est le dossier ?",
         "identifiers": {"nir": VALID_NIR}}))
    assert response.status_code == 201, response.body
    assert response.json_body["identifiers"]["nir"] == VALID_NIR.replace(" ", "")
    assert case_items(deps, case_ref) > before


@pytest.mark.parametrize("command, field, fragment", [
    pytest.param({"body": ""}, "body", "obligatoire", id="empty-body"),
    pytest.param({"body": "   \n "}, "body", "obligatoire", id="blank-body"),
    pytest.param({}, "body", "obligatoire", id="missing-body"),
    pytest.param({"body": "x" * 5001}, "body", "5000", id="body-too-long"),
    pytest.param({"body": "Bonjour", "kind": "shout"}, "kind", "Choisissez une valeur",
                 id="unknown-kind"),
])
def test_a_bad_message_is_refused_and_writes_nothing(client, deps, agent, escalated_ref, command,
                                                     field, fragment):
    before = case_items(deps, escalated_ref)
    response = client.http.post(f"/api/cases/{escalated_ref}/messages", headers=agent,
                                body=json.dumps(command))
    assert_invalid(response, field, fragment)
    assert case_items(deps, escalated_ref) == before


def test_a_referent_empty_answer_is_refused_and_writes_nothing(client, deps, escalated_ref):
    referent = login(client, "referent.61-caf@example.org")
    before = case_items(deps, escalated_ref)
    response = client.http.post(f"/api/cases/{escalated_ref}/messages", headers=referent,
                                body=json.dumps({"body": "", "kind": "answer"}))
    assert_invalid(response, "body", "obligatoire")
    assert case_items(deps, escalated_ref) == before


@pytest.mark.parametrize("command, field, fragment", [
    pytest.param({"outcome": "abandoned", "useful": True}, "outcome", "Choisissez une valeur",
                 id="unknown-outcome"),
    pytest.param({"useful": True}, "outcome", "obligatoire", id="missing-outcome"),
    pytest.param({"outcome": "solved_at_desk", "useful": "peut-être"}, "useful", "oui (true)",
                 id="useful-not-a-boolean"),
])
def test_closing_with_bad_input_is_refused_and_writes_nothing(client, deps, agent, escalated_ref,
                                                              command, field, fragment):
    before = case_items(deps, escalated_ref)
    response = client.http.post(f"/api/cases/{escalated_ref}/close", headers=agent,
                                body=json.dumps(command))
    assert_invalid(response, field, fragment)
    assert case_items(deps, escalated_ref) == before
    assert client.http.get(f"/api/cases/{escalated_ref}", headers=agent).json_body["status"] == "escalated"


# --- lists ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query, field, fragment", [
    pytest.param("limit=0", "limit", "au moins 1", id="limit-zero"),
    pytest.param("limit=abc", "limit", "nombre entier", id="limit-not-a-number"),
    pytest.param("limit=201", "limit", "au plus 200", id="limit-too-large"),
    pytest.param("status=bogus", "status", "Choisissez une valeur", id="unknown-status"),
    pytest.param("sort=asc", "sort", "pas attendu", id="unknown-parameter"),
    pytest.param("cursor=%21%21%21", "cursor", "curseur", id="garbage-cursor"),
    pytest.param(f"cursor={b64({'a': 'b'})}", "cursor", "curseur", id="cursor-with-unknown-keys"),
    pytest.param(f"cursor={b64({'PK': 'CASE#62-AAA-AAA', 'SK': 'CASE', 'GSI1PK': 'POINT#62-pimms-bethune', 'GSI1SK': 'open#2025-01-01T00:00:00.000000+00:00#62-AAA-AAA'})}",
                 "cursor", "curseur", id="cursor-of-another-point"),
])
def test_listing_cases_refuses_bad_parameters(client, deps, agent, case_ref, query, field, fragment):
    before = point_cases(deps)
    response = client.http.get(f"/api/cases?{query}", headers=agent)
    assert_invalid(response, field, fragment)
    assert point_cases(deps) == before


@pytest.mark.parametrize("query, field", [
    pytest.param("limit=0", "limit", id="limit-zero"),
    pytest.param("limit=abc", "limit", id="limit-not-a-number"),
    pytest.param("status=bogus", "status", id="unknown-status"),
])
def test_the_referent_queue_refuses_bad_parameters(client, query, field):
    referent = login(client, "referent.61-caf@example.org")
    response = client.http.get(f"/api/escalations?{query}", headers=referent)
    assert_invalid(response, field)


# --- authentication ------------------------------------------------------------------------

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("token, fragment", [
    pytest.param("short", "", id="too-short"),
    pytest.param("x" * 201, "trop long", id="too-long"),
    pytest.param("a" * 30 + "!$%", "format", id="bad-characters"),
    pytest.param("", "obligatoire", id="empty"),
])
def test_a_malformed_session_token_is_refused(client, deps, token, fragment):
    before = audit_items(deps)
    response = client.http.post("/api/auth/session", headers=JSON, body=json.dumps({"token": token}))
    assert_invalid(response, "token", fragment)
    assert "Set-Cookie" not in response.headers
    assert audit_items(deps) == before  # no LOGIN event: no session was opened


@pytest.mark.parametrize("email", ["not-an-email", "agent.bretoncelles@", ""])
def test_a_malformed_login_address_is_refused(client, deps, email):
    sent = len(outbox())
    before = audit_items(deps)
    response = client.http.post("/api/auth/magic-link", headers=JSON, body=json.dumps({"email": email}))
    assert_invalid(response, "email")
    assert len(outbox()) == sent
    assert audit_items(deps) == before


def test_a_cursor_with_empty_keys_is_refused_cleanly(client):
    import base64

    headers = login(client, "agent.bretoncelles@example.org")
    forged = base64.urlsafe_b64encode(json.dumps(
        {"PK": "", "SK": "", "GSI1PK": "POINT#61-mairie-bretoncelles", "GSI1SK": ""}).encode()).decode()
    response = client.http.get(f"/api/cases?point_id=61-mairie-bretoncelles&cursor={forged}", headers=headers)
    assert (response.status_code, response.json_body["field"]) == (400, "cursor")


def test_a_csv_with_a_huge_or_unterminated_field_is_refused_cleanly(client):
    headers = {**login(client, "admin@example.org"), "Content-Type": "text/csv"}
    response = client.http.post("/api/admin/directory/organisations?dry_run=true", headers=headers,
                                body=b'id;name;short_name\n"x' + b"a" * 200000)
    assert (response.status_code, response.json_body["field"]) == (400, "csv")
    too_big = client.http.post("/api/admin/directory/organisations", headers=headers,
                               body=b"id;name;short_name\n" + b"caf;CAF;CAF\n" * 200000)
    assert (too_big.status_code, too_big.json_body["field"]) == (400, "csv")
