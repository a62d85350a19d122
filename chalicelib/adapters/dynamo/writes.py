"""What a transaction writes: puts with their conditions, checks, deletes, and their builders."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ...domain.models import (
    Case,
    CaseStatus,
    Escalation,
    Event,
    Feedback,
    Message,
    Notification,
    QuarantinedEmail,
)
from .. import keys
from .items import QUESTION_PREVIEW, encode_key, plain_item, question_preview, to_item


@dataclass
class Write:
    """One item of a transaction, with the condition that keeps it safe under concurrency."""

    item: dict[str, Any]
    condition: str = "attribute_not_exists(PK)"
    values: dict[str, Any] = field(default_factory=dict)

    def as_transact_item(self, table: str) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": table, "Item": self.item,
                               "ConditionExpression": self.condition}
        if self.values:
            put["ExpressionAttributeValues"] = self.values
        return {"Put": put}


@dataclass
class Check:
    """A condition on an item that a transaction needs without writing it."""

    key: dict[str, str]
    condition: str
    names: dict[str, str]
    values: dict[str, Any]

    def as_transact_item(self, table: str) -> dict[str, Any]:
        return {"ConditionCheck": {
            "TableName": table, "Key": encode_key(self.key),
            "ConditionExpression": self.condition, "ExpressionAttributeNames": self.names,
            "ExpressionAttributeValues": self.values}}


@dataclass(frozen=True)
class Delete:
    """An item a transaction removes (no condition: removing a missing item is fine)."""

    key: dict[str, str]

    def as_transact_item(self, table: str) -> dict[str, Any]:
        return {"Delete": {"TableName": table, "Key": encode_key(self.key)}}


def case_still_open(ref: str) -> Check:
    """Lets a note land without contending for the case's version, but never on a closed case."""
    return Check(keys.case(ref), "#status <> :closed", {"#status": "status"},
                 {":closed": {"S": CaseStatus.CLOSED.value}})


def new_item(model: BaseModel, key: dict[str, str]) -> Write:
    return Write(to_item(model, key))


def versioned(model: Case | Escalation | Feedback | QuarantinedEmail, key: dict[str, str],
              previous_version: int | None, **extra: Any) -> Write:
    """Put a new version, only if the stored one is still the version it was computed from."""
    item = to_item(model, key, **extra)
    if previous_version is None:
        return Write(item)
    return Write(item, "version = :previous", {":previous": {"N": str(previous_version)}})


def case_write(case: Case, previous_version: int | None) -> Write:
    return versioned(case, keys.case(case.ref, case.point_id, case.status, case.created_at),
                     previous_version)


def escalation_write(escalation: Escalation, previous_version: int | None,
                     next_action_at: datetime | None = None) -> Write:
    """The escalation; with the time of its next ladder stage, it enters the sweep's index."""
    key = keys.escalation(escalation.case_ref, escalation.group_id, escalation.status,
                          escalation.due_at)
    if next_action_at is not None:
        key |= keys.due_index(escalation.case_ref, escalation.group_id, next_action_at)
    return versioned(escalation, key, previous_version,
                     **{QUESTION_PREVIEW: question_preview(escalation.question)})


def feedback_write(feedback: Feedback, previous_version: int | None) -> Write:
    return versioned(feedback, keys.feedback(feedback.territory_code, feedback.created_at, feedback.id,
                                             feedback.point_id), previous_version)


def message_write(message: Message) -> Write:
    return new_item(message, keys.message(message.case_ref, message.created_at, message.id))


def event_write(event: Event) -> Write:
    return new_item(event, keys.event(event.at, event.id, event.case_ref))


def notification_write(notification: Notification) -> Write:
    return new_item(notification, keys.notification(notification.case_ref, notification.id))


def phone_case_write(phone_e164: str, created_at: datetime, ref: str) -> Write:
    """Finds a usager's latest case from the number an SMS reply comes from."""
    return Write(plain_item(keys.phone_case(phone_e164, created_at, ref), "PhoneCase", case_ref=ref))


def name_search_writes(case: Case) -> list[Write]:
    """The search entries of a case: an agent finds it by the usager's name."""
    from ...domain.search import name_keys

    return [Write(plain_item(keys.name_search(case.point_id, key, case.ref), "NameSearch",
                             case_ref=case.ref))
            for key in name_keys(case.usager.first_name, case.usager.last_name)]


def retention_write(case: Case) -> Write:
    """The closed case's place in the retention sweep (services/retention.py)."""
    return Write(plain_item(keys.retention_due(case.closed_at, case.ref, case.version), "RetentionDue",
                            case_ref=case.ref))


def reply_token_write(token: str, case_ref: str, group_id: str) -> Write:
    """The Reply-To token of an escalation, found again when the referent answers."""
    return Write(plain_item(keys.reply_token(token), "ReplyToken", case_ref=case_ref,
                            group_id=group_id))


def inbound_write(digest: str, at: datetime, outcome: str, case_ref: str | None = None) -> Write:
    return Write(plain_item(keys.inbound(digest), "InboundEmail", at=at.isoformat(),
                            outcome=outcome, case_ref=case_ref))


def quarantine_write(item: QuarantinedEmail, previous_version: int | None) -> Write:
    return versioned(item, keys.quarantined(item.case_ref, item.id), previous_version)


def sender_notice_write(notification: Notification, expires_at: datetime) -> Write:
    """A Notification with no case (keys.sender_notice): the stream sends it like any other,
    and the item expires by TTL."""
    return Write(to_item(notification, keys.sender_notice(notification.created_at.date().isoformat(),
                                                           notification.id),
                         expires_at=int(expires_at.timestamp())))


def login_link_write(notification: Notification, expires_at: datetime) -> Write:
    """A login link to send (keys.login_link): the stream sends it, the item expires by TTL."""
    return Write(to_item(notification, keys.login_link(notification.id),
                         expires_at=int(expires_at.timestamp())),
                 "attribute_not_exists(PK)")


def digest_sent_write(agent_id: str, week: str, at: datetime, expires_at: datetime) -> Write:
    """The mark of an agent's weekly digest (keys.digest_sent), put before sending: a second
    run in the same week finds it; it expires by TTL once the week is long over."""
    return Write(plain_item(keys.digest_sent(agent_id, week), "DigestSent", at=at.isoformat(),
                            expires_at=int(expires_at.timestamp())))


def upload_write(upload_id: str, at: datetime, case_ref: str, message_id: str) -> Write:
    """Written with the upload's message: a second confirmation of the same upload is refused."""
    return Write(plain_item(keys.upload(upload_id), "Upload", at=at.isoformat(), case_ref=case_ref,
                            message_id=message_id))
