"""Retention on DynamoDB Local: six months after closing, the usager's identity, the texts, the
messages and their documents are wiped; the published results are untouched; a reopened case
keeps everything; every step is audited."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.domain import results as domain
from tests.clock import TUESDAY_MORNING
from tests.conftest import CASE, login, post_json, whole_table

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]
AGENT = "agent.bretoncelles@example.org"
REFERENT = "referent.61-caf@example.org"



def search(deps, text: str) -> list:
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.models import Role
    from chalicelib.services import cases

    agent = deps.repo.get_user_by_email(AGENT)
    return cases.search_cases(deps, Principal(user_id=agent.id, role=Role.AGENT,
                                              point_ids=frozenset(agent.point_ids)), text)


def a_closed_case_with_a_document(client, deps) -> str:
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.commands import MessageCreate
    from chalicelib.domain.models import Attachment, Channel, MessageKind, Role
    from chalicelib.services import cases

    agent = login(client, AGENT)
    usager = {**CASE["usager"], "email": "jeanne.martin@example.net"}
    ref = post_json(client, agent, "/api/cases", {**CASE, "usager": usager})["ref"]
    post_json(client, agent, f"/api/cases/{ref}/escalations",
         {"group_ids": ["61-caf"], "question": "Le RSA de Mme Martin ?", "identifiers": {"caf_number": "1234567"}})
    key = f"attachments/{ref}/m1/0"
    deps.s3.put_object(Bucket=deps.settings.mail_bucket, Key=key, Body=b"%PDF-1.4 avis")
    referent_id = deps.repo.get_user_by_email(REFERENT).id
    cases.post_referent_reply(
        deps, Principal(user_id=referent_id, role=Role.REFERENT, group_ids=frozenset({"61-caf"})),
        ref, MessageCreate(body="Droit rétabli pour Mme Martin.", kind=MessageKind.ANSWER),
        cases.Posting(Channel.EMAIL, attachments=[Attachment(name="avis-martin.pdf", size=13,
                                                             content_type="application/pdf", key=key)]))
    post_json(client, agent, f"/api/cases/{ref}/close", {"outcome": "solved_with_partner", "useful": True})
    return ref


def test_personal_data_is_wiped_six_months_after_closing_and_the_results_stay(client):
    from chalicelib import bootstrap, jobs
    from chalicelib.services import results

    deps = bootstrap.deps()
    ref = a_closed_case_with_a_document(client, deps)
    period = domain.quarter(deps.now())
    before = results.stored(deps, period)
    closed_at = deps.repo.get_case(ref).closed_at
    token = deps.repo.get_bundle(ref).escalations["61-caf"].reply_token
    assert deps.repo.get_reply_target(token) is not None

    assert jobs.run_inline("retention", deps, closed_at + timedelta(days=150)) == {"purged": 0, "skipped": 0, "failed": 0, "feedback_deleted": 0}
    assert jobs.run_inline("retention", deps, closed_at + timedelta(days=186)) == {"purged": 1, "skipped": 0, "failed": 0, "feedback_deleted": 0}
    assert jobs.run_inline("retention", deps, closed_at + timedelta(days=187)) == {"purged": 0, "skipped": 0, "failed": 0, "feedback_deleted": 0}

    agent = login(client, AGENT)
    seen = client.http.get(f"/api/cases/{ref}", headers=agent).json_body
    assert seen["usager"]["first_name"] == "Données personnelles effacées" and seen["usager"]["phone"] is None
    assert seen["messages"] == [] and "effacé" in seen["description"]
    assert not any(seen["identifiers"].values())
    assert seen["status"] == "closed" and seen["outcome"] == "solved_with_partner"
    assert seen["escalations"][0]["status"] == "closed"
    dumped = json.dumps(whole_table(deps), ensure_ascii=False)
    for personal in ("Jeanne", "Martin", "+33612345678", "jeanne.martin", "1234567", "RSA n'est plus"):
        assert personal not in dumped, personal
    objects = deps.s3.list_objects_v2(Bucket=deps.settings.mail_bucket, Prefix=f"attachments/{ref}/")
    assert objects.get("KeyCount", 0) == 0
    assert deps.repo.latest_case_for_phone("+33612345678") is None
    assert deps.repo.get_reply_target(token) is None                  # a late reply is "unknown_token"
    assert search(deps, "martin") == []                               # the name leads nowhere
    assert results.stored(deps, period) == before                      # the figures are untouched
    assert any(e.code == "CASE_PURGED" for e in deps.repo.get_bundle(ref).events)


def test_a_reopened_case_keeps_its_data_and_a_second_closing_counts_from_then(client):
    from chalicelib import bootstrap, jobs

    deps = bootstrap.deps()
    ref = a_closed_case_with_a_document(client, deps)
    agent = login(client, AGENT)
    post_json(client, agent, f"/api/cases/{ref}/reopen")
    closed_at = deps.now()
    assert jobs.run_inline("retention", deps, closed_at + timedelta(days=200)) == {"purged": 0, "skipped": 1, "failed": 0, "feedback_deleted": 0}
    assert deps.repo.get_case(ref).usager.last_name == "Martin"
    post_json(client, agent, f"/api/cases/{ref}/close", {"outcome": "solved_at_desk", "useful": True})
    assert jobs.run_inline("retention", deps, deps.now() + timedelta(days=186))["purged"] == 1
    assert deps.repo.get_case(ref).usager is None


def audit_events(deps, code: str) -> list:
    day = deps.now().date().isoformat()
    from chalicelib.adapters.dynamo import Query

    items, _ = deps.repo._query(Query(partition=f"AUDIT#{day}"))
    return [i for i in items if i["code"]["S"] == code]


def test_every_read_of_personal_data_is_audited_with_ids_only(client):
    from chalicelib import bootstrap

    deps = bootstrap.deps()
    ref = a_closed_case_with_a_document(client, deps)
    agent = login(client, AGENT)
    before = len(audit_events(deps, "CASE_VIEWED"))
    assert client.http.get(f"/api/cases/{ref}", headers=agent).status_code == 200
    assert client.http.get(f"/dossiers/{ref}", headers=agent).status_code == 200
    viewed = audit_events(deps, "CASE_VIEWED")
    assert len(viewed) == before + 2 and {v["data"]["M"]["ref"]["S"] for v in viewed} == {ref}
    client.http.get("/api/cases?status=closed", headers=agent)
    assert [c.ref for c in search(deps, "jeanne martin")] == [ref]
    assert audit_events(deps, "CASES_LISTED") and audit_events(deps, "CASES_SEARCHED")
    dumped = json.dumps([audit_events(deps, c) for c in ("CASE_VIEWED", "CASES_LISTED", "CASES_SEARCHED")],
                        ensure_ascii=False)
    assert "Martin" not in dumped and "+33612345678" not in dumped


def test_an_admin_exports_everything_held_about_one_usager_and_no_one_else_can(client):
    from chalicelib import bootstrap

    deps = bootstrap.deps()
    ref = a_closed_case_with_a_document(client, deps)
    other = post_json(client, login(client, AGENT), "/api/cases",
                 {**CASE, "usager": {**CASE["usager"], "phone": "06 98 76 12 34"}})["ref"]
    admin = login(client, "admin@example.org")
    response = client.http.post("/api/admin/usager-export", headers={**admin, "Content-Type": "application/json"},
                                body=json.dumps({"phone": "06 12 34 56 78"}))
    assert response.status_code == 200, response.body
    exported = response.json_body
    assert [c["case"]["ref"] for c in exported["cases"]] == [ref]          # not the other usager's
    case = exported["cases"][0]
    assert case["case"]["usager"]["email"] == "jeanne.martin@example.net"
    assert case["messages"][0]["attachments"][0]["name"] == "avis-martin.pdf"
    assert case["escalations"][0]["identifiers"]["caf_number"] == "1234567"
    assert "reply_token" not in case["escalations"][0] and other not in response.body.decode()
    assert len(audit_events(deps, "USAGER_EXPORTED")) == 1
    agent = login(client, AGENT)
    refused = client.http.post("/api/admin/usager-export", headers={**agent, "Content-Type": "application/json"},
                               body=json.dumps({"phone": "06 12 34 56 78"}))
    assert refused.status_code == 403
    bad = client.http.post("/api/admin/usager-export", headers={**admin, "Content-Type": "application/json"},
                           body=json.dumps({"phone": "12"}))
    assert bad.status_code == 400 and bad.json_body["field"] == "phone"


def test_a_case_closed_after_the_run_time_is_purged_by_the_next_run(client):
    from dateutil.relativedelta import relativedelta

    from chalicelib import bootstrap, jobs

    deps = bootstrap.deps()
    ref = a_closed_case_with_a_document(client, deps)
    closed_at = deps.repo.get_case(ref).closed_at
    run = closed_at + relativedelta(months=6) - timedelta(hours=1)     # its cutoff: an hour before closing
    assert jobs.run_inline("retention", deps, run)["purged"] == 0
    assert jobs.run_inline("retention", deps, run + timedelta(days=1))["purged"] == 1
    assert deps.repo.get_case(ref).usager is None


def test_a_case_that_fails_keeps_its_turn_and_holds_no_one_back(client, monkeypatch):
    from chalicelib import bootstrap, jobs
    from chalicelib.services import retention

    deps = bootstrap.deps()
    first, second = a_closed_case_with_a_document(client, deps), a_closed_case_with_a_document(client, deps)
    original = retention.purge

    def broken(deps, ref, limit, now):
        if ref == first:
            raise RuntimeError("S3 refused")
        return original(deps, ref, limit, now)

    monkeypatch.setattr(retention, "purge", broken)
    later = deps.now() + timedelta(days=186)
    assert jobs.run_inline("retention", deps, later) == {"purged": 1, "skipped": 0, "failed": 1, "feedback_deleted": 0}
    monkeypatch.setattr(retention, "purge", original)
    assert jobs.run_inline("retention", deps, later + timedelta(days=1)) == {"purged": 1, "skipped": 0, "failed": 0, "feedback_deleted": 0}
    assert deps.repo.get_case(first).usager is None and deps.repo.get_case(second).usager is None


def test_a_document_opened_is_one_audit_event_not_a_case_view_too(client):
    from chalicelib import bootstrap
    from chalicelib.domain.authz import Principal
    from chalicelib.services import attachments

    deps = bootstrap.deps()
    ref = a_closed_case_with_a_document(client, deps)
    agent = Principal.of(deps.repo.get_user_by_email(AGENT))
    message = next(m for m in deps.repo.get_bundle(ref).messages if m.attachments)
    viewed = len(audit_events(deps, "CASE_VIEWED"))
    assert "X-Amz-Signature" in attachments.download_url(deps, agent, ref, message.id, 0)
    assert len(audit_events(deps, "CASE_VIEWED")) == viewed
    read = [e for e in deps.repo.get_bundle(ref).events if e.code == "ATTACHMENT_READ"]
    assert len(read) == 1 and read[0].actor_id == agent.user_id


def test_agents_feedback_is_deleted_two_years_after_it_was_sent(client):
    """Free text that may name someone despite the form's advice: deleted after 24 months (8
    quarters for the commission to compare), the newer kept, the audit events kept."""
    from chalicelib import bootstrap, jobs
    from tests.conftest import count

    deps = bootstrap.deps()
    agent = login(client, AGENT)
    sent_at = deps.now()
    for kind, fields in (("difficulty", {"organisation_id": "cpam", "procedure": "Complémentaire santé solidaire",
                                          "problem": "M. Kerbrat n'arrive pas à joindre la caisse.",
                                          "usagers_affected": 2}),
                         ("training", {"topic": "La retraite progressive"})):
        post_json(client, agent, "/api/feedback", {"kind": kind, "point_id": "61-mairie-bretoncelles", **fields})
    deps.clock = lambda: sent_at + timedelta(days=400)
    post_json(client, login(client, AGENT), "/api/feedback", {"kind": "training", "point_id": "61-mairie-bretoncelles",
                                               "topic": "Les aides au logement"})
    events = count(deps, f"AUDIT#{sent_at.date().isoformat()}")

    assert jobs.run_inline("retention", deps, sent_at + timedelta(days=700))["feedback_deleted"] == 0
    assert jobs.run_inline("retention", deps, sent_at + timedelta(days=732))["feedback_deleted"] == 2
    assert jobs.run_inline("retention", deps, sent_at + timedelta(days=733))["feedback_deleted"] == 0
    left = [item for item in whole_table(deps) if item.get("type", {}).get("S") == "Feedback"]
    assert [item["topic"]["S"] for item in left] == ["Les aides au logement"]
    assert not any("Kerbrat" in json.dumps(item) for item in whole_table(deps))
    assert count(deps, f"AUDIT#{sent_at.date().isoformat()}") == events
