"""The audit log's vocabulary: every code the product writes is an EventCode member, and the
stored strings do not change."""
from __future__ import annotations

import ast
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from chalicelib.domain import ladder, workflow
from chalicelib.domain.events import Actor, EventCode
from chalicelib.domain.models import Event, Notification, NotificationKind
from chalicelib.services.common import event

pytestmark = pytest.mark.instant("2026-12-02T10:00:00+01:00")
CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"
NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)


def test_the_codes_and_actors_are_unique_and_spelled_as_stored():
    assert len({c.value for c in EventCode}) == len(EventCode)
    assert all(c.value == c.name for c in EventCode)          # the stored string is the name
    assert len({a.value for a in Actor}) == len(Actor)
    # The strings already in the table (and in the tests that read them) stay as they were.
    assert EventCode.SMS_RECEIVED == "SMS_RECEIVED" and EventCode.LADDER_BREACH_PASSED == "LADDER_BREACH_PASSED"
    assert Actor.REMINDERS == "system-reminders" and Actor.USAGER == "usager"
    assert Actor.SES_EVENTS == "system-ses-events" and Actor.INBOUND_EMAIL == "system-inbound-email"
    assert Actor.RETENTION == "system-retention" and Actor.SMS == "system-sms"


def test_an_event_refuses_a_code_that_is_not_a_member():
    with pytest.raises(TypeError):
        event("CASE_CREATED", "u-1", NOW)                     # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Event(id="e", code="CASE_INVENTED", actor_id="u-1", at=NOW)
    written = event(EventCode.CASE_CREATED, Actor.RETENTION, NOW, "61-AAA-AAA")
    assert written.code is EventCode.CASE_CREATED and written.actor_id == "system-retention"
    # Read back from a stored item: the string becomes the member again.
    assert Event.model_validate(written.model_dump(mode="json")).code is EventCode.CASE_CREATED


def test_the_codes_that_depend_on_a_value_come_from_explicit_tables():
    for stage in ladder.NAMES:
        assert EventCode.ladder(stage) == f"LADDER_{stage.upper()}"
        assert EventCode.ladder(stage, passed=True) == f"LADDER_{stage.upper()}_PASSED"
    for status in workflow.REFERENT_KINDS.values():
        assert EventCode.escalation(status) == f"ESCALATION_{status.value.upper()}"
    assert EventCode.sms_reply("message") is EventCode.SMS_RECEIVED
    for outcome in ("opted_out", "satisfaction", "consent"):
        assert EventCode.sms_reply(outcome) == f"SMS_{outcome.upper()}"
    with pytest.raises(KeyError):
        EventCode.ladder("invented")


def _code_arguments():
    """The first argument of every event(...) and the third of every audit_access(...) in the
    product's code."""
    for path in CHALICELIB.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id == "event" and node.args:
                yield path, node.args[0]
            elif node.func.id == "audit_access" and len(node.args) >= 3:
                yield path, node.args[2]


def test_no_code_is_written_as_a_string():
    found = list(_code_arguments())
    assert len(found) >= 25                                  # the scan does see the product's events
    literals = [f"{path.relative_to(CHALICELIB)}:{arg.lineno}" for path, arg in found
                if isinstance(arg, ast.Constant | ast.JoinedStr | ast.BinOp)]
    assert literals == []


def test_no_system_actor_is_spelled_outside_the_enum():
    spelled = [str(path.relative_to(CHALICELIB)) for path in CHALICELIB.rglob("*.py")
               if path.name != "events.py" and ('"system-' in path.read_text()
                                                or "SYSTEM_ACTOR" in path.read_text())]
    assert spelled == []


def test_digests_and_reports_name_their_own_subject_not_a_case():
    digest = Notification(id="digest-2026-W49", kind=NotificationKind.DIGEST, agent_id="u-7", created_at=NOW)
    report = Notification(id="report-2026-T3", kind=NotificationKind.REPORT, territory_code="61",
                          created_at=NOW)
    assert digest.case_ref == "" and report.case_ref == ""
    # The idempotency key of a digest or report is what it was when case_ref carried these
    # strings: one already sent is not sent again after the change.
    assert digest.about == "agent-u-7" and report.about == "territory-61"
    assert hashlib.sha256(f"{digest.id}|{digest.about}|a@example.org".encode()).hexdigest() == \
        hashlib.sha256(b"digest-2026-W49|agent-u-7|a@example.org").hexdigest()
    escalation = Notification(id="esc-1", case_ref="61-AAA-AAA", kind=NotificationKind.ESCALATION,
                              created_at=NOW)
    assert escalation.about == "61-AAA-AAA"
    with pytest.raises(ValidationError):
        Notification(id="digest-x", kind=NotificationKind.DIGEST, created_at=NOW)
    with pytest.raises(ValidationError):
        Notification(id="digest-x", case_ref="agent-u-7", kind=NotificationKind.DIGEST, agent_id="u-7",
                     created_at=NOW)
    with pytest.raises(ValidationError):
        Notification(id="report-x", kind=NotificationKind.REPORT, created_at=NOW)
