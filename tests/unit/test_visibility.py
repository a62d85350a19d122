"""The one policy of who sees which contact fields (domain/visibility.py), as a table, and the
case view it shapes for each audience."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain import authz, visibility
from chalicelib.domain.authz import Principal
from chalicelib.domain.models import (
    Case,
    ContactPoint,
    Escalation,
    EscalationStatus,
    Identifiers,
    Message,
    MessageKind,
    ReferentGroup,
    Role,
    Usager,
)
from chalicelib.domain.visibility import Audience, Contact
from chalicelib.views import case_view

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

# role -> (group addresses, its manager's address, point phone and address, usager phone and
# email, the whole case)
POLICY = {
    Role.AGENT: (False, False, True, True, True),
    Role.REFERENT: (False, False, True, False, False),
    Role.COORDINATOR: (False, True, True, False, False),
    Role.ADMIN: (True, True, True, False, False),
    Role.USAGER: (False, False, False, False, False),
    Role.RESPONDER: (False, False, True, False, False),
    Role.MODERATOR: (False, False, True, False, False),
}


def test_every_role_is_in_the_table():
    assert set(POLICY) == set(Role) == set(visibility.SEEN_BY)


@pytest.mark.parametrize("role", list(Role))
def test_who_sees_which_contact_fields(role):
    expected = dict(zip((Contact.GROUP_ADDRESSES, Contact.MANAGER_CONTACT, Contact.POINT_CONTACT,
                         Contact.USAGER_CONTACT, Contact.WHOLE_CASE), POLICY[role], strict=True))
    assert {contact: visibility.sees(role, contact) for contact in Contact} == expected


GROUP = ReferentGroup(id="61-caf", organisation_id="caf", territory_code="61", name="CAF de l'Orne",
                      member_emails=["referent@example.org"], shared_mailbox="bal@example.org",
                      manager_email="responsable@example.org")
POINT = ContactPoint(id="61-mortagne", territory_code="61", name="France services de Mortagne",
                     kind="france_services", phone="0233000000", address="1 place de la République")


@pytest.mark.parametrize("role", list(Role))
def test_a_group_and_a_point_as_each_role_sees_them(role):
    group = visibility.group_as_seen_by(role, GROUP)
    point = visibility.point_as_seen_by(role, POINT)
    assert (group.id, group.name, group.answer_days) == (GROUP.id, GROUP.name, GROUP.answer_days)
    assert (point.id, point.name) == (POINT.id, POINT.name)
    group_addresses, manager_contact, point_contact, _, _ = POLICY[role]
    assert ((group.member_emails, group.shared_mailbox)
            == ((GROUP.member_emails, GROUP.shared_mailbox) if group_addresses else ([], None)))
    assert group.manager_email == (GROUP.manager_email if manager_contact else None)
    assert (point.phone, point.address) == ((POINT.phone, POINT.address) if point_contact else (None, None))


def escalation(group_id: str, status=EscalationStatus.SENT, **identifiers) -> Escalation:
    return Escalation(case_ref="R1", group_id=group_id, organisation_id=group_id.split("-")[1],
                      territory_code="61", point_id="61-mortagne", status=status, question="?",
                      due_at=NOW, created_at=NOW, updated_at=NOW, identifiers=Identifiers(**identifiers))


CASE = Case(ref="R1", point_id="61-mortagne", territory_code="61", created_by="agent",
            usager=Usager(first_name="Jeanne", last_name="Martin", phone="+33612345678",
                          email="jeanne@example.org"),
            identifiers=Identifiers(caf_number="1234567", tax_number="0123456789012"),
            situation="famille", description="Un dossier.", consent_attested=True,
            created_at=NOW, updated_at=NOW)
ESCALATIONS = [escalation("61-caf", caf_number="1234567"),
               escalation("61-dgfip", tax_number="0123456789012"),
               escalation("61-cpam", EscalationStatus.WRONG_RECIPIENT)]
MESSAGES = [Message(id=f"m{i}", case_ref="R1", group_id=group, author_id="agent", author_role=Role.AGENT,
                    channel="web", kind=MessageKind.NOTE,
                    body=f"pour {group}", created_at=NOW)
            for i, group in enumerate([None, "61-caf", "61-dgfip", "61-cpam"])]


def view(audience: Audience):
    return case_view(CASE, ESCALATIONS, MESSAGES, {}, {}, now=NOW, audience=audience)


def test_an_agent_sees_the_whole_case():
    case = view(Audience.agent())
    assert (case.usager.phone, case.usager.email) == ("+33612345678", "jeanne@example.org")
    assert case.identifiers == CASE.identifiers
    assert {e.group_id for e in case.escalations} == {"61-caf", "61-dgfip", "61-cpam"}
    assert [m.group_id for m in case.messages] == [None, "61-caf", "61-dgfip", "61-cpam"]


def test_a_referent_sees_the_case_through_their_groups_only():
    referent = Principal("r", Role.REFERENT, group_ids=frozenset({"61-caf", "61-cpam"}))
    audience = authz.case_audience(referent, ESCALATIONS)
    assert audience == Audience.referent({"61-caf"})       # handed back: no longer through CPAM
    case = view(audience)
    assert (case.usager.first_name, case.usager.phone, case.usager.email) == ("Jeanne", None, None)
    assert case.identifiers == Identifiers(caf_number="1234567")
    assert [e.group_id for e in case.escalations] == ["61-caf"]
    assert [m.group_id for m in case.messages] == ["61-caf"]     # never the agent's notes


def test_an_agent_principal_gets_the_agents_audience():
    assert authz.case_audience(Principal("a", Role.AGENT, point_ids=frozenset({"61-mortagne"})),
                               ESCALATIONS) == Audience.agent()
