"""The DynamoDB adapter against DynamoDB Local: keys, conditions, pagination, secrets."""
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import case_write
from chalicelib.adapters.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.errors import InvalidInput, RaceLost
from chalicelib.domain.models import Case, CaseStatus, Event, Usager
from tests.clock import TUESDAY_MORNING

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def a_case(ref: str, at: datetime = NOW, point: str = "61-mairie-bretoncelles") -> Case:
    return Case(ref=ref, point_id=point, territory_code="61", created_by="u-agent",
                usager=Usager(first_name="Jeanne", last_name="Martin", phone="0612345678"),
                situation="emploi", description="Allocations", consent_attested=True,
                created_at=at, updated_at=at)


def create(deps, case: Case) -> None:
    """The case as the service creates it (a reference taken twice: tests/integration/
    test_unit_of_work_contract.py)."""
    uow = DynamoUnitOfWork(deps.repo)
    uow.cases.create(case)
    uow.events.record(Event(id=f"e-{case.ref}", code="CASE_CREATED", actor_id="u-agent", at=NOW,
                            case_ref=case.ref))
    uow.commit()


def test_a_stale_version_loses_the_race(deps):
    case = a_case("61-BBB-BBB")
    create(deps, case)
    first = case.model_copy(update={"status": CaseStatus.ESCALATED, "version": 2})
    deps.repo.transact([case_write(first, 1)])
    second = case.model_copy(update={"description": "Autre", "version": 2})
    with pytest.raises(RaceLost):
        deps.repo.transact([case_write(second, 1)])
    assert deps.repo.get_case(case.ref).status is CaseStatus.ESCALATED


def test_point_lists_are_newest_first_filtered_and_paginated(deps):
    for minute in range(5):
        ref = f"61-CCC-CC{'23456'[minute]}"
        create(deps, a_case(ref, NOW + timedelta(minutes=minute)))
    create(deps, a_case("62-DDD-DDD", point="62-pimms-bethune"))
    first = deps.repo.list_point_cases("61-mairie-bretoncelles", CaseStatus.OPEN, 2, None)
    assert [c.ref for c in first.items] == ["61-CCC-CC6", "61-CCC-CC5"]
    second = deps.repo.list_point_cases("61-mairie-bretoncelles", CaseStatus.OPEN, 2, first.cursor)
    assert [c.ref for c in second.items] == ["61-CCC-CC4", "61-CCC-CC3"]
    third = deps.repo.list_point_cases("61-mairie-bretoncelles", CaseStatus.OPEN, 2, second.cursor)
    assert [c.ref for c in third.items] == ["61-CCC-CC2"] and third.cursor is None
    assert deps.repo.list_point_cases("61-mairie-bretoncelles", CaseStatus.CLOSED, 10, None).items == []


def test_a_forged_cursor_is_bad_input(deps):
    with pytest.raises(InvalidInput):
        deps.repo.list_point_cases("61-mairie-bretoncelles", None, 2, "not-base64!!")


def test_login_secrets_are_single_use_and_expire(deps):
    deps.repo.put_secret(keys.LOGIN, "abc", "u-1", NOW + timedelta(minutes=20))
    assert deps.repo.take_secret(keys.LOGIN, "abc", NOW) == "u-1"
    assert deps.repo.take_secret(keys.LOGIN, "abc", NOW) is None
    deps.repo.put_secret(keys.LOGIN, "old", "u-1", NOW + timedelta(minutes=20))
    assert deps.repo.take_secret(keys.LOGIN, "old", NOW + timedelta(minutes=21)) is None
    assert deps.repo.read_secret(keys.SESSION, "abc", NOW) is None  # kinds never mix


def test_users_are_found_by_address_and_their_ids_say_nothing_of_it(demo):
    user = demo.repo.get_user_by_email(" Agent.Bretoncelles@example.org ")
    assert user.point_ids == ["61-mairie-bretoncelles"]
    assert "bretoncelles" not in user.id and len(user.id) == 18
    assert demo.repo.get_user_by_email("personne@example.org") is None


def test_scan_is_refused_by_the_suite(deps):
    with pytest.raises(AssertionError, match="Scan"):
        deps.dynamodb.scan(TableName=deps.settings.table_name)


def test_a_note_never_lands_on_a_case_closed_meanwhile(deps):
    from chalicelib.adapters.dynamo import case_still_open, message_write
    from chalicelib.domain.models import Channel, Message, Role

    case = a_case("61-EEE-EEE")
    create(deps, case)
    closed = case.model_copy(update={"status": CaseStatus.CLOSED, "version": 2})
    deps.repo.transact([case_write(closed, 1)])
    note = Message(id="m1", case_ref=case.ref, author_id="u-agent", author_role=Role.AGENT,
                   channel=Channel.WEB, body="Rappelé ce matin", created_at=NOW)
    with pytest.raises(RaceLost):
        deps.repo.transact([message_write(note), case_still_open(case.ref)])
    assert deps.repo.get_bundle(case.ref).messages == []


def test_the_lists_indexes_leave_out_the_long_texts_and_a_listed_row_is_never_saved(deps):
    """GSI1 and GSI2 project what the lists show, not a case's description nor an escalation's
    question (up to 5,000 characters each, which the index would copy at each change): a row
    read from them stands in for them, and cannot be written back over the whole item."""
    from chalicelib.adapters.dynamo import escalation_write
    from chalicelib.adapters.dynamo.query import Query
    from chalicelib.domain.models import Escalation

    description, question = "Elle ne touche plus son RSA. " * 150, "Pouvez-vous vérifier son dossier ? " * 100
    case = a_case("61-LNG-TXT").model_copy(update={"description": description.strip()})
    create(deps, case)
    escalation = Escalation(case_ref=case.ref, group_id="61-caf", organisation_id="caf", territory_code="61",
                            point_id=case.point_id, question=question.strip(), due_at=NOW + timedelta(days=4),
                            created_at=NOW, updated_at=NOW)
    deps.repo.transact([escalation_write(escalation, None)])

    in_gsi1, _ = deps.repo._query(Query(partition=f"POINT#{case.point_id}", index=keys.GSI1))
    in_gsi2, _ = deps.repo._query(Query(partition="GROUP#61-caf", index=keys.GSI2))
    assert in_gsi1 and "description" not in in_gsi1[0] and in_gsi1[0]["situation"]["S"] == "emploi"
    assert in_gsi2 and "question" not in in_gsi2[0] and in_gsi2[0]["due_at"]
    listed = deps.repo.list_point_cases(case.point_id, None, 10, None).items[0]
    queued = deps.repo.list_group_escalations("61-caf", None, 10, None).items[0]
    assert listed.usager.last_name == "Martin" and listed.description != case.description
    assert queued.question.startswith("Pouvez-vous vérifier son dossier ?") and len(queued.question) <= 140
    with pytest.raises(ValueError, match="never saved"):
        case_write(listed.model_copy(update={"status": CaseStatus.CLOSED, "version": 2}), 1)
    with pytest.raises(ValueError, match="never saved"):
        escalation_write(queued.model_copy(update={"version": 2}), 1)
    whole = deps.repo.get_bundle(case.ref)                        # the case's own item has both texts
    assert whole.case.description == case.description
    assert whole.escalations["61-caf"].question == escalation.question
