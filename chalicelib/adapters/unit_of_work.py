"""The unit of work on DynamoDB (domain/ports.py): reads through the repository now, stages
writes, and commits them in one TransactWriteItems through the builders of dynamo/writes.py.
A failed condition is the repository's RaceLost; the staged writes are dropped either way.
"""
from __future__ import annotations

from datetime import datetime
from types import TracebackType

from ..domain.models import Case, Escalation, Event, Message, Notification
from . import keys
from .dynamo import CaseBundle, Repository
from .dynamo.items import from_item
from .dynamo.query import Query
from .dynamo.writes import (
    Check,
    Write,
    case_still_open,
    case_write,
    escalation_write,
    event_write,
    message_write,
    notification_write,
)


class _Staged:
    def __init__(self) -> None:
        self.writes: list[Write | Check] = []


class DynamoCases:
    def __init__(self, repo: Repository, staged: _Staged):
        self._repo, self._staged = repo, staged

    def get(self, ref: str) -> CaseBundle:
        return self._repo.get_bundle(ref)

    def save(self, case: Case, expected_version: int | None) -> None:
        self._staged.writes.append(case_write(case, expected_version))

    def require_open(self, ref: str) -> None:
        self._staged.writes.append(case_still_open(ref))


class DynamoEscalations:
    def __init__(self, staged: _Staged):
        self._staged = staged

    def save(self, escalation: Escalation, expected_version: int | None,
             next_action_at: datetime | None = None) -> None:
        self._staged.writes.append(escalation_write(escalation, expected_version, next_action_at))


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


class DynamoMessages:
    def __init__(self, staged: _Staged):
        self._staged = staged

    def add(self, message: Message) -> None:
        self._staged.writes.append(message_write(message))


class DynamoUnitOfWork:
    def __init__(self, repo: Repository):
        self._repo = repo
        self._staged = _Staged()
        self.cases = DynamoCases(repo, self._staged)
        self.escalations = DynamoEscalations(self._staged)
        self.events = DynamoEvents(self._staged)
        self.outbox = DynamoOutbox(repo, self._staged)
        self.messages = DynamoMessages(self._staged)

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
