"""Who may do what, through the HTTP API: role × action × own or foreign resource.

Every cell is its own test id, e.g. ``test_close[foreign_agent]``. The rules come from
chalicelib/domain/authz.py:

- anonymous: 401 ``not_authenticated`` on every authenticated route;
- a role that can never do an action: 403 ``not_allowed``;
- a case outside one's scope: 404 ``not_found``, exactly as if it did not exist;
- referents read a case only through a group it was escalated to, never the usager's phone
  or email, never the agent's notes;
- coordinators read their own territory's directory only, and never cases;
- only admins import the directory, and only they see referents' addresses.

The world (a fresh table, the demo directory, one session per role) is built once for
the module, exactly as the ``client`` fixture of tests/conftest.py builds it: a fresh table
per cell would cost about a second each for some 150 cells. Cells stay independent anyway:
every cell that touches a case gets its own freshly created and escalated case, and every
cell that writes the directory uses its own identifier. A denied write is checked to have
changed nothing: the owner's view of the case is byte for byte what it was before.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from devtools import stack
from tests.clock import TUESDAY_MORNING
from tests.conftest import login

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

OWN_POINT = "61-mairie-bretoncelles"
FOREIGN_POINT = "61-mairie-berdhuis"
ESCALATED_GROUP = "61-caf"
OTHER_GROUP = "61-cpam"  # in the same territory, never escalated to by the setup

EMAILS = {
    "agent": "agent.bretoncelles@example.org",
    "foreign_agent": "agent.berdhuis@example.org",
    "referent": "referent.61-caf@example.org",
    "foreign_referent": "referent.61-cpam@example.org",
    "coordinator": "coordination.61@example.org",
    "foreign_coordinator": "coordination.62@example.org",
    "admin": "admin@example.org",
    "moderator": "moderation.61@example.org",            # moderates the Orne's experiences
    "responder": "reponses.caf-61@example.org",          # answers for the team caf-61-experiences
}
ROLES = [*EMAILS, "anonymous"]
ROLE_VALUES = {"agent": "agent", "foreign_agent": "agent", "referent": "referent",
               "foreign_referent": "referent", "coordinator": "coordinator",
               "foreign_coordinator": "coordinator", "admin": "admin", "moderator": "moderator",
               "responder": "responder"}
ERRORS = {400: "invalid_input", 401: "not_authenticated", 403: "not_allowed", 404: "not_found"}

# The point each role calls "own" and "foreign"; roles without a point use Bretoncelles as
# "own" (where the case lives) and Berd'huis as "foreign".
POINTS = {role: (OWN_POINT, FOREIGN_POINT) for role in ROLES}
POINTS["foreign_agent"] = (FOREIGN_POINT, OWN_POINT)
# The group each role calls "own" (none: the default of GET /api/escalations) and "foreign".
FOREIGN_GROUP = {role: ESCALATED_GROUP for role in ROLES}
FOREIGN_GROUP["referent"] = OTHER_GROUP

CASE = {
    "point_id": OWN_POINT,
    "usager": {"first_name": "Jeanne", "last_name": "Martin", "phone": "06 12 34 56 78",
               "email": "jeanne.martin@example.org"},
    "situation": "emploi",
    "description": "Ses allocations chômage ne sont plus versées depuis deux mois.",
    "consent_attested": True,
}
USAGER_PHONE = "+33612345678"
USAGER_EMAIL = "jeanne.martin@example.org"
ORGANISATIONS_CSV = "id;name;short_name\ncaf;Caisse d'allocations familiales;CAF\n"


def tag() -> str:
    """A unique, letters-only marker (person names refuse digits)."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])


def params(expected: dict[str, int]):
    """One cell per role: (role, expected status), with the role as the test id."""
    assert set(expected) == set(ROLES), "every role has an expected status"
    return [pytest.param(role, expected[role], id=role) for role in ROLES]


def params_by(expected: dict[str, dict[str, int]]):
    """One cell per role and variant (own or foreign): (role, variant, expected status)."""
    assert all(set(row) == set(ROLES) for row in expected.values())
    return [pytest.param(role, variant, row[role], id=f"{role}-{variant}")
            for role in ROLES for variant, row in expected.items()]


def expect(response, status: int) -> dict:
    """The exact status, and for a refusal the exact error code; returns the JSON body."""
    body = json.loads(response.body) if response.body else None
    assert response.status_code == status, (response.status_code, body)
    if status in ERRORS:
        assert body["error"] == ERRORS[status], body
    return body


# --- the world: built once, like the `client` fixture of tests/conftest.py -----------------

@dataclass
class World:
    client: object
    sessions: dict[str, dict[str, str]]

    def headers(self, role: str, content_type: str = "application/json") -> dict[str, str]:
        headers = {"Content-Type": content_type}
        if role != "anonymous":
            headers["Cookie"] = self.sessions[role]["Cookie"]
        return headers

    def get(self, role: str, path: str, **query):
        if query:
            path = f"{path}?{urlencode(query)}"
        return self.client.http.get(path, headers=self.headers(role))

    def post(self, role: str, path: str, body=None, content_type: str = "application/json"):
        raw = body if isinstance(body, str) else json.dumps(body if body is not None else {})
        return self.client.http.post(path, headers=self.headers(role, content_type), body=raw)

    def owner_view(self, ref: str) -> dict:
        return expect(self.get("agent", f"/api/cases/{ref}"), 200)

    def all_items(self, role: str, path: str, **query) -> list[dict]:
        items, cursor = [], None
        while True:
            page = expect(self.get(role, path, limit=200, **query,
                                   **({"cursor": cursor} if cursor else {})), 200)
            items += page["items"]
            cursor = page["cursor"]
            if not cursor:
                return items


@pytest.fixture(scope="module")
def world(dynamodb_endpoint):
    from chalice.test import Client

    import app as relais
    from chalicelib import bootstrap
    from chalicelib.dev import emulation
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.models import Role
    from chalicelib.services import directory

    name = f"relais-test-{uuid.uuid4().hex[:10]}"
    stack.create_table(dynamodb_endpoint, name)
    env = pytest.MonkeyPatch()
    for key, value in {**stack.LOCAL_CREDENTIALS, "RELAIS_DYNAMODB_ENDPOINT": dynamodb_endpoint,
                       "RELAIS_TABLE": name, "RELAIS_STAGE": "dev", "RELAIS_AWS_EMULATION": "moto",
                       "RELAIS_BASE_URL": "http://relais.test"}.items():
        env.setenv(key, value)
    emulation.reset()
    bootstrap.reset()
    try:
        admin = Principal(user_id="test-admin", role=Role.ADMIN)
        for kind in ("organisations", "contact_points", "referent_groups", "responder_teams", "users"):
            text = (stack.DEMO / f"{kind}.csv").read_text(encoding="utf-8")
            directory.import_csv(bootstrap.deps(), admin, kind, text, dry_run=False)
        with Client(relais.app, stage_name="dev") as client:
            bootstrap.reset()
            yield World(client, {role: login(client, email) for role, email in EMAILS.items()})
    finally:
        emulation.reset()
        stack.dynamodb_client(dynamodb_endpoint).delete_table(TableName=name)
        bootstrap.reset()
        env.undo()


@dataclass
class Case:
    ref: str
    last_name: str
    note: str


def open_escalated_case(world: World) -> Case:
    """The Bretoncelles agent creates a case, escalates it to 61-caf and writes a note."""
    last_name = f"Martin {tag().capitalize()}"
    created = expect(world.post("agent", "/api/cases", {
        **CASE, "usager": {**CASE["usager"], "last_name": last_name}}), 201)
    ref = created["ref"]
    escalated = expect(world.post("agent", f"/api/cases/{ref}/escalations", {
        "group_ids": [ESCALATED_GROUP], "question": "Pourquoi le versement est-il suspendu ?"}), 201)
    assert escalated["status"] == "escalated"
    note = f"Note interne de l'agent {tag()} : l'usager est très inquiet."
    expect(world.post("agent", f"/api/cases/{ref}/messages", {"body": note}), 201)
    return Case(ref, last_name, note)


@pytest.fixture
def case(world) -> Case:
    return open_escalated_case(world)


def assert_unchanged(world: World, ref: str, before: dict) -> None:
    after = world.owner_view(ref)
    assert after == before, "a refused write changed the case"



# --- cases: create ------------------------------------------------------------------------

POINT_OWNER = {OWN_POINT: "agent", FOREIGN_POINT: "foreign_agent"}


@pytest.mark.parametrize("role,which,status", params_by({
    "own_point": {"agent": 201, "foreign_agent": 201, "referent": 403, "foreign_referent": 403,
                  "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
                  "moderator": 403, "responder": 403, "anonymous": 401},
    # a point is public (it is in the directory): not being attached to it is "not allowed"
    "foreign_point": {"agent": 403, "foreign_agent": 403, "referent": 403, "foreign_referent": 403,
                      "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
                      "moderator": 403, "responder": 403, "anonymous": 401}}))
def test_create_case(world, role, which, status):
    point_id = POINTS[role][0 if which == "own_point" else 1]
    last_name = f"Création {tag().capitalize()}"
    response = world.post(role, "/api/cases", {
        **CASE, "point_id": point_id, "usager": {**CASE["usager"], "last_name": last_name}})
    body = expect(response, status)
    listed = [c for c in world.all_items(POINT_OWNER[point_id], "/api/cases", point_id=point_id)
              if c["usager_name"] == f"Jeanne {last_name}"]
    if status == 201:
        assert body["point_id"] == point_id and body["ref"].startswith("61-")
        assert body["status"] == "open" and body["usager"]["phone"] == USAGER_PHONE
        assert [c["ref"] for c in listed] == [body["ref"]]
    else:
        assert listed == [], "a refused creation wrote a case"


# --- cases: read --------------------------------------------------------------------------

@pytest.mark.parametrize("role,status", params({
    "agent": 200, "foreign_agent": 404, "referent": 200, "foreign_referent": 404,
    "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
    "moderator": 403, "responder": 403, "anonymous": 401}))
def test_get_case(world, case, role, status):
    body = expect(world.get(role, f"/api/cases/{case.ref}"), status)
    if status != 200:
        assert set(body) <= {"error", "message", "field"}, "a refusal leaks nothing of the case"
        return
    bodies = [m["body"] for m in body["messages"]]
    assert body["ref"] == case.ref and body["status"] == "escalated"
    assert body["usager"]["last_name"] == case.last_name
    assert [e["group_id"] for e in body["escalations"]] == [ESCALATED_GROUP]
    if role == "agent":
        assert body["usager"]["phone"] == USAGER_PHONE
        assert body["usager"]["email"] == USAGER_EMAIL
        assert case.note in bodies
    else:  # the referent of the escalated group: their thread only, no contact details
        assert body["usager"]["phone"] is None
        assert body["usager"]["email"] is None
        assert case.note not in bodies
        assert all(m["group_id"] == ESCALATED_GROUP for m in body["messages"])


MISSING_REF = "61-ZZZ-ZZZ"
CASE_ACTIONS = {
    "get": ("GET", "", None),
    "escalate": ("POST", "/escalations", {"group_ids": [OTHER_GROUP], "question": "Où en est-on ?"}),
    "message": ("POST", "/messages", {"body": "Bonjour.", "kind": "answer"}),
    "close": ("POST", "/close", {"outcome": "not_solved", "useful": False}),
    "reopen": ("POST", "/reopen", None),
    "quarantine": ("GET", "/quarantine", None),
}


@pytest.mark.parametrize("role,action", [
    pytest.param(role, action, id=f"{role}-{action}")
    for role in ("foreign_agent", "foreign_referent", "coordinator", "foreign_coordinator",
                 "admin", "moderator", "responder", "anonymous")
    for action in CASE_ACTIONS])
def test_an_unreachable_case_and_a_missing_case_look_the_same(world, case, role, action):
    """No existence leak: whoever may not act on a case cannot tell it from no case at all."""
    method, suffix, body = CASE_ACTIONS[action]
    assert case.ref != MISSING_REF
    before = world.owner_view(case.ref)

    def call(ref):
        if method == "GET":
            return world.get(role, f"/api/cases/{ref}{suffix}")
        return world.post(role, f"/api/cases/{ref}{suffix}", body)

    existing, missing = call(case.ref), call(MISSING_REF)
    assert existing.status_code in (401, 403, 404)
    assert_unchanged(world, case.ref, before)
    assert (missing.status_code, json.loads(missing.body)) == (
        existing.status_code, json.loads(existing.body))


def test_a_referent_sees_only_the_thread_of_their_group(world, case):
    """Escalated to 61-caf and 61-carsat: the CAF referent sees neither CARSAT's thread nor notes."""
    expect(world.post("agent", f"/api/cases/{case.ref}/escalations", {
        "group_ids": ["61-carsat"], "question": "La retraite est-elle liquidée ?"}), 201)
    expect(world.post("agent", f"/api/cases/{case.ref}/messages", {
        "body": "Pour la CARSAT seulement.", "group_id": "61-carsat"}), 201)
    expect(world.post("agent", f"/api/cases/{case.ref}/messages", {
        "body": "Pour la CAF seulement.", "group_id": ESCALATED_GROUP}), 201)
    owner = world.owner_view(case.ref)
    assert {e["group_id"] for e in owner["escalations"]} == {ESCALATED_GROUP, "61-carsat"}
    body = expect(world.get("referent", f"/api/cases/{case.ref}"), 200)
    assert [e["group_id"] for e in body["escalations"]] == [ESCALATED_GROUP]
    assert [m["body"] for m in body["messages"]] == ["Pour la CAF seulement."]
    assert body["usager"]["phone"] is None and body["usager"]["email"] is None
    # nor may they answer in the other group's thread (their read, the read receipt, is written)
    owner = world.owner_view(case.ref)
    expect(world.post("referent", f"/api/cases/{case.ref}/messages", {
        "body": "Réponse au nom de la CARSAT.", "kind": "answer", "group_id": "61-carsat"}), 404)
    assert_unchanged(world, case.ref, owner)


# --- cases: list --------------------------------------------------------------------------

@pytest.mark.parametrize("role,which,status", params_by({
    "own_point": {"agent": 200, "foreign_agent": 200, "referent": 403, "foreign_referent": 403,
                  "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
                  "moderator": 403, "responder": 403, "anonymous": 401},
    "foreign_point": {"agent": 403, "foreign_agent": 403, "referent": 403, "foreign_referent": 403,
                      "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
                      "moderator": 403, "responder": 403, "anonymous": 401}}))
def test_list_cases(world, case, role, which, status):
    point_id = POINTS[role][0 if which == "own_point" else 1]
    body = expect(world.get(role, "/api/cases", point_id=point_id, limit=200), status)
    if status == 200:
        refs = [c["ref"] for c in world.all_items(role, "/api/cases", point_id=point_id)]
        assert all(c["point_id"] == point_id for c in body["items"])
        # the case lives at Bretoncelles: listed there, and nowhere else
        assert (case.ref in refs) == (point_id == OWN_POINT)
    else:
        assert "items" not in body


# --- cases: writes ------------------------------------------------------------------------

@pytest.mark.parametrize("role,status", params({
    "agent": 201, "foreign_agent": 404, "referent": 403, "foreign_referent": 403,
    "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
    "moderator": 403, "responder": 403, "anonymous": 401}))
def test_escalate(world, case, role, status):
    before = world.owner_view(case.ref)
    body = expect(world.post(role, f"/api/cases/{case.ref}/escalations", {
        "group_ids": [OTHER_GROUP], "question": "Les remboursements sont-ils bloqués ?"}), status)
    if status == 201:
        assert [e["group_id"] for e in body["escalations"]] == [ESCALATED_GROUP, OTHER_GROUP]
        queue = world.all_items("foreign_referent", "/api/escalations")
        assert case.ref in [e["case_ref"] for e in queue]
    else:
        assert_unchanged(world, case.ref, before)
        queue = world.all_items("foreign_referent", "/api/escalations")
        assert case.ref not in [e["case_ref"] for e in queue]


@pytest.mark.parametrize("role,status", params({
    # a referent's message is an answer, a request for information or "wrong recipient":
    # a plain note is refused as invalid input, after the referent was found to be a reader
    "agent": 201, "foreign_agent": 404, "referent": 400, "foreign_referent": 404,
    "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
    "moderator": 403, "responder": 403, "anonymous": 401}))
def test_post_agent_note(world, case, role, status):
    before = world.owner_view(case.ref)
    text = f"Une note {tag()}."
    body = expect(world.post(role, f"/api/cases/{case.ref}/messages", {"body": text}), status)
    if status == 201:
        assert text in [m["body"] for m in body["messages"]]
        assert text in [m["body"] for m in world.owner_view(case.ref)["messages"]]
        referent_view = expect(world.get("referent", f"/api/cases/{case.ref}"), 200)
        assert text not in [m["body"] for m in referent_view["messages"]]
    else:
        assert_unchanged(world, case.ref, before)


@pytest.mark.parametrize("role,status", params({
    # an agent cannot answer in a partner's name: invalid input, once the case is theirs
    "agent": 400, "foreign_agent": 404, "referent": 201, "foreign_referent": 404,
    "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
    "moderator": 403, "responder": 403, "anonymous": 401}))
def test_post_referent_answer(world, case, role, status):
    before = world.owner_view(case.ref)
    text = f"Le dossier est débloqué {tag()}, versement le 5."
    body = expect(world.post(role, f"/api/cases/{case.ref}/messages",
                             {"body": text, "kind": "answer"}), status)
    if status == 201:
        assert body["status"] == "answered"
        assert body["usager"]["phone"] is None
        owner = world.owner_view(case.ref)
        assert owner["status"] == "answered"
        assert [(m["body"], m["group_id"], m["kind"]) for m in owner["messages"]
                if m["body"] == text] == [(text, ESCALATED_GROUP, "answer")]
    else:
        assert_unchanged(world, case.ref, before)


@pytest.mark.parametrize("role,status", params({
    "agent": 200, "foreign_agent": 404, "referent": 403, "foreign_referent": 403,
    "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
    "moderator": 403, "responder": 403, "anonymous": 401}))
def test_close(world, case, role, status):
    before = world.owner_view(case.ref)
    body = expect(world.post(role, f"/api/cases/{case.ref}/close",
                             {"outcome": "solved_with_partner", "useful": True}), status)
    if status == 200:
        assert body["status"] == "closed"
        assert world.owner_view(case.ref)["status"] == "closed"
    else:
        assert_unchanged(world, case.ref, before)
        assert before["status"] == "escalated"


@pytest.mark.parametrize("role,status", params({
    "agent": 200, "foreign_agent": 404, "referent": 403, "foreign_referent": 403,
    "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
    "moderator": 403, "responder": 403, "anonymous": 401}))
def test_reopen(world, case, role, status):
    expect(world.post("agent", f"/api/cases/{case.ref}/close",
                      {"outcome": "not_solved", "useful": False}), 200)
    before = world.owner_view(case.ref)
    assert before["status"] == "closed"
    body = expect(world.post(role, f"/api/cases/{case.ref}/reopen"), status)
    if status == 200:
        assert body["status"] == "open" and body["closed_at"] is None
        assert world.owner_view(case.ref)["status"] == "open"
    else:
        assert_unchanged(world, case.ref, before)


# --- quarantined inbound emails: the case's agents only ------------------------------------

def quarantined_email(world: World) -> tuple[str, str]:
    """A case whose CAF referent wrote with only the subject tag: quarantined for the agent."""
    from email.message import EmailMessage

    from chalicelib import bootstrap
    from chalicelib.services import inbound

    ref = open_escalated_case(world).ref
    message = EmailMessage()
    message["From"], message["To"] = EMAILS["referent"], "reponse@in.relais.example.org"
    message["Subject"], message["Message-ID"] = f"RE: [Relais {ref}]", f"<{tag()}@example.org>"
    message.set_content("Réponse sans jeton.")
    outcome = inbound.receive(bootstrap.deps(), bytes(message), object_key=f"matrice/{ref}",
                              envelope_recipients=[], verdicts=dict.fromkeys(inbound.VERDICTS, "PASS"))
    assert outcome.reason == "subject_only"
    (item,) = bootstrap.deps().repo.list_quarantined(ref)
    return ref, item.id


def emailed_message(world: World) -> tuple[str, str]:
    """A case whose CAF referent answered by email (threaded by its token): the message has its
    original (issue 24)."""
    from email.message import EmailMessage

    from chalicelib import bootstrap
    from chalicelib.services import inbound

    ref = open_escalated_case(world).ref
    deps = bootstrap.deps()
    token = next(e.reply_token for e in deps.repo.get_bundle(ref).escalations.values())
    message = EmailMessage()
    message["From"], message["To"] = EMAILS["referent"], f"reponse+{token}@{deps.settings.inbound_domain}"
    message["Subject"], message["Message-ID"] = f"RE: [Relais {ref}]", f"<{tag()}@example.org>"
    message.set_content("Réponse par e-mail.\n\n> La question citée.")
    outcome = inbound.receive(deps, bytes(message), object_key=f"matrice/{ref}",
                              envelope_recipients=[], verdicts=dict.fromkeys(inbound.VERDICTS, "PASS"))
    assert outcome.outcome == "accepted", outcome
    return ref, outcome.message_id or ""


@pytest.mark.parametrize("role,status", params({
    "agent": 200, "foreign_agent": 404, "referent": 403, "foreign_referent": 403,
    "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
    "moderator": 403, "responder": 403, "anonymous": 401}))
def test_message_source(world, role, status):
    """The original of an emailed message: the case's agents only, like its quarantine."""
    ref, message_id = emailed_message(world)
    body = expect(world.get(role, f"/api/cases/{ref}/messages/{message_id}/source"), status)
    if status == 200:
        assert body["available"] and any("Réponse par e-mail." in s["text"] for s in body["segments"])
    else:
        assert "Réponse par e-mail." not in json.dumps(body, ensure_ascii=False)


QUARANTINE_PATHS = {"list": "/api/cases/{ref}/quarantine",
                    "read": "/api/cases/{ref}/quarantine/{quarantine_id}",
                    "release": "/api/cases/{ref}/quarantine/{quarantine_id}/release",
                    "discard": "/api/cases/{ref}/quarantine/{quarantine_id}/discard"}
QUARANTINE = {"agent": 200, "foreign_agent": 404, "referent": 403, "foreign_referent": 403,
              "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
              "moderator": 403, "responder": 403, "anonymous": 401}


@pytest.mark.parametrize("action", list(QUARANTINE_PATHS))
@pytest.mark.parametrize("role,status", params(QUARANTINE))
def test_quarantine(world, role, status, action):
    ref, item_id = quarantined_email(world)
    path = QUARANTINE_PATHS[action].format(ref=ref, quarantine_id=item_id)
    before = world.owner_view(ref)
    if action in ("list", "read"):
        body = expect(world.get(role, path), status)
        if status == 200 and action == "list":
            assert [q["id"] for q in body] == [item_id]
        elif status == 200:
            assert body["text"] == "Réponse sans jeton." and body["status"] == "pending"
        return
    body = expect(world.post(role, path), status)
    if status == 200:
        bodies = [m["body"] for m in body["messages"]]
        assert ("Réponse sans jeton." in bodies) == (action == "release")
    else:
        assert_unchanged(world, ref, before)
        listed = expect(world.get("agent", QUARANTINE_PATHS["list"].format(ref=ref)), 200)
        assert [q["status"] for q in listed] == ["pending"]


# --- the referents' queue ------------------------------------------------------------------

@pytest.mark.parametrize("role,which,status", params_by({
    "own_group": {"agent": 403, "foreign_agent": 403, "referent": 200, "foreign_referent": 200,
                  "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
                  "moderator": 403, "responder": 403, "anonymous": 401},
    "foreign_group": {"agent": 403, "foreign_agent": 403, "referent": 404, "foreign_referent": 404,
                      "coordinator": 403, "foreign_coordinator": 403, "admin": 403,
                      "moderator": 403, "responder": 403, "anonymous": 401}}))
def test_referent_queue(world, case, role, which, status):
    query = {} if which == "own_group" else {"group_id": FOREIGN_GROUP[role]}
    body = expect(world.get(role, "/api/escalations", **query), status)
    if status == 200:
        items = world.all_items(role, "/api/escalations")
        own_group = ESCALATED_GROUP if role == "referent" else OTHER_GROUP
        assert all(e["group_id"] == own_group for e in items)
        # the case was escalated to 61-caf only: in the CAF queue, not in the CPAM queue
        assert (case.ref in [e["case_ref"] for e in items]) == (role == "referent")
    else:
        assert "items" not in body


# --- the directory --------------------------------------------------------------------------

@pytest.mark.parametrize("role,status", params({
    **{r: 200 for r in EMAILS}, "anonymous": 401}))
def test_territories(world, role, status):
    body = expect(world.get(role, "/api/territories"), status)
    if status == 200:
        assert {"61", "62"} <= {t["code"] for t in body}


CAF_MEMBERS = {"61": ["referent.61-caf@example.org", "referent2.61-caf@example.org"],
               "62": ["referent.62-caf@example.org"]}
CAF_MAILBOX = {"61": "sp-plus.61-caf@example.org", "62": "sp-plus.62-caf@example.org"}


@pytest.mark.parametrize("role,code,status", params_by({
    "61": {"agent": 200, "foreign_agent": 200, "referent": 200, "foreign_referent": 200,
           "coordinator": 200, "foreign_coordinator": 403, "admin": 200, "moderator": 200, "responder": 200,
           "anonymous": 401},
    "62": {"agent": 200, "foreign_agent": 200, "referent": 200, "foreign_referent": 200,
           "coordinator": 403, "foreign_coordinator": 200, "admin": 200, "moderator": 200, "responder": 200,
           "anonymous": 401}}))
def test_territory_directory(world, role, code, status):
    body = expect(world.get(role, f"/api/territories/{code}/directory"), status)
    if status != 200:
        assert "referent_groups" not in body
        return
    assert body["territory"]["code"] == code
    groups = {g["id"]: g for g in body["referent_groups"]}
    assert groups and all(g["territory_code"] == code for g in groups.values())
    caf = groups[f"{code}-caf"]
    if role == "admin":
        assert sorted(caf["member_emails"]) == CAF_MEMBERS[code]
        assert caf["shared_mailbox"] == CAF_MAILBOX[code]
        assert caf["manager_email"] == f"responsable.{code}-caf@example.org"
    else:  # no address of a group to anybody but admins (visibility.group_as_seen_by)
        assert all(g["member_emails"] == [] for g in groups.values())
        assert all(g["shared_mailbox"] is None for g in groups.values())
        # but its manager's to the territory's coordinators, who call on a late group's manager
        if role in ("coordinator", "foreign_coordinator"):
            assert caf["manager_email"] == f"responsable.{code}-caf@example.org"
        else:
            assert all(g["manager_email"] is None for g in groups.values())


@pytest.mark.parametrize("role,page", [
    ("agent", "/nouveau-dossier"), ("agent", "/dossiers/{ref}"), ("referent", "/dossiers/{ref}"),
    ("referent", "/file"), ("coordinator", "/territoire"), ("coordinator", "/territoire/rapport")])
def test_no_page_shows_a_groups_addresses_but_to_admins(world, case, role, page):
    """The pages read groups through the same rule as the API (visibility.group_as_seen_by)."""
    response = world.client.http.get(page.replace("{ref}", case.ref),
                                     headers={"Cookie": world.sessions[role]["Cookie"]})
    assert response.status_code == 200
    text = response.body.decode()
    if role != "coordinator":  # a coordinator may read a late group's manager (visibility.py)
        assert "responsable.61-" not in text
    assert "sp-plus.61-" not in text
    assert "referent2.61-caf" not in text


IMPORT = {**{r: 403 for r in EMAILS}, "admin": 200, "anonymous": 401}


def organisation_ids(world: World) -> set[str]:
    return {o["id"] for o in expect(world.get("admin", "/api/territories/61/directory"), 200)["organisations"]}


@pytest.mark.parametrize("role,status", params(IMPORT))
def test_import_directory_dry_run(world, role, status):
    response = world.post(role, "/api/admin/directory/organisations?dry_run=true",
                          ORGANISATIONS_CSV, content_type="text/csv")
    body = expect(response, status)
    if status == 200:
        assert body == {"kind": "organisations", "dry_run": True, "created": 0, "updated": 1,
                        "unchanged": 1, "rows": 1, "errors": []}


@pytest.mark.parametrize("role,status", params(IMPORT))
def test_import_directory_for_real(world, role, status):
    """Not a dry run: the admin's import writes; anybody else's writes nothing."""
    organisation_id = f"matrice-{role.replace('_', '-')}"
    csv = f"id;name;short_name\n{organisation_id};Organisme de la matrice;Matrice\n"
    assert organisation_id not in organisation_ids(world)
    body = expect(world.post(role, "/api/admin/directory/organisations", csv,
                             content_type="text/csv"), status)
    if status == 200:
        assert body["dry_run"] is False and body["created"] == 1 and body["errors"] == []
        assert organisation_id in organisation_ids(world)
    else:
        assert organisation_id not in organisation_ids(world)


# --- Services Publics+ experiences (issue 25) ------------------------------------------------

@pytest.mark.parametrize("role,status", params(dict.fromkeys(ROLES, 200)))
def test_published_experiences(world, role, status):
    """GET /api/experiences: public, for everyone (posting: test_experience_pages.py and the
    core's tests; a POST per role here would meet the hourly limit of the test's one address)."""
    body = expect(world.get(role, "/api/experiences", territoire="61"), status)
    assert body["items"] == [] or all("contact_email" not in item for item in body["items"])


# --- who am I -------------------------------------------------------------------------------

@pytest.mark.parametrize("role,status", params({**{r: 200 for r in EMAILS}, "anonymous": 401}))
def test_me(world, role, status):
    body = expect(world.get(role, "/api/me"), status)
    if status == 200:
        assert body["email"] == EMAILS[role]
        assert body["role"] == ROLE_VALUES[role]


# --- a referent of two groups ---------------------------------------------------------------
# The case is escalated to both of the referent's groups; they hand it back for one
# ("pas le bon interlocuteur"). Through that group they can no longer act on the case, by
# any path: the API (naming the group or not), the case page's form, or an email reply to
# that group's escalation. The other group's exchange goes on.

MULTI = "multi_referent"
MULTI_EMAIL = "referent.deux-organismes@example.org"
GROUP_A, GROUP_B = "61-matrice-a", "61-matrice-b"


@pytest.fixture(scope="module")
def multi_referent(world) -> str:
    """Two groups of the Orne sharing one referent, imported by the admin; their session."""
    if MULTI not in world.sessions:
        csv = "id;organisation_id;territory_code;name;member_emails;shared_mailbox;answer_days;manager_email\n" + "".join(
            f"{g};caf;61;Groupe {g[-1].upper()} de la matrice;{MULTI_EMAIL};;4;responsable.{g}@example.org\n"
            for g in (GROUP_A, GROUP_B))
        expect(world.post("admin", "/api/admin/directory/referent_groups", csv, content_type="text/csv"), 200)
        world.sessions[MULTI] = login(world.client, MULTI_EMAIL)
    return MULTI


def escalations_of(world: World, ref: str) -> dict[str, str]:
    return {e["group_id"]: e["status"] for e in world.owner_view(ref)["escalations"]}


def case_for_both_groups(world: World) -> str:
    ref = open_escalated_case(world).ref
    expect(world.post("agent", f"/api/cases/{ref}/escalations", {
        "group_ids": [GROUP_A, GROUP_B], "question": "Qui traite ce dossier ?"}), 201)
    return ref


def hand_back_b(world: World, ref: str) -> None:
    expect(world.post(MULTI, f"/api/cases/{ref}/messages", {
        "body": "Ce n'est pas pour ce groupe.", "kind": "wrong_recipient", "group_id": GROUP_B}), 201)
    assert escalations_of(world, ref)[GROUP_B] == "wrong_recipient"


def test_a_referent_of_two_groups_acts_for_either_and_must_say_which(world, multi_referent):
    ref = case_for_both_groups(world)
    # both groups on the case: without naming one, the answer is refused, nothing written
    before = world.owner_view(ref)
    expect(world.post(MULTI, f"/api/cases/{ref}/messages",
                      {"body": "Réponse sans groupe.", "kind": "answer"}), 400)
    assert_unchanged(world, ref, before)
    view = expect(world.get(MULTI, f"/api/cases/{ref}"), 200)
    assert {e["group_id"] for e in view["escalations"]} == {GROUP_A, GROUP_B}
    expect(world.post(MULTI, f"/api/cases/{ref}/messages",
                      {"body": "Réponse du groupe B.", "kind": "answer", "group_id": GROUP_B}), 201)
    assert escalations_of(world, ref)[GROUP_B] == "answered"


def _answer_by_page(world: World, ref: str, kind: str, group_id: str | None) -> int:
    """The referent's form of the case page (a forged group_id field added when given)."""
    import re
    from urllib.parse import urlencode

    cookie = world.sessions[MULTI]["Cookie"]
    page = world.client.http.get(f"/dossiers/{ref}", headers={"Cookie": cookie})
    csrf_cookie = page.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(rb'name="csrf" value="([^"]+)"', page.body).group(1).decode()
    form = {"csrf": csrf, "kind": kind, "body": f"Par la page ({kind})."}
    if group_id:
        form["group_id"] = group_id
    response = world.client.http.post(f"/dossiers/{ref}/reponse", headers={
        "Cookie": f"{cookie}; {csrf_cookie}", "Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode(form))
    return response.status_code


def _answer_by_email(world: World, ref: str, kind: str, group_id: str) -> str:
    """A reply from the referent's address to that group's escalation email (its Reply-To)."""
    from email.message import EmailMessage
    from email.utils import make_msgid

    from chalicelib import bootstrap

    deps = bootstrap.deps()
    token = deps.repo.get_bundle(ref).escalations[group_id].reply_token
    words = {"answer": "C'est réglé, versement le 5.", "needs_info": "Il me manque des informations : "
             "le numéro d'allocataire.", "wrong_recipient": "Je ne suis pas le bon interlocuteur."}
    message = EmailMessage()
    message["From"], message["Subject"] = MULTI_EMAIL, f"RE: [Relais {ref}] demande"
    message["To"] = f"reponse+{token}@{deps.settings.inbound_domain}"
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content(words[kind])
    response = world.client.http.post("/_dev/inbound-email", headers={"Content-Type": "message/rfc822"},
                                      body=bytes(message))
    assert response.status_code == 200, response.body
    return json.loads(response.body)["outcome"]


@pytest.mark.parametrize("path,kind", [
    pytest.param(path, kind, id=f"{path}-{kind}")
    for path in ("api-naming-b", "api-unnamed", "page", "page-forged-b", "email-to-b")
    for kind in ("answer", "needs_info", "wrong_recipient")])
def test_a_group_that_handed_the_case_back_can_no_longer_act_on_it(world, multi_referent, path, kind):
    ref = case_for_both_groups(world)
    hand_back_b(world, ref)
    text = f"Par l'API {tag()}."
    if path == "api-naming-b":
        before = world.owner_view(ref)
        expect(world.post(MULTI, f"/api/cases/{ref}/messages",
                          {"body": text, "kind": kind, "group_id": GROUP_B}), 404)
        assert_unchanged(world, ref, before)
    elif path == "api-unnamed":   # the one group still on the case acts: A
        expect(world.post(MULTI, f"/api/cases/{ref}/messages", {"body": text, "kind": kind}), 201)
        assert escalations_of(world, ref)[GROUP_A] == {"answer": "answered"}.get(kind, kind)
    elif path.startswith("page"):
        status = _answer_by_page(world, ref, kind, GROUP_B if path == "page-forged-b" else None)
        assert status == 303, status
        assert escalations_of(world, ref)[GROUP_A] == {"answer": "answered"}.get(kind, kind)
    else:
        before = world.owner_view(ref)
        assert _answer_by_email(world, ref, kind, GROUP_B) == "quarantined"
        assert [m["body"] for m in world.owner_view(ref)["messages"]] == [
            m["body"] for m in before["messages"]]
    assert escalations_of(world, ref)[GROUP_B] == "wrong_recipient"
    # nor does the referent see B's thread any more; once A handed it back too, not the case
    handed_back_by_both = escalations_of(world, ref)[GROUP_A] == "wrong_recipient"
    view = expect(world.get(MULTI, f"/api/cases/{ref}"), 404 if handed_back_by_both else 200)
    if handed_back_by_both:
        return
    assert GROUP_B not in {e["group_id"] for e in view["escalations"]}
    assert all(m["group_id"] != GROUP_B for m in view["messages"])
