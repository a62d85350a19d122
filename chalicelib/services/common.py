"""Helpers shared by the use cases: audit events, ids, and retrying lost races."""
from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from ..domain.errors import RaceLost
from ..domain.events import EventCode
from ..domain.models import Event
from ..domain.ports import UnitOfWork

R = TypeVar("R")


def new_id() -> str:
    return secrets.token_hex(6)


def new_token() -> str:
    """128 random bits in lower-case base32: safe in an email address's local part, which
    some mail servers lower-case."""
    import base64

    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def event(code: EventCode, actor_id: str, at: datetime, case_ref: str | None = None,
          group_id: str | None = None, **data: str) -> Event:
    """An audit event: codes and ids only, never personal data. The code is an EventCode
    member, never a string built on the spot (a StrEnum member is a str too: hence the check);
    actor_id is the user's id, or an events.Actor."""
    if not isinstance(code, EventCode):
        raise TypeError(f"an audit event's code is an EventCode, not {code!r}")
    return Event(id=new_id(), code=code, actor_id=actor_id, at=at, case_ref=case_ref,
                 group_id=group_id, data=data)


def audit_access(deps, principal, code: EventCode, **data: str) -> None:
    """An access to personal data (a case opened, a list of names, a document, an export),
    in the day's audit partition: who, what, when; ids and counts only."""
    with deps.uow() as uow:
        uow.events.record(event(code, principal.user_id, deps.now(), **data))
        uow.commit()


def stage_once(deps, stage: Callable[[UnitOfWork], None]) -> bool:
    """Commit what stage puts in a new unit of work; False if it was already stored (a mark,
    a notice: what makes a thing happen once)."""
    try:
        with deps.uow() as uow:
            stage(uow)
            uow.commit()
    except RaceLost:
        return False
    return True


def retry_on_conflict(attempt: Callable[[], R], attempts: int = 24) -> R:
    """Read-modify-write with optimistic locking: on a lost race, read again and redo, after
    a jittered wait that doubles up to a second (50 writers on one case all get through, in
    about ten seconds at worst, well within a request's 30; tests/integration/test_concurrency.py)."""
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except RaceLost:
            if number == attempts:
                raise
            time.sleep(random.uniform(0, min(1.0, 0.02 * 2 ** number)))
    raise AssertionError("unreachable")
