"""The agent's dashboard against DynamoDB Local (issue 23, point 2): what a partner asked of
the agent is its own list, the tabs' counts are bounded reads, and each case says how many
partner messages arrived since this agent last opened it."""
from datetime import datetime, timedelta

import pytest
import time_machine

from chalicelib.domain.authz import Principal
from chalicelib.domain.commands import CaseClose, CaseCreate, EscalationCreate, MessageCreate
from chalicelib.domain.models import CaseStatus
from chalicelib.services import cases
from tests.clock import TUESDAY_MORNING

pytestmark = pytest.mark.instant(TUESDAY_MORNING)
POINT = "61-mairie-bretoncelles"


def principal(deps, email: str) -> Principal:
    return Principal.of(deps.repo.get_user_by_email(email))


def new_case(deps, agent: Principal, escalate_to: list[str] | None = None) -> str:
    ref = cases.create_case(deps, agent, CaseCreate.model_validate({
        "point_id": POINT, "situation": "sante", "description": "Remboursements", "consent_attested": True,
        "usager": {"first_name": "Paul", "last_name": "Durand", "phone": "0781234567"}})).ref
    if escalate_to:
        cases.escalate(deps, agent, ref, EscalationCreate(group_ids=escalate_to, question="?"))
    return ref


def refs(page) -> set[str]:
    return {c.ref for c in page.items}


def test_information_requested_is_its_own_list_and_every_tab_is_counted(demo):
    deps = demo
    agent = principal(deps, "agent.bretoncelles@example.org")
    caf = principal(deps, "referent.61-caf@example.org")
    at_desk = new_case(deps, agent)
    waiting = new_case(deps, agent, ["61-caf"])
    asked = new_case(deps, agent, ["61-caf"])
    answered = new_case(deps, agent, ["61-caf"])
    closed = new_case(deps, agent)
    cases.post_referent_reply(deps, caf, asked, MessageCreate(kind="needs_info", body="Quel numéro ?"))
    cases.post_referent_reply(deps, caf, answered, MessageCreate(kind="answer", body="C'est fait."))
    cases.close_case(deps, agent, closed, CaseClose(outcome="solved_at_desk", useful=True))

    info = cases.list_cases(deps, agent, POINT, CaseStatus.ESCALATED, 50, None, info_requested=True)
    others = cases.list_cases(deps, agent, POINT, CaseStatus.ESCALATED, 50, None, info_requested=False)
    assert refs(info) == {asked} and refs(others) == {waiting}
    assert [c.info_requested for c in info.items] == [True]

    tallies = cases.point_tallies(deps, agent, POINT)
    assert {key: tally.count for key, tally in tallies.items()} == {
        "open": 1, "waiting": 1, "info_requested": 1, "late": 0, "answered": 1, "closed": 1}
    assert not any(tally.more for tally in tallies.values())
    assert at_desk in refs(cases.list_cases(deps, agent, POINT, CaseStatus.OPEN, 50, None))

    # The agent supplies the information: the case waits for the partner again.
    cases.post_agent_message(deps, agent, asked, MessageCreate(body="Le 1234567.", group_id="61-caf"))
    info = cases.list_cases(deps, agent, POINT, CaseStatus.ESCALATED, 50, None, info_requested=True)
    assert info.items == []
    assert cases.point_tallies(deps, agent, POINT)["waiting"].count == 2


def test_late_cases_are_counted_at_the_moment_of_reading(demo):
    deps = demo
    agent = principal(deps, "agent.bretoncelles@example.org")
    new_case(deps, agent, ["61-caf"])
    assert cases.point_tallies(deps, agent, POINT)["late"].count == 0
    with time_machine.travel(datetime.fromisoformat(TUESDAY_MORNING) + timedelta(days=10), tick=False):
        assert cases.point_tallies(deps, agent, POINT)["late"].count == 1


def test_counts_stop_at_their_limit_and_say_so(demo, monkeypatch):
    deps = demo
    agent = principal(deps, "agent.bretoncelles@example.org")
    for _ in range(3):
        new_case(deps, agent)
    monkeypatch.setattr(cases, "COUNT_LIMIT", 2)
    tally = cases.point_tallies(deps, agent, POINT)["open"]
    assert (tally.count, tally.more) == (2, True)


def test_new_partner_messages_are_counted_until_the_agent_opens_the_case(demo):
    deps = demo
    agent = principal(deps, "agent.bretoncelles@example.org")
    caf = principal(deps, "referent.61-caf@example.org")
    ref = new_case(deps, agent, ["61-caf"])

    def unread(who: Principal) -> int:
        [summary] = [c for c in cases.list_cases(deps, who, POINT, None, 50, None).items if c.ref == ref]
        return summary.unread

    assert unread(agent) == 0
    cases.post_referent_reply(deps, caf, ref, MessageCreate(kind="needs_info", body="Quel numéro ?"))
    assert unread(agent) == 1
    cases.get_case(deps, agent, ref)
    assert unread(agent) == 0
    cases.post_agent_message(deps, agent, ref, MessageCreate(body="Le 1234567.", group_id="61-caf"))
    cases.post_referent_reply(deps, caf, ref, MessageCreate(kind="answer", body="C'est fait."))
    assert unread(agent) == 1
    # A referent reading the case marks nothing for the agents.
    cases.get_case(deps, caf, ref)
    assert unread(agent) == 1
