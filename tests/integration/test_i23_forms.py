"""Issue 23, points 4 and 5 through Chalice's test client on DynamoDB Local: a usager without a
phone goes through the whole life of a case (no phone entry, no SMS, found again by name and,
for the right of access, by a case's reference); SMS consent is never assumed; the forms'
error summaries follow the forms' order; the partner sees what the new case form says."""
from __future__ import annotations

import json
import re

import pytest

from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, outbox, post_json
from tests.integration.test_pages import NEW_CASE, Browser, text

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]

AGENT = "agent.bretoncelles@example.org"
REFERENT = "referent.61-caf@example.org"
PHONELESS = {"first_name": "Gaston", "last_name": "Sansfil", "email": "gaston@example.net"}


def sms_sent() -> list[dict]:
    return [m for m in outbox() if m["channel"] == "sms"]


@pytest.fixture
def phone_case_writes(monkeypatch):
    """The phone entries the unit of work stages (PHONE#<E.164>, the right of access's index)."""
    from chalicelib.adapters import unit_of_work

    staged: list[tuple] = []
    original = unit_of_work.phone_case_write

    def spy(phone, created_at, ref):
        staged.append((phone, ref))
        return original(phone, created_at, ref)

    monkeypatch.setattr(unit_of_work, "phone_case_write", spy)
    return staged


def test_the_api_neither_assumes_sms_consent_nor_asks_for_a_phone(client):
    agent = login(client, AGENT)
    body = {**CASE, "usager": {"first_name": "Jeanne", "last_name": "Martin", "phone": "06 12 34 56 78"}}
    with_phone = post_json(client, agent, "/api/cases", body)
    assert with_phone["usager"]["sms_opt_in"] is False             # no consent given, none assumed
    without = post_json(client, agent, "/api/cases", {**CASE, "usager": PHONELESS})
    assert without["usager"]["phone"] is None and without["usager"]["sms_opt_in"] is False
    assert sms_sent() == []
    schema = client.http.get("/api/openapi.json").json_body["components"]["schemas"]
    usager = next(s for name, s in schema.items() if name == "Usager")
    assert usager["properties"]["sms_opt_in"]["default"] is False
    assert "phone" not in usager.get("required", [])


def test_sms_consent_without_a_phone_is_refused_on_the_phone_field(client):
    agent = login(client, AGENT)
    response = client.http.post("/api/cases", headers=agent, body=json.dumps(
        {**CASE, "usager": {**PHONELESS, "sms_opt_in": True}}))
    assert response.status_code == 400
    assert response.json_body["field"] == "usager.phone" and "portable" in response.json_body["message"]
    confirm = client.http.post("/api/cases", headers=agent, body=json.dumps(
        {**CASE, "usager": PHONELESS, "confirm_consent_by_sms": True}))
    assert confirm.status_code == 400 and confirm.json_body["field"] == "confirm_consent_by_sms"
    assert client.http.get("/api/cases", headers=agent).json_body["items"] == []


def test_a_usager_without_a_phone_goes_through_the_whole_case(client, deps, phone_case_writes, monkeypatch):
    from chalicelib.services import sms

    agent = login(client, AGENT)
    ref = post_json(client, agent, "/api/cases", {**CASE, "usager": PHONELESS})["ref"]
    assert phone_case_writes == []                                  # no PHONE# entry at all
    post_json(client, agent, "/api/cases/" + ref + "/escalations",
              {"group_ids": ["61-caf"], "question": "Pouvez-vous vérifier le versement ?"})
    referent = login(client, REFERENT)
    seen = post_json(client, referent, f"/api/cases/{ref}/messages",
                     {"body": "Le versement repart le 5.", "kind": "answer"})
    assert seen["usager"]["first_name"] == "Gaston" and seen["usager"]["phone"] is None
    closed = post_json(client, agent, f"/api/cases/{ref}/close",
                       {"outcome": "solved_with_partner", "useful": True})
    assert closed["status"] == "closed"
    assert sms_sent() == []                                         # created, answered, closed: none
    # The SMS worker skips such a case, even one that somehow says yes to SMS.
    assert sms.deliver(deps, ref, "sms-closed-test", "closed") == "declined"
    bundle = deps.repo.get_bundle(ref)
    consenting = bundle.case.usager.model_copy(update={"sms_opt_in": True})     # unvalidated
    monkeypatch.setattr(bundle, "case", bundle.case.model_copy(update={"usager": consenting}))
    monkeypatch.setattr(deps.repo, "get_bundle", lambda _: bundle)
    assert sms.deliver(deps, ref, "sms-closed-test-2", "closed") == "no_phone"
    assert sms_sent() == []


def test_the_agent_finds_and_reads_a_phoneless_case(client, deps):
    agent = Browser(client, AGENT)
    fields = {**NEW_CASE, "usager.phone": "", "usager.last_name": "Sansfil"}
    del fields["usager.sms_opt_in"]
    created = agent.post("/nouveau-dossier", fields)
    assert created.status_code == 303, text(created)
    ref = re.match(r"/dossiers/([^?]+)\?", created.headers["Location"]).group(1)
    page = text(agent.get(f"/dossiers/{ref}"))
    assert "Pas de téléphone : l'usager sera recontacté par le point" in page
    found = agent.post("/recherche", {"q": "sansfil"})
    assert re.findall(r'href="/dossiers/([^"]+)"', found.body.decode()) == [ref]


def test_the_right_of_access_finds_a_phoneless_usager_by_a_case_reference(client, deps):
    agent = login(client, AGENT)
    ref = post_json(client, agent, "/api/cases", {**CASE, "usager": PHONELESS})["ref"]
    other = post_json(client, agent, "/api/cases", {**CASE, "usager": {**PHONELESS, "first_name": "Yvette"}})["ref"]
    with_phone = post_json(client, agent, "/api/cases", CASE)["ref"]
    admin = login(client, "admin@example.org")
    exported = post_json(client, admin, "/api/admin/usager-export", {"ref": ref.lower().replace("-", " ")})
    assert [c["case"]["ref"] for c in exported["cases"]] == [ref] and other not in json.dumps(exported)
    assert exported["phone"] is None and exported["sms_opted_out"] is False
    assert exported["cases"][0]["case"]["usager"]["last_name"] == "Sansfil"
    # A case of a usager with a phone brings every case of that phone, as the phone does.
    by_ref = post_json(client, admin, "/api/admin/usager-export", {"ref": with_phone})
    assert [c["case"]["ref"] for c in by_ref["cases"]] == [with_phone] and by_ref["phone"] == "+33612345678"
    for body in ({}, {"ref": ref, "phone": "06 12 34 56 78"}):
        refused = client.http.post("/api/admin/usager-export", headers=admin, body=json.dumps(body))
        assert refused.status_code == 400 and "référence" in refused.json_body["message"]
    unknown = post_json(client, admin, "/api/admin/usager-export", {"ref": "61-ZZZ-ZZZ"})
    assert unknown["cases"] == []


def test_the_new_case_form_asks_consent_and_says_what_the_partner_sees(client):
    from chalicelib.domain import visibility

    agent = Browser(client, AGENT)
    html = text(agent.get("/nouveau-dossier"))
    box = re.search(r'<input type="checkbox" id="usager-sms_opt_in"[^>]*>', html).group(0)
    assert "checked" not in box
    assert 'id="usager-phone"' in html and not re.search(r'id="usager-phone"[^>]*required', html)
    for line in (*visibility.PARTNER_SEES, *visibility.PARTNER_NEVER_SEES):
        assert line in html


def test_the_partner_sees_what_the_form_says_and_nothing_more(client):
    """The new case form's lists (domain/visibility.py) against what a referent really gets."""
    agent = login(client, AGENT)
    usager = {**CASE["usager"], "email": "jeanne@example.net"}
    ref = post_json(client, agent, "/api/cases", {**CASE, "usager": usager})["ref"]
    post_json(client, agent, f"/api/cases/{ref}/escalations", {
        "group_ids": ["61-caf"], "question": "Le RSA est suspendu.", "identifiers": {"caf_number": "1234567"}})
    post_json(client, agent, f"/api/cases/{ref}/escalations", {
        "group_ids": ["61-cpam"], "question": "Et la complémentaire ?", "identifiers": {"nir": "1 85 05 78 006 084 91"}})
    post_json(client, agent, f"/api/cases/{ref}/messages", {"body": "Note interne : rappeler lundi."})
    seen = client.http.get(f"/api/cases/{ref}", headers=login(client, REFERENT)).json_body
    # sees: name, situation, the request and the question, its identifiers, the point
    assert (seen["usager"]["first_name"], seen["usager"]["last_name"]) == ("Jeanne", "Martin")
    assert seen["situation"] == CASE["situation"] and seen["description"] == CASE["description"]
    assert [e["question"] for e in seen["escalations"]] == ["Le RSA est suspendu."]
    assert seen["identifiers"]["caf_number"] == "1234567" and seen["point_id"] == CASE["point_id"]
    # never: the usager's phone and email, the notes, the other partners' thread and identifiers
    assert seen["usager"]["phone"] is None and seen["usager"]["email"] is None
    assert "rappeler lundi" not in json.dumps(seen) and "complémentaire" not in json.dumps(seen)
    assert seen["identifiers"].get("nir") is None


# --- point 4: the error summary follows the form ---------------------------------------------

def summary_links(html: str) -> list[str]:
    summary = re.search(r'<div class="fr-alert fr-alert--error[^>]*>(.*?)</div>', html, re.S)
    return re.findall(r'href="#([^"]+)"', summary.group(1))


def test_the_error_summaries_list_the_fields_in_the_forms_order(client):
    agent = Browser(client, AGENT)
    refused = agent.post("/nouveau-dossier", [("point_id", "61-mairie-bretoncelles"),
                                               ("usager.sms_opt_in", "oui"), ("group_ids", "61-caf"),
                                               ("confirm_consent_by_sms", "oui"),
                                               ("identifiers.nir", "12345")])
    html = text(refused)
    links = summary_links(html)
    assert links[:4] == ["usager-first_name", "usager-last_name", "usager-phone", "situation"], links
    positions = [html.index(f'id="{anchor}"') for anchor in links]
    assert positions == sorted(positions), links
    assert re.search(r'id="erreurs" tabindex="-1" autofocus', html)

    ref = post_json(client, login(client, AGENT), "/api/cases", CASE)["ref"]
    closing = agent.post(f"/dossiers/{ref}/cloture", {})
    assert closing.status_code == 400 and summary_links(text(closing)) == ["outcome", "useful"]
