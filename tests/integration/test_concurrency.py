"""Concurrent writers against DynamoDB Local: nothing lost, references unique."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain.authz import Principal
from chalicelib.domain.commands import CaseCreate, EscalationCreate, MessageCreate
from chalicelib.domain.models import Role
from chalicelib.services import cases
from tests.clock import TUESDAY_MORNING

pytestmark = pytest.mark.instant(TUESDAY_MORNING)


def principal(deps, email: str) -> Principal:
    return Principal.of(deps.repo.get_user_by_email(email))


NEW_CASE = CaseCreate.model_validate({
    "point_id": "61-mairie-bretoncelles", "situation": "sante", "description": "Remboursements",
    "consent_attested": True, "usager": {"first_name": "Paul", "last_name": "Durand", "phone": "0781234567"}})


def test_fifty_answers_and_messages_at_once_on_one_case_lose_nothing(demo):
    deps = demo
    AGENT, CAF, CAF_2, CPAM = (principal(deps, email) for email in (
        "agent.bretoncelles@example.org", "referent.61-caf@example.org",
        "referent2.61-caf@example.org", "referent.61-cpam@example.org"))
    ref = cases.create_case(deps, AGENT, NEW_CASE).ref
    cases.escalate(deps, AGENT, ref, EscalationCreate(group_ids=["61-caf", "61-cpam"], question="?"))
    writers = ([(CAF, "answer"), (CAF_2, "needs_info"), (CPAM, "answer"), (AGENT, "note")] * 13)[:50]

    def write(pair):
        principal, kind = pair
        body = f"{kind} de {principal.user_id}"
        if principal.role is Role.REFERENT:
            return cases.post_referent_reply(deps, principal, ref, MessageCreate(body=body, kind=kind))
        return cases.post_agent_message(deps, principal, ref, MessageCreate(body=body, kind=kind, group_id="61-caf"))

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(write, writers))
    view = cases.get_case(deps, AGENT, ref)
    assert len(view.messages) == len(writers) == 50
    assert len({m.body for m in view.messages}) == 4 and len({m.id for m in view.messages}) == 50
    assert view.status == "answered"
    assert {e.group_id: e.status for e in view.escalations}["61-cpam"] == "answered"


def test_concurrent_creations_get_unique_references(demo):
    AGENT = principal(demo, "agent.bretoncelles@example.org")
    with ThreadPoolExecutor(max_workers=16) as pool:
        refs = list(pool.map(lambda _: cases.create_case(demo, AGENT, NEW_CASE).ref, range(200)))
    assert len(set(refs)) == 200
    listed = cases.list_cases(demo, AGENT, None, None, 200, None)
    assert sorted(c.ref for c in listed.items) == sorted(refs)
