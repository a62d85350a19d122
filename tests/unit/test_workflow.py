"""State transitions of a case, without any I/O."""
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import workflow
from chalicelib.domain.commands import CaseClose, CaseCreate, EscalationCreate
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.models import CaseStatus, EscalationStatus, Identifiers, MessageKind, ReferentGroup

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CAF = ReferentGroup(id="61-caf", organisation_id="caf", territory_code="61", name="CAF de l'Orne")
CPAM = ReferentGroup(id="61-cpam", organisation_id="cpam", territory_code="61", name="CPAM de l'Orne")
CAF_62 = ReferentGroup(id="62-caf", organisation_id="caf", territory_code="62", name="CAF du Pas-de-Calais")


def new_case():
    command = CaseCreate(point_id="61-mairie-bretoncelles", situation="emploi", description="Allocations",
                         consent_attested=True, usager={"first_name": "Jeanne", "last_name": "Martin",
                                                        "phone": "0612345678"})
    return workflow.open_case(command, ref="61-ABC-DEF", territory_code="61", agent_id="u-1", now=NOW)


def escalated(*groups):
    case = new_case()
    command = EscalationCreate(group_ids=[g.id for g in groups], question="Pourquoi ?",
                               identifiers=Identifiers(caf_number="1234567"))
    return workflow.escalate(case, {}, list(groups), command, NOW)


def test_escalation_sets_status_due_date_and_keeps_identifiers():
    case, [escalation] = escalated(CAF)
    assert case.status is CaseStatus.ESCALATED and case.version == 2
    assert case.identifiers.caf_number == "1234567"
    assert escalation.status is EscalationStatus.SENT
    assert escalation.due_at > NOW + timedelta(days=4)


def test_escalation_outside_the_territory_is_refused():
    with pytest.raises(InvalidInput) as error:
        escalated(CAF_62)
    assert error.value.field == "group_ids"


def test_the_same_partner_cannot_be_asked_twice_while_active():
    case, created = escalated(CAF)
    with pytest.raises(Conflict):
        workflow.escalate(case, {e.group_id: e for e in created}, [CAF],
                          EscalationCreate(group_ids=["61-caf"], question="Encore ?"), NOW)


def test_answer_from_one_partner_makes_the_case_answered():
    case, [caf, cpam] = escalated(CAF, CPAM)
    case, caf = workflow.referent_reply(case, caf, MessageKind.ANSWER, [caf, cpam], NOW)
    assert caf.status is EscalationStatus.ANSWERED and caf.answered_at == NOW
    assert case.status is CaseStatus.ANSWERED


def test_wrong_recipient_alone_sends_the_case_back_to_the_agent():
    case, [caf] = escalated(CAF)
    case, caf = workflow.referent_reply(case, caf, MessageKind.WRONG_RECIPIENT, [caf], NOW)
    assert caf.status is EscalationStatus.WRONG_RECIPIENT
    assert case.status is CaseStatus.OPEN


def test_needs_info_waits_and_agent_message_resumes():
    case, [caf] = escalated(CAF)
    case, caf = workflow.referent_reply(case, caf, MessageKind.NEEDS_INFO, [caf], NOW)
    assert case.status is CaseStatus.ESCALATED and caf.status is EscalationStatus.NEEDS_INFO
    case, resumed = workflow.agent_message(case, caf, MessageKind.NOTE, [caf], NOW)
    assert resumed.status is EscalationStatus.SENT and case.status is CaseStatus.ESCALATED


def test_agents_cannot_post_partner_answers():
    case, [caf] = escalated(CAF)
    with pytest.raises(InvalidInput):
        workflow.agent_message(case, caf, MessageKind.ANSWER, [caf], NOW)


def test_close_closes_escalations_then_nothing_moves_until_reopened():
    case, [caf] = escalated(CAF)
    closed, [closed_caf] = workflow.close(case, [caf], CaseClose(outcome="solved_with_partner", useful=True), NOW)
    assert closed.status is CaseStatus.CLOSED and closed.useful is True
    assert closed_caf.status is EscalationStatus.CLOSED
    with pytest.raises(Conflict):
        workflow.referent_reply(closed, closed_caf, MessageKind.ANSWER, [closed_caf], NOW)
    with pytest.raises(Conflict):
        workflow.close(closed, [], CaseClose(outcome="not_solved", useful=False), NOW)
    reopened = workflow.reopen(closed, NOW)
    assert reopened.status is CaseStatus.OPEN and reopened.outcome is None
    with pytest.raises(Conflict):
        workflow.reopen(reopened, NOW)


def test_needs_info_pauses_the_clock_and_the_agent_resumes_it_with_the_time_back():
    from chalicelib.domain import deadlines

    case, [caf] = escalated(CAF)                                   # Monday 23 Nov, due Fri 27
    assert deadlines.due_date(caf.due_at).isoformat() == "2026-11-27"
    asked = NOW + timedelta(days=1)                                # Tuesday
    case, caf = workflow.referent_reply(case, caf, MessageKind.NEEDS_INFO, [caf], asked)
    assert caf.paused_at == asked and caf.status is EscalationStatus.NEEDS_INFO
    supplied = NOW + timedelta(days=3, hours=2)                    # Thursday: 2 business days later
    case, caf = workflow.agent_message(case, caf, MessageKind.NOTE, [caf], supplied)
    assert caf.status is EscalationStatus.SENT and caf.paused_at is None
    assert caf.paused_seconds == int((supplied - asked).total_seconds())
    assert deadlines.due_date(caf.due_at).isoformat() == "2026-12-01"   # Friday + 2 business days


def test_an_answer_after_needs_info_records_the_pause_without_moving_the_deadline():
    case, [caf] = escalated(CAF)
    due = caf.due_at
    case, caf = workflow.referent_reply(case, caf, MessageKind.NEEDS_INFO, [caf], NOW)
    later = NOW + timedelta(hours=5)
    case, caf = workflow.referent_reply(case, caf, MessageKind.ANSWER, [caf], later)
    assert caf.paused_at is None and caf.paused_seconds == 5 * 3600 and caf.due_at == due


@pytest.mark.parametrize("hours_before_due, lateness, label", [
    (48, None, None),
    (23, "due_soon", "À traiter sous 24 h"),
    (-1, "late", "En retard"),
])
def test_late_states_are_visible_in_the_escalation_view(hours_before_due, lateness, label):
    from chalicelib.views import EscalationView

    _, [caf] = escalated(CAF)
    view = EscalationView.of(caf, "CAF de l'Orne", caf.due_at - timedelta(hours=hours_before_due))
    assert (view.lateness, view.lateness_label) == (lateness, label)
    assert view.due_in_words == "vendredi 27 novembre" and view.due_date.isoformat() == "2026-11-27"


def test_a_paused_escalation_is_never_late():
    from chalicelib.views import EscalationView

    case, [caf] = escalated(CAF)
    case, caf = workflow.referent_reply(case, caf, MessageKind.NEEDS_INFO, [caf], NOW)
    view = EscalationView.of(caf, "CAF de l'Orne", caf.due_at + timedelta(days=3))
    assert view.paused and view.lateness is None


def test_the_case_names_the_partners_waiting_for_information_and_counts_their_messages():
    case, [caf, cpam] = escalated(CAF, CPAM)
    assert case.info_requested_by == [] and case.partner_messages == 0
    case, caf = workflow.referent_reply(case, caf, MessageKind.NEEDS_INFO, [caf, cpam], NOW)
    assert case.info_requested_by == ["61-caf"] and case.partner_messages == 1
    case, cpam = workflow.referent_reply(case, cpam, MessageKind.ANSWER, [caf, cpam], NOW)
    assert case.info_requested_by == ["61-caf"] and case.partner_messages == 2
    case, caf = workflow.agent_message(case, caf, MessageKind.NOTE, [caf, cpam], NOW)
    assert case.info_requested_by == [] and case.partner_messages == 2
