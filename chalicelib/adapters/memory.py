"""The unit of work in memory (domain/ports.py), for tests that do not test DynamoDB itself.

It keeps DynamoDB's rules: a version condition on every case and escalation, each event,
message and notification id written once, require_open on the stored status, and a commit
that stores everything or nothing. tests/integration/test_unit_of_work_contract.py holds it
to the DynamoDB unit of work.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType

from ..domain.errors import NotFound, RaceLost
from ..domain.models import Case, CaseStatus, Escalation, Event, Message, Notification

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


# A staged write: the condition checked against the store, then the change applied to it.
@dataclass(frozen=True)
class _Staged:
    holds: Callable[[MemoryStore], bool]
    apply: Callable[[MemoryStore], None]


def _versioned(stored_version: int | None, expected_version: int | None) -> bool:
    return stored_version is None if expected_version is None else stored_version == expected_version


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
        case = case.model_copy(deep=True)

        def holds(store: MemoryStore) -> bool:
            stored = store.cases.get(case.ref)
            return _versioned(stored.version if stored else None, expected_version)

        self._staged.append(_Staged(holds, lambda store: store.cases.__setitem__(case.ref, case)))

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
        escalation = escalation.model_copy(deep=True)
        key = (escalation.case_ref, escalation.group_id)

        def holds(store: MemoryStore) -> bool:
            stored = store.escalations.get(key)
            return _versioned(stored.version if stored else None, expected_version)

        self._staged.append(_Staged(holds, lambda store: store.escalations.__setitem__(key, escalation)))


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


class MemoryMessages:
    def __init__(self, staged: list[_Staged]):
        self._staged = staged

    def add(self, message: Message) -> None:
        _once(self._staged, lambda store: store.messages, message.id, message.model_copy(deep=True))


class MemoryUnitOfWork:
    def __init__(self, store: MemoryStore | None = None):
        self.store = store if store is not None else MemoryStore()
        self._staged: list[_Staged] = []
        self.cases = MemoryCases(self.store, self._staged)
        self.escalations = MemoryEscalations(self._staged)
        self.events = MemoryEvents(self._staged)
        self.outbox = MemoryOutbox(self.store, self._staged)
        self.messages = MemoryMessages(self._staged)
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
