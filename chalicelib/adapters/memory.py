"""The unit of work in memory (domain/ports.py), for tests that do not test DynamoDB itself.

It keeps DynamoDB's rules: a version condition on every case and escalation, each event,
message and notification id written once, require_open on the stored status, and a commit
that stores everything or nothing. tests/integration/test_unit_of_work_contract.py holds it
to the DynamoDB unit of work.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any

from ..domain.errors import NotFound, RaceLost
from ..domain.models import (
    Case,
    CaseStatus,
    ContactPoint,
    Escalation,
    Event,
    Message,
    Notification,
    QuarantinedEmail,
    ReferentGroup,
    User,
)

RACE_LOST = "Ce dossier vient d'être modifié par quelqu'un d'autre."


@dataclass
class MemoryBundle:
    case: Case
    escalations: dict[str, Escalation]
    messages: list[Message]
    events: list[Event]


@dataclass
class MemoryStore:
    """What is stored; several units of work may share one, as requests share the table."""

    cases: dict[str, Case] = field(default_factory=dict)
    escalations: dict[tuple[str, str], Escalation] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    notifications: dict[tuple[str, str], Notification] = field(default_factory=dict)
    quarantined: dict[tuple[str, str], QuarantinedEmail] = field(default_factory=dict)
    # The reminder sweep's schedule: when each escalation's next ladder stage is due (none: out of it).
    next_actions: dict[tuple[str, str], datetime] = field(default_factory=dict)
    # What finds a case again or makes something happen once, by (kind, name): the phone and
    # name entries, Reply-To tokens, retention entries, uploads, inbound emails, uncased notices.
    entries: dict[tuple[str, ...], Any] = field(default_factory=dict)
    points: dict[str, ContactPoint] = field(default_factory=dict)
    groups: dict[str, ReferentGroup] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


# A staged write: the condition checked against the store, then the change applied to it.
@dataclass(frozen=True)
class _Staged:
    holds: Callable[[MemoryStore], bool]
    apply: Callable[[MemoryStore], None]


def _versioned(stored_version: int | None, expected_version: int | None) -> bool:
    return stored_version is None if expected_version is None else stored_version == expected_version


def _save_versioned(staged: list[_Staged], table: Callable[[MemoryStore], dict], key: object,
                    model: Case | Escalation | QuarantinedEmail, expected_version: int | None) -> None:
    """Stage a versioned model: at commit, the stored version must be expected_version (None: absent)."""
    model = model.model_copy(deep=True)

    def holds(store: MemoryStore) -> bool:
        stored = table(store).get(key)
        return _versioned(stored.version if stored else None, expected_version)

    staged.append(_Staged(holds, lambda store: table(store).__setitem__(key, model)))


class MemoryCases:
    def __init__(self, store: MemoryStore, staged: list[_Staged]):
        self._store, self._staged = store, staged

    def get(self, ref: str) -> MemoryBundle:
        store = self._store
        if ref not in store.cases:
            raise NotFound("Ce dossier est introuvable.")
        escalations = sorted((e for (r, _), e in store.escalations.items() if r == ref),
                             key=lambda e: e.group_id)
        return MemoryBundle(
            case=store.cases[ref].model_copy(deep=True),
            escalations={e.group_id: e.model_copy(deep=True) for e in escalations},
            messages=sorted((m.model_copy(deep=True) for m in store.messages.values() if m.case_ref == ref),
                            key=lambda m: (m.created_at, m.id)),
            events=sorted((e.model_copy(deep=True) for e in store.events.values() if e.case_ref == ref),
                          key=lambda e: (e.at, e.id)))

    def save(self, case: Case, expected_version: int | None) -> None:
        _save_versioned(self._staged, lambda store: store.cases, case.ref, case, expected_version)

    def create(self, case: Case) -> None:
        from ..domain.search import name_keys

        self.save(case, None)
        if case.usager is not None:
            if case.usager.phone:       # a usager without a phone has no phone entry
                _entry(self._staged, ("phone", case.usager.phone, case.created_at.isoformat(), case.ref),
                       case.ref)
            for key in name_keys(case.usager.first_name, case.usager.last_name):
                _entry(self._staged, ("name", case.point_id, key, case.ref), case.ref)

    def schedule_purge(self, case: Case) -> None:
        assert case.closed_at is not None
        _entry(self._staged, ("purge", case.closed_at.isoformat(), case.ref, str(case.version)), case.ref)

    def require_open(self, ref: str) -> None:
        def holds(store: MemoryStore) -> bool:
            stored = store.cases.get(ref)
            return stored is not None and stored.status is not CaseStatus.CLOSED

        self._staged.append(_Staged(holds, lambda store: None))


class MemoryEscalations:
    def __init__(self, staged: list[_Staged]):
        self._staged = staged

    def save(self, escalation: Escalation, expected_version: int | None,
             next_action_at: datetime | None = None) -> None:
        key = (escalation.case_ref, escalation.group_id)
        _save_versioned(self._staged, lambda store: store.escalations, key, escalation, expected_version)

        def schedule(store: MemoryStore) -> None:
            if next_action_at is None:
                store.next_actions.pop(key, None)
            else:
                store.next_actions[key] = next_action_at

        self._staged.append(_Staged(lambda store: True, schedule))

    def issue_reply_token(self, escalation: Escalation) -> None:
        assert escalation.reply_token, "an escalation without a Reply-To token"
        _entry(self._staged, ("reply-token", escalation.reply_token), (escalation.case_ref, escalation.group_id))


def _entry(staged: list[_Staged], key: tuple[str, ...], value: object) -> None:
    _once(staged, lambda store: store.entries, key, value)


def _once(staged: list[_Staged], table: Callable[[MemoryStore], dict], key: object, value: object) -> None:
    """A new item: refused if its key is already stored (attribute_not_exists(PK))."""
    staged.append(_Staged(lambda store: key not in table(store),
                          lambda store: table(store).__setitem__(key, value)))


class MemoryEvents:
    def __init__(self, staged: list[_Staged]):
        self._staged = staged

    def record(self, event: Event) -> None:
        _once(self._staged, lambda store: store.events, event.id, event.model_copy(deep=True))


class MemoryOutbox:
    def __init__(self, store: MemoryStore, staged: list[_Staged]):
        self._store, self._staged = store, staged

    def add(self, notification: Notification) -> None:
        _once(self._staged, lambda store: store.notifications, (notification.case_ref, notification.id),
              notification.model_copy(deep=True))

    def pending(self, ref: str) -> list[Notification]:
        return sorted((n.model_copy(deep=True) for (r, _), n in self._store.notifications.items()
                       if r == ref), key=lambda n: n.id)

    def add_uncased(self, notification: Notification, expires_at: datetime) -> None:
        _entry(self._staged, ("notice", notification.kind.value, notification.id), notification.model_copy(deep=True))


class MemoryMessages:
    def __init__(self, staged: list[_Staged]):
        self._staged = staged

    def add(self, message: Message) -> None:
        _once(self._staged, lambda store: store.messages, message.id, message.model_copy(deep=True))

    def remove(self, message: Message) -> None:
        self._staged.append(_Staged(lambda store: True, lambda store: store.messages.pop(message.id, None)))


class MemoryQuarantine:
    def __init__(self, staged: list[_Staged]):
        self._staged = staged

    def save(self, item: QuarantinedEmail, expected_version: int | None) -> None:
        _save_versioned(self._staged, lambda store: store.quarantined, (item.case_ref, item.id), item,
                        expected_version)


class MemoryMarks:
    def __init__(self, staged: list[_Staged]):
        self._staged = staged

    def upload(self, upload_id: str, at: datetime, case_ref: str, message_id: str) -> None:
        _entry(self._staged, ("upload", upload_id), (case_ref, message_id))

    def inbound(self, digest: str, at: datetime, outcome: str, case_ref: str | None = None) -> None:
        _entry(self._staged, ("inbound", digest), (outcome, case_ref))

    def digest(self, agent_id: str, week: str, at: datetime, expires_at: datetime) -> None:
        _entry(self._staged, ("digest", agent_id, week), at)

    def forget_digest(self, agent_id: str, week: str) -> None:
        self._staged.append(_Staged(lambda store: True,
                                    lambda store: store.entries.pop(("digest", agent_id, week), None)))


class MemoryDirectory:
    def __init__(self, store: MemoryStore):
        self._store = store

    def point(self, point_id: str) -> ContactPoint | None:
        return self._store.points.get(point_id)

    def groups(self, group_ids: Iterable[str]) -> dict[str, ReferentGroup]:
        return {g: self._store.groups[g] for g in group_ids if g in self._store.groups}

    def users(self, user_ids: Iterable[str]) -> dict[str, User]:
        return {u: self._store.users[u] for u in user_ids if u in self._store.users}


class MemoryUnitOfWork:
    def __init__(self, store: MemoryStore | None = None):
        self.store = store if store is not None else MemoryStore()
        self._staged: list[_Staged] = []
        self.cases = MemoryCases(self.store, self._staged)
        self.escalations = MemoryEscalations(self._staged)
        self.events = MemoryEvents(self._staged)
        self.outbox = MemoryOutbox(self.store, self._staged)
        self.messages = MemoryMessages(self._staged)
        self.quarantine = MemoryQuarantine(self._staged)
        self.marks = MemoryMarks(self._staged)
        self.directory = MemoryDirectory(self.store)
        self.commits = 0

    def commit(self) -> None:
        """Every condition is checked before anything is stored: all or nothing."""
        staged = list(self._staged)
        self._staged.clear()
        if not staged:
            return
        if not all(write.holds(self.store) for write in staged):
            raise RaceLost(RACE_LOST)
        for write in staged:
            write.apply(self.store)
        self.commits += 1

    def rollback(self) -> None:
        self._staged.clear()

    def __enter__(self) -> MemoryUnitOfWork:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.rollback()
