"""What the use cases ask of storage, in the domain's words: a unit of work and its repositories.

Services type against these; the adapters implement them (adapters/unit_of_work.py on DynamoDB,
adapters/memory.py in memory), and tests/integration/test_unit_of_work_contract.py holds the two
to the same behaviour. Nothing here knows about items, keys or transactions.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol

from .models import Case, Escalation, Event, Message, Notification


class CaseRecord(Protocol):
    """A case as read in one go: the case, its escalations by group, its messages and events."""

    @property
    def case(self) -> Case: ...
    @property
    def escalations(self) -> Mapping[str, Escalation]: ...
    @property
    def messages(self) -> Sequence[Message]: ...
    @property
    def events(self) -> Sequence[Event]: ...


class Cases(Protocol):
    def get(self, ref: str) -> CaseRecord:
        """The case and its thread, read now (NotFound if there is none)."""

    def save(self, case: Case, expected_version: int | None) -> None:
        """Stage the case; at commit the stored version must still be expected_version (None:
        there must be no such case yet), or the commit raises RaceLost."""

    def require_open(self, ref: str) -> None:
        """Stage a condition: at commit the case must exist and not be closed (else RaceLost)."""


class Escalations(Protocol):
    def save(self, escalation: Escalation, expected_version: int | None,
             next_action_at: datetime | None = None) -> None:
        """Stage the escalation, under the same version rule as a case; next_action_at puts it
        in the reminder sweep."""


class Events(Protocol):
    def record(self, event: Event) -> None:
        """Stage an audit event; an event id already stored makes the commit fail."""


class Outbox(Protocol):
    def add(self, notification: Notification) -> None:
        """Stage a notification to send once the commit lands; its id is written at most once."""

    def pending(self, ref: str) -> list[Notification]:
        """The notifications stored with a case."""


class Messages(Protocol):
    def add(self, message: Message) -> None:
        """Stage a message of a case's thread; its id is written at most once."""


class UnitOfWork(Protocol):
    """Reads now; stages writes; commit() stores all that is staged together or nothing (a
    failed condition: RaceLost). Leaving the `with` block without commit discards what is staged."""

    @property
    def cases(self) -> Cases: ...
    @property
    def escalations(self) -> Escalations: ...
    @property
    def events(self) -> Events: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def messages(self) -> Messages: ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None: ...
