"""Authorization rules found by an outside attack, checked without I/O: a group that handed a
case back, the referent groups' addresses, and the values of URLs and forms."""
from datetime import date

import pytest

from chalicelib.domain import authz, query, visibility, workflow
from chalicelib.domain.authz import Principal
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.models import EscalationStatus, MessageKind, ReferentGroup, Role
from tests.unit.test_workflow import CAF, CPAM, NOW, escalated

BOTH = Principal("u-r", Role.REFERENT, group_ids=frozenset({"61-caf", "61-cpam"}))


def handed_back_cpam():
    case, [caf, cpam] = escalated(CAF, CPAM)
    case, cpam = workflow.referent_reply(case, cpam, MessageKind.WRONG_RECIPIENT, [caf, cpam], NOW)
    return case, caf, cpam


def test_a_referent_of_two_groups_must_say_which_while_both_are_on_the_case():
    _, [caf, cpam] = escalated(CAF, CPAM)
    with pytest.raises(InvalidInput):
        authz.referent_acting_group(BOTH, [caf, cpam], None)
    assert authz.referent_acting_group(BOTH, [caf, cpam], "61-cpam") == "61-cpam"


def test_a_group_that_handed_the_case_back_cannot_act_through_any_door():
    case, caf, cpam = handed_back_cpam()
    assert cpam.status is EscalationStatus.WRONG_RECIPIENT
    with pytest.raises(NotFound):
        authz.referent_acting_group(BOTH, [caf, cpam], "61-cpam")
    assert authz.referent_acting_group(BOTH, [caf, cpam], None) == "61-caf"
    # and the workflow itself refuses to move a handed-back exchange, whoever asks
    for kind in (MessageKind.ANSWER, MessageKind.NEEDS_INFO, MessageKind.WRONG_RECIPIENT):
        with pytest.raises(Conflict):
            workflow.referent_reply(case, cpam, kind, [caf, cpam], NOW)


GROUP = ReferentGroup(id="61-caf", organisation_id="caf", territory_code="61", name="CAF de l'Orne",
                      member_emails=["referent@example.org"], shared_mailbox="bal@example.org",
                      manager_email="responsable@example.org")


@pytest.mark.parametrize("role", list(Role))
def test_only_admins_see_a_groups_addresses(role):
    """The members' and shared addresses: admins only; the manager's: admins and coordinators,
    who call on the manager of a late group (issue 23, point 13)."""
    seen = visibility.group_as_seen_by(role, GROUP)
    assert (seen.name, seen.answer_days, seen.organisation_id) == (GROUP.name, 4, "caf")
    addresses = (seen.member_emails, seen.shared_mailbox)
    if role is Role.ADMIN:
        assert addresses == (GROUP.member_emails, GROUP.shared_mailbox)
    else:
        assert addresses == ([], None)
    assert seen.manager_email == (GROUP.manager_email if role in (Role.ADMIN, Role.COORDINATOR) else None)


@pytest.mark.parametrize("text,expected", [
    ("", None), ("2026-11-24", date(2026, 11, 24)), ("24/11/2026", date(2026, 11, 24)),
])
def test_a_day_is_read_as_typed(text, expected):
    assert query.day(text) == expected


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "%%%", "31/02/2026", "\x00", "1" * 500])
def test_a_day_out_of_range_or_malformed_is_a_french_error(text):
    with pytest.raises(ValueError) as refused:
        query.day(text)
    assert "date" in str(refused.value)


@pytest.mark.parametrize("text,expected", [
    ("2026-T4", "2026-T4"), ("9999-T4", None), ("0001-T1", None), ("2026-T5", None), ("%%%", None),
    (None, None)])
def test_a_quarter_is_one_relais_can_hold(text, expected):
    assert query.quarter(text) == expected


def test_an_embedded_query_with_too_many_fields_reads_as_none():
    assert query.embedded_query("code=61&statut=nouvelle", 10) == {"code": "61", "statut": "nouvelle"}
    assert query.embedded_query("&".join(f"f{i}=1" for i in range(11)), 10) == {}
