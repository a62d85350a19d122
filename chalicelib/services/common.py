"""Helpers shared by the use cases: audit events, ids, and retrying lost races."""
from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from ..domain.errors import RaceLost
from ..domain.models import Event

R = TypeVar("R")


def new_id() -> str:
    return secrets.token_hex(6)


def new_token() -> str:
    """128 random bits in lower-case base32: safe in an email address's local part, which
    some mail servers lower-case."""
    import base64

    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def event(code: str, actor_id: str, at: datetime, case_ref: str | None = None,
          group_id: str | None = None, **data: str) -> Event:
    """An audit event: codes and ids only, never personal data."""
    return Event(id=new_id(), code=code, actor_id=actor_id, at=at, case_ref=case_ref,
                 group_id=group_id, data=data)


def retry_on_conflict(attempt: Callable[[], R], attempts: int = 8) -> R:
    """Read-modify-write with optimistic locking: on a lost race, read again and redo."""
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except RaceLost:
            if number == attempts:
                raise
            time.sleep(random.uniform(0, 0.02 * 2 ** number))
    raise AssertionError("unreachable")
