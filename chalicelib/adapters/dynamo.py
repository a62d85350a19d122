"""The DynamoDB repository: the only module that speaks to the table.

It never scans: every read is a GetItem, a BatchGetItem or a Query on a key or an index.
ClientError codes are translated into domain errors here.
"""
from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

from ..domain.errors import InvalidInput, NotFound, RaceLost
from ..domain.models import (
    Case,
    CaseStatus,
    ContactPoint,
    Escalation,
    EscalationStatus,
    Event,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    Message,
    Notification,
    Organisation,
    QuarantinedEmail,
    ReferentGroup,
    Role,
    Territory,
    User,
)
from . import keys

M = TypeVar("M", bound=BaseModel)
KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "type",
                  "expires_at")
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class ReferenceTaken(RaceLost):
    """The random case reference already exists: draw another."""


def to_item(model: BaseModel, key: dict[str, str], **extra: Any) -> dict[str, Any]:
    # Empty maps and lists are left out: smaller items, and stream readers (botocore's
    # parser among them) do not all read an empty "M" back the same way.
    data = {name: value for name, value in model.model_dump(mode="json", exclude_none=True).items()
            if value not in ({}, [])}
    data.update(key)
    data["type"] = type(model).__name__
    data.update(extra)
    return {name: _serializer.serialize(value) for name, value in data.items()}


def from_item(model: type[M], item: dict[str, Any]) -> M:
    data = {name: _deserializer.deserialize(value) for name, value in item.items()
            if name not in KEY_ATTRIBUTES}
    return model.model_validate(data)


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    plain = {name: value["S"] for name, value in last_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode()


def decode_cursor(cursor: str | None, key_names: tuple[str, ...], partition: tuple[str, str],
                  sort_prefix: tuple[str, str] | None = None) -> dict[str, Any] | None:
    """The start key a cursor stands for, only if it is one this very query could have made."""
    if not cursor:
        return None
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if (not isinstance(plain, dict) or set(plain) != set(key_names)
                or not all(isinstance(v, str) and v for v in plain.values())
                or plain[partition[0]] != partition[1]
                or (sort_prefix and not plain[sort_prefix[0]].startswith(sort_prefix[1]))):
            raise ValueError
    except (ValueError, UnicodeError, RecursionError) as exc:
        raise InvalidInput("Ce curseur de pagination n'est pas valide.", field="cursor") from exc
    return {name: {"S": value} for name, value in plain.items()}


@dataclass
class Page:
    items: list
    cursor: str | None


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
            "TableName": table, "Key": {"PK": {"S": self.key["PK"]}, "SK": {"S": self.key["SK"]}},
            "ConditionExpression": self.condition, "ExpressionAttributeNames": self.names,
            "ExpressionAttributeValues": self.values}}


@dataclass(frozen=True)
class Delete:
    """An item a transaction removes (no condition: removing a missing item is fine)."""

    key: dict[str, str]

    def as_transact_item(self, table: str) -> dict[str, Any]:
        return {"Delete": {"TableName": table, "Key": _key(self.key)}}


def case_still_open(ref: str) -> Check:
    """Lets a note land without contending for the case's version, but never on a closed case."""
    return Check(keys.case(ref), "#status <> :closed", {"#status": "status"},
                 {":closed": {"S": CaseStatus.CLOSED.value}})


def new_item(model: BaseModel, key: dict[str, str]) -> Write:
    return Write(to_item(model, key))


def versioned(model: Case | Escalation | Feedback, key: dict[str, str],
              previous_version: int | None) -> Write:
    """Put a new version, only if the stored one is still the version it was computed from."""
    item = to_item(model, key)
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
    return versioned(escalation, key, previous_version)


def feedback_write(feedback: Feedback, previous_version: int | None) -> Write:
    return versioned(feedback, keys.feedback(feedback.territory_code, feedback.created_at, feedback.id,
                                             feedback.point_id), previous_version)


def message_write(message: Message) -> Write:
    return new_item(message, keys.message(message.case_ref, message.created_at, message.id))


def event_write(event: Event) -> Write:
    return new_item(event, keys.event(event.at, event.id, event.case_ref))


def notification_write(notification: Notification) -> Write:
    return new_item(notification, keys.notification(notification.case_ref, notification.id))


def _key(key: dict[str, str]) -> dict[str, Any]:
    return {name: {"S": value} for name, value in key.items()}


def _plain_item(key: dict[str, str], kind: str, **attributes: Any) -> dict[str, Any]:
    data = {**key, "type": kind, **{k: v for k, v in attributes.items() if v is not None}}
    return {name: _serializer.serialize(value) for name, value in data.items()}


def phone_case_write(phone_e164: str, created_at: datetime, ref: str) -> Write:
    """Finds a usager's latest case from the number an SMS reply comes from."""
    return Write(_plain_item(keys.phone_case(phone_e164, created_at, ref), "PhoneCase", case_ref=ref))


def name_search_writes(case: Case) -> list[Write]:
    """The search entries of a case: an agent finds it by the usager's name."""
    from ..domain.search import name_keys

    return [Write(_plain_item(keys.name_search(case.point_id, key, case.ref), "NameSearch",
                              case_ref=case.ref))
            for key in name_keys(case.usager.first_name, case.usager.last_name)]


def retention_write(case: Case) -> Write:
    """The closed case's place in the retention sweep (services/retention.py)."""
    return Write(_plain_item(keys.retention_due(case.closed_at, case.ref, case.version), "RetentionDue",
                             case_ref=case.ref))


def reply_token_write(token: str, case_ref: str, group_id: str) -> Write:
    """The Reply-To token of an escalation, found again when the referent answers."""
    return Write(_plain_item(keys.reply_token(token), "ReplyToken", case_ref=case_ref,
                             group_id=group_id))


def inbound_write(digest: str, at: datetime, outcome: str, case_ref: str | None = None) -> Write:
    return Write(_plain_item(keys.inbound(digest), "InboundEmail", at=at.isoformat(),
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
    return Write(_plain_item(keys.digest_sent(agent_id, week), "DigestSent", at=at.isoformat(),
                             expires_at=int(expires_at.timestamp())))


def upload_write(upload_id: str, at: datetime, case_ref: str, message_id: str) -> Write:
    """Written with the upload's message: a second confirmation of the same upload is refused."""
    return Write(_plain_item(keys.upload(upload_id), "Upload", at=at.isoformat(), case_ref=case_ref,
                             message_id=message_id))


@dataclass(frozen=True)
class ReplyTarget:
    case_ref: str
    group_id: str


DirectoryEntity = Territory | ContactPoint | Organisation | ReferentGroup | User


def entity_items(entity: DirectoryEntity) -> list[dict[str, Any]]:
    """The items that store a directory entity, with the keys that list it."""
    if isinstance(entity, Territory):
        return [to_item(entity, keys.territory(entity.code))]
    if isinstance(entity, ContactPoint):
        return [to_item(entity, keys.point(entity.id, entity.territory_code))]
    if isinstance(entity, Organisation):
        return [to_item(entity, keys.organisation(entity.id, listed=True))]
    if isinstance(entity, ReferentGroup):
        return [to_item(entity, keys.group(entity.id, entity.territory_code))]
    email_key = keys.email(entity.email)
    items = [to_item(entity, keys.user(entity.id)),
             {"PK": {"S": email_key["PK"]}, "SK": {"S": email_key["SK"]},
              "type": {"S": "EmailIndex"}, "user_id": {"S": entity.id}}]
    if entity.role is Role.COORDINATOR:
        items += [_plain_item(keys.coordinator(code, entity.id), "CoordinatorIndex", user_id=entity.id)
                  for code in entity.territory_codes]
    return items


@dataclass
class CaseBundle:
    case: Case
    escalations: dict[str, Escalation]
    messages: list[Message]
    events: list[Event]


class Repository:
    def __init__(self, client, table_name: str):
        self._client = client
        self.table = table_name

    # --- generic ----------------------------------------------------------------------

    def _get(self, key: dict[str, str], consistent: bool = False) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self.table, Key={"PK": {"S": key["PK"]}, "SK": {"S": key["SK"]}},
            ConsistentRead=consistent)
        return response.get("Item")

    def _query(self, *, partition: str, index: str | None = None, prefix: str | None = None,
               limit: int | None = None, cursor: str | None = None, forward: bool = True,
               consistent: bool = False, sort_from: str | None = None, sort_to: str | None = None,
               where: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], dict | None]:
        """sort_from / sort_to: bounds of the sort key, both included; where: attributes that
        must equal these strings (a filter: what it drops is still read)."""
        pk_name, sk_name = ("PK", "SK") if index is None else (f"{index}PK", f"{index}SK")
        condition = "#pk = :pk"
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": {"S": partition}}
        if prefix:
            condition += " AND begins_with(#sk, :prefix)"
            names["#sk"] = sk_name
            values[":prefix"] = {"S": prefix}
        elif sort_from or sort_to:
            names["#sk"] = sk_name
            values.update({name: {"S": bound} for name, bound in ((":from", sort_from), (":to", sort_to))
                           if bound})
            condition += (" AND #sk BETWEEN :from AND :to" if sort_from and sort_to
                          else " AND #sk >= :from" if sort_from else " AND #sk <= :to")
        request: dict[str, Any] = {
            "TableName": self.table, "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
            "ScanIndexForward": forward}
        if where:
            for number, (attribute, value) in enumerate(sorted(where.items())):
                names[f"#w{number}"] = attribute
                values[f":w{number}"] = {"S": value}
            request["FilterExpression"] = " AND ".join(f"#w{n} = :w{n}" for n in range(len(where)))
        if index:
            request["IndexName"] = index
        elif consistent:
            request["ConsistentRead"] = True
        if limit:
            request["Limit"] = limit
        key_names = ("PK", "SK") if index is None else ("PK", "SK", pk_name, sk_name)
        start = decode_cursor(cursor, key_names, (pk_name, partition),
                              (sk_name, prefix) if prefix else None)
        if start:
            request["ExclusiveStartKey"] = start
        items: list[dict[str, Any]] = []
        while True:
            try:
                response = self._client.query(**request)
            except self._client.exceptions.ClientError as exc:
                # A start key DynamoDB rejects can only come from a cursor the client altered.
                if start and exc.response["Error"]["Code"] == "ValidationException":
                    raise InvalidInput("Ce curseur de pagination n'est pas valide.", field="cursor") from exc
                raise
            items.extend(response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last or (limit and len(items) >= limit):
                return items, last
            request["ExclusiveStartKey"] = last
            if limit:
                request["Limit"] = limit - len(items)

    def transact(self, writes: Iterable[Write | Check]) -> None:
        """Write items together or not at all; a failed condition is a Conflict."""
        items = [write.as_transact_item(self.table) for write in writes]
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as exc:
            reasons = [reason.get("Code") for reason in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise RaceLost("Ce dossier vient d'être modifié par quelqu'un d'autre.") from exc
            raise

    def add_event(self, event: Event) -> None:
        write = event_write(event)
        self._client.put_item(TableName=self.table, Item=write.item,
                              ConditionExpression=write.condition)

    def put_many(self, items: list[dict[str, Any]]) -> None:
        """Batch-write items (directory import)."""
        self._batch([{"PutRequest": {"Item": item}} for item in items])

    def delete_many(self, key_list: list[dict[str, str]]) -> None:
        """Batch-delete items (retention)."""
        self._batch([{"DeleteRequest": {"Key": _key(key)}} for key in key_list])

    def _batch(self, all_requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem by 25, retrying what DynamoDB leaves unprocessed."""
        for start in range(0, len(all_requests), 25):
            requests = all_requests[start:start + 25]
            delay = 0.05
            while requests:
                response = self._client.batch_write_item(RequestItems={self.table: requests})
                requests = response.get("UnprocessedItems", {}).get(self.table, [])
                if requests:
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)

    def retention_due(self, day: str) -> list[tuple[str, dict[str, str]]]:
        """The cases that closed on a (UTC) day and wait for the retention sweep: (ref, key)."""
        items, _ = self._query(partition=f"PURGE#{day}")
        return [(i["case_ref"]["S"], {"PK": i["PK"]["S"], "SK": i["SK"]["S"]}) for i in items]

    def _get_many(self, key_list: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(key_list), 100):
            pending = [{"PK": {"S": k["PK"]}, "SK": {"S": k["SK"]}} for k in key_list[start:start + 100]]
            delay = 0.05
            while pending:
                response = self._client.batch_get_item(RequestItems={self.table: {"Keys": pending}})
                found.extend(response.get("Responses", {}).get(self.table, []))
                pending = response.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
                if pending:
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)
        return found

    # --- directory --------------------------------------------------------------------

    def get_point(self, point_id: str) -> ContactPoint | None:
        item = self._get(keys.point(point_id))
        return from_item(ContactPoint, item) if item else None

    def get_group(self, group_id: str) -> ReferentGroup | None:
        item = self._get(keys.group(group_id))
        return from_item(ReferentGroup, item) if item else None

    def get_groups(self, group_ids: Iterable[str]) -> dict[str, ReferentGroup]:
        found = self._get_many([keys.group(group_id) for group_id in set(group_ids)])
        groups = [from_item(ReferentGroup, item) for item in found]
        return {g.id: g for g in groups}

    def get_user(self, user_id: str) -> User | None:
        item = self._get(keys.user(user_id))
        return from_item(User, item) if item else None

    def get_users(self, user_ids: Iterable[str]) -> dict[str, User]:
        found = self._get_many([keys.user(user_id) for user_id in set(user_ids)])
        return {u.id: u for u in (from_item(User, item) for item in found)}

    def users_by_email(self, addresses: Iterable[str]) -> dict[str, User]:
        found = self._get_many([keys.email(a) for a in {a.strip().lower() for a in addresses}])
        users = self.get_users(item["user_id"]["S"] for item in found) if found else {}
        return {user.email: user for user in users.values()}

    def territory_coordinators(self, code: str) -> list[User]:
        items, _ = self._query(partition=f"COORD#{code}")
        users = self.get_users(item["user_id"]["S"] for item in items) if items else {}
        return list(users.values())

    def get_user_by_email(self, address: str) -> User | None:
        return self.users_by_email([address]).get(address.strip().lower())

    def put_directory(self, entities: Iterable[DirectoryEntity]) -> None:
        self.put_many([item for entity in entities for item in entity_items(entity)])

    def list_territories(self) -> list[Territory]:
        items, _ = self._query(partition="TERRITORIES", index=keys.GSI1)
        return [from_item(Territory, item) for item in items]

    def list_organisations(self) -> list[Organisation]:
        items, _ = self._query(partition="ORGS", index=keys.GSI1)
        return [from_item(Organisation, item) for item in items]

    def territory_directory(self, code: str) -> tuple[list[ContactPoint], list[ReferentGroup]]:
        items, _ = self._query(partition=f"TERR#{code}", index=keys.GSI1)
        points = [from_item(ContactPoint, i) for i in items if i["type"]["S"] == "ContactPoint"]
        groups = [from_item(ReferentGroup, i) for i in items if i["type"]["S"] == "ReferentGroup"]
        return points, groups

    # --- authentication ---------------------------------------------------------------

    def put_secret(self, kind: str, digest: str, user_id: str, expires_at: datetime) -> None:
        """Store a login token or session under the hash of its secret, with a TTL."""
        key = keys.secret(kind, digest)
        self._client.put_item(TableName=self.table, Item={
            "PK": {"S": key["PK"]}, "SK": {"S": key["SK"]}, "user_id": {"S": user_id},
            "expires_at": {"N": str(int(expires_at.timestamp()))}},
            ConditionExpression="attribute_not_exists(PK)")

    def take_secret(self, kind: str, digest: str, now: datetime) -> str | None:
        """Delete a single-use secret and return its user, if it existed and had not expired."""
        key = keys.secret(kind, digest)
        try:
            response = self._client.delete_item(
                TableName=self.table, Key={"PK": {"S": key["PK"]}, "SK": {"S": key["SK"]}},
                ConditionExpression="attribute_exists(PK) AND expires_at > :now",
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
                ReturnValues="ALL_OLD")
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return response["Attributes"]["user_id"]["S"]

    def count_login_request(self, user_id: str, window: str, expires_at: datetime) -> int:
        """Count one more login link asked for in this time window; returns the new count."""
        key = keys.login_requests(user_id, window)
        response = self._client.update_item(
            TableName=self.table, Key={"PK": {"S": key["PK"]}, "SK": {"S": key["SK"]}},
            UpdateExpression="ADD requests :one SET expires_at = :expires",
            ExpressionAttributeValues={":one": {"N": "1"},
                                       ":expires": {"N": str(int(expires_at.timestamp()))}},
            ReturnValues="UPDATED_NEW")
        return int(response["Attributes"]["requests"]["N"])

    def read_secret(self, kind: str, digest: str, now: datetime) -> str | None:
        item = self._get(keys.secret(kind, digest))
        if not item or int(item["expires_at"]["N"]) <= int(now.timestamp()):
            return None
        return item["user_id"]["S"]

    def delete_secret(self, kind: str, digest: str) -> None:
        key = keys.secret(kind, digest)
        self._client.delete_item(TableName=self.table,
                                 Key={"PK": {"S": key["PK"]}, "SK": {"S": key["SK"]}})

    # --- cases ------------------------------------------------------------------------

    def create_case(self, case: Case, event: Event, extra: Iterable[Write] = ()) -> None:
        try:
            self.transact([case_write(case, None), event_write(event), *extra])
        except RaceLost as exc:
            raise ReferenceTaken(str(exc)) from exc

    def get_case(self, ref: str) -> Case:
        item = self._get(keys.case(ref), consistent=True)
        if not item:
            raise NotFound("Ce dossier est introuvable.")
        return from_item(Case, item)

    def get_bundle(self, ref: str) -> CaseBundle:
        """The case, its escalations, messages and events: one strongly consistent Query."""
        items, _ = self._query(partition=keys.case_partition(ref), consistent=True)
        by_type: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            by_type.setdefault(item["type"]["S"], []).append(item)
        if "Case" not in by_type:
            raise NotFound("Ce dossier est introuvable.")
        escalations = [from_item(Escalation, i) for i in by_type.get("Escalation", [])]
        return CaseBundle(
            case=from_item(Case, by_type["Case"][0]),
            escalations={e.group_id: e for e in escalations},
            messages=[from_item(Message, i) for i in by_type.get("Message", [])],
            events=[from_item(Event, i) for i in by_type.get("Event", [])])

    def list_point_cases(self, point_id: str, status: CaseStatus | None, limit: int,
                         cursor: str | None) -> Page:
        items, last = self._query(partition=f"POINT#{point_id}", index=keys.GSI1,
                                  prefix=keys.status_prefix(status), limit=limit,
                                  cursor=cursor, forward=False)
        return Page([from_item(Case, i) for i in items[:limit]], encode_cursor(last))

    def list_group_escalations(self, group_id: str, status: EscalationStatus | None, limit: int,
                               cursor: str | None) -> Page:
        items, last = self._query(partition=f"GROUP#{group_id}", index=keys.GSI2,
                                  prefix=keys.status_prefix(status), limit=limit,
                                  cursor=cursor)
        return Page([from_item(Escalation, i) for i in items[:limit]], encode_cursor(last))

    # --- email plumbing ---------------------------------------------------------------

    def get_reply_target(self, token: str) -> ReplyTarget | None:
        item = self._get(keys.reply_token(token))
        return ReplyTarget(item["case_ref"]["S"], item["group_id"]["S"]) if item else None

    def put_sent_mail(self, ses_message_id: str, case_ref: str, group_id: str | None,
                      notification_id: str, expires_at: datetime) -> None:
        """What an email we sent was about: threads a reply, and maps a bounce to its case."""
        self._client.put_item(TableName=self.table, Item=_plain_item(
            keys.sent_mail(ses_message_id), "SentMail", case_ref=case_ref, group_id=group_id,
            notification_id=notification_id, expires_at=int(expires_at.timestamp())))

    def get_sent_mails(self, ses_message_ids: Iterable[str]) -> dict[str, ReplyTarget]:
        found = self._get_many([keys.sent_mail(i) for i in set(ses_message_ids)])
        return {item["PK"]["S"].removeprefix("MAIL#"): ReplyTarget(
                    item["case_ref"]["S"], item["group_id"]["S"] if "group_id" in item else "")
                for item in found}

    def undeliverable(self, addresses: Iterable[str]) -> set[str]:
        """The addresses among these that bounced for good or complained."""
        found = self._get_many([keys.address(a) for a in {a.strip().lower() for a in addresses}])
        return {item["PK"]["S"].removeprefix("ADDRESS#") for item in found}

    def mark_undeliverable(self, address: str, reason: str, at: datetime) -> None:
        self._client.put_item(TableName=self.table, Item=_plain_item(
            keys.address(address), "UndeliverableAddress", reason=reason, at=at.isoformat()))

    def inbound_seen(self, digest: str) -> bool:
        return self._get(keys.inbound(digest), consistent=True) is not None

    def list_quarantined(self, ref: str) -> list[QuarantinedEmail]:
        """The case's quarantined inbound emails, oldest first (ids are digests: sorted by date here)."""
        items, _ = self._query(partition=keys.case_partition(ref), prefix="QUAR#", consistent=True)
        return sorted((from_item(QuarantinedEmail, i) for i in items), key=lambda q: q.received_at)

    def get_quarantined(self, ref: str, quarantine_id: str) -> QuarantinedEmail | None:
        item = self._get(keys.quarantined(ref, quarantine_id), consistent=True)
        return from_item(QuarantinedEmail, item) if item else None

    def put_new(self, write: Write) -> bool:
        """Put an item unless it exists (an inbound email that changes no case, a notice about
        one); False if it was already there."""
        try:
            self._client.put_item(TableName=self.table, Item=write.item,
                                  ConditionExpression=write.condition)
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # --- the reminder sweep -----------------------------------------------------------

    def job_cursor(self, job: str) -> str | None:
        """The job's cursor (for the reminder sweep, the oldest UTC day still to read)."""
        item = self._get(keys.job_cursor(job), consistent=True)
        return item["position"]["S"] if item else None

    def advance_job_cursor(self, job: str, position: str) -> bool:
        """Move the cursor forward to `position` (compared as strings: ISO days); never back,
        as an overlapping run may have moved it further. False if it was already there."""
        try:
            self._client.update_item(
                TableName=self.table, Key=_key(keys.job_cursor(job)),
                UpdateExpression="SET #position = :position, #type = :kind",
                ConditionExpression="attribute_not_exists(#position) OR #position < :position",
                ExpressionAttributeNames={"#position": "position", "#type": "type"},
                ExpressionAttributeValues={":position": {"S": position}, ":kind": {"S": "JobCursor"}})
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def due_escalations(self, day: str, shard: int, now: datetime) -> list[ReplyTarget]:
        """Escalations of one day and shard whose next ladder stage is due by now."""
        request: dict[str, Any] = {
            "TableName": self.table, "IndexName": keys.GSI3,
            "KeyConditionExpression": "GSI3PK = :pk AND GSI3SK <= :upper",
            "ExpressionAttributeValues": {":pk": {"S": keys.due_partition(day, shard)},
                                          ":upper": {"S": f"{keys.iso(now)}#~"}}}
        found: list[ReplyTarget] = []
        while True:
            response = self._client.query(**request)
            found += [ReplyTarget(item["PK"]["S"].removeprefix("CASE#"), item["SK"]["S"].removeprefix("ESC#"))
                      for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return found
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def search_point_cases(self, point_id: str, prefix: str, limit: int) -> list[str]:
        """References of a point's cases whose usager's name starts with prefix (folded)."""
        items, _ = self._query(partition=f"NAME#{point_id}", prefix=prefix, limit=limit)
        return [item["case_ref"]["S"] for item in items]

    def get_cases(self, refs: Iterable[str]) -> list[Case]:
        items = self._get_many([keys.case(ref) for ref in dict.fromkeys(refs)])
        return [from_item(Case, item) for item in items]

    # --- published results --------------------------------------------------------------

    def all_point_cases(self, point_id: str) -> Iterable[Case]:
        items, _ = self._query(partition=f"POINT#{point_id}", index=keys.GSI1, prefix=None)
        return [from_item(Case, item) for item in items if item.get("type", {}).get("S") == "Case"]

    def all_group_escalations(self, group_id: str) -> Iterable[Escalation]:
        items, _ = self._query(partition=f"GROUP#{group_id}", index=keys.GSI2, prefix=None)
        return [from_item(Escalation, item) for item in items
                if item.get("type", {}).get("S") == "Escalation"]

    def apply_results(self, *, source: tuple[str, str], version: int,
                      cells: dict[tuple[str, str, str], dict[str, int]], guard_expires_at: datetime) -> bool:
        """Add these amounts to the cells, unless this version of the source was already added.
        False when it was (a replayed stream record)."""
        guard = {"Update": {
            "TableName": self.table, "Key": _key(keys.results_guard(*source)),
            "UpdateExpression": "SET #v = :v, #t = :t, #type = :kind",
            "ConditionExpression": "attribute_not_exists(#v) OR #v < :v",
            "ExpressionAttributeNames": {"#v": "applied_version", "#t": "expires_at", "#type": "type"},
            "ExpressionAttributeValues": {":v": {"N": str(version)},
                                          ":t": {"N": str(int(guard_expires_at.timestamp()))},
                                          ":kind": {"S": "ResultsGuard"}}}}
        updates = []
        for (period, kind, scope_id), counters in sorted(cells.items()):
            names = {f"#c{i}": name for i, name in enumerate(sorted(counters))}
            values = {f":c{i}": {"N": str(counters[name])} for i, name in enumerate(sorted(counters))}
            updates.append({"Update": {
                "TableName": self.table, "Key": _key(keys.results_cell(period, kind, scope_id)),
                "UpdateExpression": "SET #type = :kind ADD " + ", ".join(f"{n} :{n[1:]}" for n in names),
                "ExpressionAttributeNames": {**names, "#type": "type"},
                "ExpressionAttributeValues": {**values, ":kind": {"S": "ResultsCell"}}}})
        # A case or an escalation touches at most 3 moments x 5 scopes x 2 periods = 30 cells.
        if len(updates) > 99:
            raise ValueError(f"a results change of {len(updates)} cells exceeds one transaction")
        try:
            self._client.transact_write_items(TransactItems=[guard, *updates])
        except self._client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            raise
        return True

    def replace_results(self, cells: dict[tuple[str, str, str], dict[str, int]],
                        stale: Iterable[tuple[str, str, str]] = ()) -> None:
        """Put these cells whole, and delete the stale ones (the weekly repair)."""
        self.put_many([_plain_item(keys.results_cell(*cell), "ResultsCell", **counters)
                       for cell, counters in cells.items()])
        self.delete_many([keys.results_cell(*cell) for cell in stale])

    def read_results(self, period: str, kind: str | None = None) -> dict[tuple[str, str, str], dict[str, int]]:
        items, _ = self._query(partition=f"RESULTS#{period}", prefix=f"{kind}#" if kind else None)
        cells = {}
        for item in items:
            scope_kind, _, scope_id = item["SK"]["S"].partition("#")
            counters = {name: int(value["N"]) for name, value in item.items()
                        if "N" in value and int(value["N"]) != 0}      # a counter taken back to zero
            if counters:                                                 # a cell taken back to nothing
                cells[(period, scope_kind, scope_id)] = counters
        return cells

    # --- SMS --------------------------------------------------------------------------

    def cases_of_phone(self, phone_e164: str) -> list[str]:
        """Every case opened with this number, oldest first (the usager's right of access)."""
        items, _ = self._query(partition=f"PHONE#{phone_e164}")
        return [i["case_ref"]["S"] for i in items]

    def latest_case_for_phone(self, phone_e164: str) -> str | None:
        response = self._client.query(
            TableName=self.table, KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"PHONE#{phone_e164}"}},
            ScanIndexForward=False, Limit=1)
        items = response.get("Items", [])
        return items[0]["case_ref"]["S"] if items else None

    def is_opted_out(self, phone_e164: str) -> bool:
        return self._get(keys.opt_out(phone_e164), consistent=True) is not None

    def opt_out_origin(self, phone_e164: str) -> str | None:
        """The inbound SMS that opted the number out ('' if unknown), or None if it never did."""
        item = self._get(keys.opt_out(phone_e164), consistent=True)
        return None if item is None else item.get("inbound", {}).get("S", "")

    def opt_out(self, phone_e164: str, at: datetime, inbound_id: str = "") -> bool:
        """Opt the number out; False if it already was (the first opt-out is kept)."""
        try:
            self._client.put_item(
                TableName=self.table, ConditionExpression="attribute_not_exists(PK)",
                Item=_plain_item(keys.opt_out(phone_e164), "OptOut", at=at.isoformat(), inbound=inbound_id))
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def put_sms_receipt(self, message_id: str, case_ref: str, template: str, status: str,
                        at: datetime, expires_at: datetime) -> None:
        self._client.put_item(TableName=self.table, Item=_plain_item(
            keys.sms_receipt(message_id), "SmsReceipt", case_ref=case_ref, template=template,
            status=status, at=at.isoformat(), expires_at=int(expires_at.timestamp())))

    # --- agents' feedback -------------------------------------------------------------

    def create_feedback(self, feedback: Feedback, event: Event) -> None:
        self.transact([feedback_write(feedback, None), event_write(event)])

    def get_feedback(self, territory_code: str, created_at: datetime, feedback_id: str) -> Feedback:
        from ..domain.authz import FEEDBACK_NOT_FOUND

        item = self._get(keys.feedback(territory_code, created_at, feedback_id), consistent=True)
        if not item:
            raise NotFound(FEEDBACK_NOT_FOUND)
        return from_item(Feedback, item)

    def update_feedback(self, feedback: Feedback, previous_version: int, event: Event) -> None:
        try:
            self.transact([feedback_write(feedback, previous_version), event_write(event)])
        except RaceLost as exc:
            raise RaceLost("Cette remontée vient d'être modifiée par quelqu'un d'autre.") from exc

    def list_point_feedback(self, point_id: str, limit: int, cursor: str | None) -> Page:
        """A point's feedback, newest first."""
        items, last = self._query(partition=keys.point_feedback_partition(point_id), index=keys.GSI1,
                                  limit=limit, cursor=cursor, forward=False)
        return Page([from_item(Feedback, i) for i in items[:limit]], encode_cursor(last))

    def list_territory_feedback(self, territory_code: str, start: datetime | None = None,
                                end: datetime | None = None, *, status: FeedbackStatus | None = None,
                                kind: FeedbackKind | None = None, limit: int | None = None,
                                cursor: str | None = None, newest_first: bool = True) -> Page:
        """A territory's feedback created in [start, end): one Query on the sort key's range;
        status and kind filter what it reads. Without a limit, every page is read."""
        # "<ts>#<id>" sorts after "<ts>" itself: the upper bound "<end ts>" leaves out `end`.
        where = {name: value.value for name, value in (("status", status), ("kind", kind)) if value}
        items, last = self._query(partition=keys.feedback_partition(territory_code),
                                  sort_from=keys.iso(start) if start else None,
                                  sort_to=keys.iso(end) if end else None, where=where or None,
                                  limit=limit, cursor=cursor, forward=not newest_first)
        return Page([from_item(Feedback, i) for i in (items[:limit] if limit else items)],
                    encode_cursor(last if limit else None))
