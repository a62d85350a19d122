"""The unit of work on DynamoDB (domain/ports.py): reads through the repository now, stages
writes, and commits them in one TransactWriteItems through the builders of dynamo/writes.py.
A failed condition is the repository's RaceLost; the staged writes are dropped either way.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from types import TracebackType

from ..domain.models import (
    Case,
    ContactPoint,
    Escalation,
    Event,
    Message,
    Notification,
    NotificationKind,
    QuarantinedEmail,
    ReferentGroup,
    User,
)
from . import keys
from .dynamo import CaseBundle, Repository
from .dynamo.items import from_item
from .dynamo.query import Query
from .dynamo.writes import (
    Check,
    Delete,
    Write,
    case_still_open,
    case_write,
    digest_sent_write,
    escalation_write,
    event_write,
    inbound_write,
    login_link_write,
    message_write,
    name_search_writes,
    notification_write,
    phone_case_write,
    quarantine_write,
    reply_token_write,
    retention_write,
    sender_notice_write,
    upload_write,
)


class _Staged:
    def __init__(self) -> None:
        self.writes: list[Write | Check | Delete] = []


class DynamoCases:
    def __init__(self, repo: Repository, staged: _Staged):
        self._repo, self._staged = repo, staged

    def get(self, ref: str) -> CaseBundle:
        return self._repo.get_bundle(ref)

    def save(self, case: Case, expected_version: int | None) -> None:
        self._staged.writes.append(case_write(case, expected_version))

    def create(self, case: Case) -> None:
        self._staged.writes.append(case_write(case, None))
        if case.usager is not None:
            if case.usager.phone:       # a usager without a phone has no phone entry
                self._staged.writes.append(phone_case_write(case.usager.phone, case.created_at, case.ref))
            self._staged.writes += name_search_writes(case)

    def require_open(self, ref: str) -> None:
        self._staged.writes.append(case_still_open(ref))

    def schedule_purge(self, case: Case) -> None:
        self._staged.writes.append(retention_write(case))


class DynamoEscalations:
    def __init__(self, staged: _Staged):
        self._staged = staged

    def save(self, escalation: Escalation, expected_version: int | None,
             next_action_at: datetime | None = None) -> None:
        self._staged.writes.append(escalation_write(escalation, expected_version, next_action_at))

    def issue_reply_token(self, escalation: Escalation) -> None:
        assert escalation.reply_token, "an escalation without a Reply-To token"
        self._staged.writes.append(reply_token_write(escalation.reply_token, escalation.case_ref,
                                                     escalation.group_id))


class DynamoEvents:
    def __init__(self, staged: _Staged):
        self._staged = staged

    def record(self, event: Event) -> None:
        self._staged.writes.append(event_write(event))


class DynamoOutbox:
    def __init__(self, repo: Repository, staged: _Staged):
        self._repo, self._staged = repo, staged

    def add(self, notification: Notification) -> None:
        self._staged.writes.append(notification_write(notification))

    def pending(self, ref: str) -> list[Notification]:
        items, _ = self._repo._query(Query(partition=keys.case_partition(ref), sk_prefix="OUT#",
                                           consistent=True))
        return [from_item(Notification, item) for item in items]

    def add_uncased(self, notification: Notification, expires_at: datetime) -> None:
        write = (login_link_write if notification.kind is NotificationKind.LOGIN_LINK
                 else sender_notice_write)
        self._staged.writes.append(write(notification, expires_at))


class DynamoMessages:
    def __init__(self, staged: _Staged):
        self._staged = staged

    def add(self, message: Message) -> None:
        self._staged.writes.append(message_write(message))

    def remove(self, message: Message) -> None:
        self._staged.writes.append(Delete(keys.message(message.case_ref, message.created_at, message.id)))


class DynamoQuarantine:
    def __init__(self, staged: _Staged):
        self._staged = staged

    def save(self, item: QuarantinedEmail, expected_version: int | None) -> None:
        self._staged.writes.append(quarantine_write(item, expected_version))


class DynamoMarks:
    def __init__(self, staged: _Staged):
        self._staged = staged

    def upload(self, upload_id: str, at: datetime, case_ref: str, message_id: str) -> None:
        self._staged.writes.append(upload_write(upload_id, at, case_ref, message_id))

    def inbound(self, digest: str, at: datetime, outcome: str, case_ref: str | None = None) -> None:
        self._staged.writes.append(inbound_write(digest, at, outcome, case_ref))

    def digest(self, agent_id: str, week: str, at: datetime, expires_at: datetime) -> None:
        self._staged.writes.append(digest_sent_write(agent_id, week, at, expires_at))

    def forget_digest(self, agent_id: str, week: str) -> None:
        self._staged.writes.append(Delete(keys.digest_sent(agent_id, week)))


class DynamoDirectory:
    def __init__(self, repo: Repository):
        self._repo = repo

    def point(self, point_id: str) -> ContactPoint | None:
        return self._repo.get_point(point_id)

    def groups(self, group_ids: Iterable[str]) -> dict[str, ReferentGroup]:
        return self._repo.get_groups(group_ids)

    def users(self, user_ids: Iterable[str]) -> dict[str, User]:
        return self._repo.get_users(user_ids)


class DynamoUnitOfWork:
    def __init__(self, repo: Repository):
        self._repo = repo
        self._staged = _Staged()
        self.cases = DynamoCases(repo, self._staged)
        self.escalations = DynamoEscalations(self._staged)
        self.events = DynamoEvents(self._staged)
        self.outbox = DynamoOutbox(repo, self._staged)
        self.messages = DynamoMessages(self._staged)
        self.quarantine = DynamoQuarantine(self._staged)
        self.marks = DynamoMarks(self._staged)
        self.directory = DynamoDirectory(repo)

    def commit(self) -> None:
        """Everything staged in one transaction (nothing staged: nothing sent)."""
        writes, self._staged.writes = self._staged.writes, []
        if writes:
            self._repo.transact(writes)

    def rollback(self) -> None:
        self._staged.writes = []

    def __enter__(self) -> DynamoUnitOfWork:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.rollback()
