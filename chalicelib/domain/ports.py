"""What the use cases ask of storage, in the domain's words: a unit of work and its repositories.

Services type against these; the adapters implement them (adapters/unit_of_work.py on DynamoDB,
adapters/memory.py in memory), and tests/integration/test_unit_of_work_contract.py holds the two
to the same behaviour. Nothing here knows about items, keys or transactions.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol

from .models import (
    Case,
    ContactPoint,
    Escalation,
    Event,
    Message,
    Notification,
    QuarantinedEmail,
    ReferentGroup,
    User,
)


@dataclass(frozen=True)
class EscalationRef:
    """One escalation by its case and group: what a Reply-To token or the reminder sweep finds."""
    case_ref: str
    group_id: str


@dataclass(frozen=True)
class ExperienceRef:
    """A Services Publics+ experience: what its team's reply token or the reminder sweep finds."""
    experience_id: str


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

    def create(self, case: Case) -> None:
        """Stage a new case with the entries that find it again: by the usager's phone (an SMS
        reply) and name (an agent's search). A reference already taken: RaceLost at commit."""

    def require_open(self, ref: str) -> None:
        """Stage a condition: at commit the case must exist and not be closed (else RaceLost)."""

    def schedule_purge(self, case: Case) -> None:
        """Stage the closed case's place in the retention sweep (one per closing)."""


class Escalations(Protocol):
    def save(self, escalation: Escalation, expected_version: int | None,
             next_action_at: datetime | None = None) -> None:
        """Stage the escalation, under the same version rule as a case; next_action_at puts it
        in the reminder sweep."""

    def issue_reply_token(self, escalation: Escalation) -> None:
        """Stage the escalation's Reply-To token, by which the referent's emailed answer finds it."""


class Events(Protocol):
    def record(self, event: Event) -> None:
        """Stage an audit event; an event id already stored makes the commit fail."""


class Outbox(Protocol):
    def add(self, notification: Notification) -> None:
        """Stage a notification to send once the commit lands; its id is written at most once."""

    def pending(self, ref: str) -> list[Notification]:
        """The notifications stored with a case."""

    def add_uncased(self, notification: Notification, expires_at: datetime) -> None:
        """Stage a notification with no case (a login link, a notice to an unknown sender):
        sent like any other, forgotten at expires_at."""


class Messages(Protocol):
    def add(self, message: Message) -> None:
        """Stage a message of a case's thread; its id is written at most once."""

    def remove(self, message: Message) -> None:
        """Stage the removal of a message (retention)."""


class Quarantine(Protocol):
    def save(self, item: QuarantinedEmail, expected_version: int | None) -> None:
        """Stage a held email's record, under the version rule of a case."""


class Marks(Protocol):
    """What makes a delivery happen once: each mark is staged once, and a second one of the
    same name makes the commit fail (RaceLost)."""

    def upload(self, upload_id: str, at: datetime, case_ref: str, message_id: str) -> None:
        """An upload confirmed into a message."""

    def inbound(self, digest: str, at: datetime, outcome: str, case_ref: str | None = None) -> None:
        """An inbound email (by its digest) handled, with what became of it."""

    def digest(self, agent_id: str, week: str, at: datetime, expires_at: datetime) -> None:
        """An agent's weekly digest, marked before it is sent."""

    def forget_digest(self, agent_id: str, week: str) -> None:
        """The digest was not sent after all: the next run sends it."""


class Directory(Protocol):
    """The directory, read now: points, partner groups, users."""

    def point(self, point_id: str) -> ContactPoint | None: ...
    def groups(self, group_ids: Iterable[str]) -> dict[str, ReferentGroup]: ...
    def users(self, user_ids: Iterable[str]) -> dict[str, User]: ...


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
    @property
    def quarantine(self) -> Quarantine: ...
    @property
    def marks(self) -> Marks: ...
    @property
    def directory(self) -> Directory: ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None: ...
