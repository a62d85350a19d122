"""Email pacing: every function together stays under SES's sending rate and daily quota.

RELAIS_SES_MAX_PER_SECOND and RELAIS_SES_MAX_PER_DAY (0: not paced) are set a little under the
account's quotas (docs/operations.md, 9a). Each send takes one token of the current second and one
of the current UTC day. Tokens are counted in the table, one item per window, and taken in
blocks (DAY_BLOCK a day, a fifth of the rate a second) so that pacing costs a fraction of a write per
email; a process keeps what is left of its blocks. SES's daily quota is a rolling 24 hours: a
UTC day under a cap a little below it stays under it as long as no day's sends bunch up at its
end, which the per-second rate prevents.

When no token is left the send raises `Deferred`: the outbox puts the notification on the job
queue with a delay (services/outbox.py), a job unit is queued again with a delay
(jobs/units.py). Nothing fails and nothing counts toward a dead-letter queue: the outbox waits.
SES's own throttling (after botocore's retries) is deferred the same way.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from ..observability import count

DAY_BLOCK = 50                 # day tokens a process takes at once
SECOND_WAIT = 1.0              # at most this long waiting for the next second's tokens
RETRY_SECONDS = 5              # a send deferred for the rate comes back this much later
MAX_DELAY = 900                # SQS's longest delay


class Deferred(Exception):
    """No token left: send again in `seconds` (at most SQS's 15 minutes)."""

    def __init__(self, seconds: int, reason: str):
        super().__init__(f"{reason}: again in {seconds} s")
        self.seconds = max(1, min(MAX_DELAY, seconds))
        self.reason = reason


@dataclass
class _Tokens:
    """What this process holds of one window: tokens left, and whether the window is spent."""

    window: str = ""
    left: int = 0
    spent: bool = False

    def take(self, window: str, reserve) -> bool:
        if self.window != window or (self.left <= 0 and not self.spent):
            granted = reserve()
            self.window, self.left, self.spent = window, granted, granted == 0
        if self.left > 0:
            self.left -= 1
            return True
        return False


@dataclass
class _Pacer:
    second: _Tokens = field(default_factory=_Tokens)
    day: _Tokens = field(default_factory=_Tokens)
    lock: threading.Lock = field(default_factory=threading.Lock)


_pacer = _Pacer()


def reset() -> None:
    """Forget this process's tokens (tests: a new table, a new clock)."""
    global _pacer
    _pacer = _Pacer()


def take(deps) -> None:
    """One token of the second and one of the day, or Deferred."""
    settings = deps.settings
    if not settings.ses_max_per_second and not settings.ses_max_per_day:
        return
    with _pacer.lock:
        if settings.ses_max_per_second:
            _take_second(deps, settings.ses_max_per_second)
        if settings.ses_max_per_day:
            _take_day(deps, settings.ses_max_per_day)


def _take_second(deps, limit: int) -> None:
    block = max(1, limit // 5)
    waited = 0.0
    while True:
        now = deps.now()
        window = f"S#{math.floor(now.timestamp())}"
        if _pacer.second.take(_mine(deps, window), partial(
                deps.repo.reserve_sends, window, limit, block, now + timedelta(hours=1))):
            return
        # This second is spent, everywhere: wait for the next one, once.
        pause = 1 - (now.timestamp() % 1)
        if waited + pause > SECOND_WAIT:
            count("emails_deferred")
            raise Deferred(RETRY_SECONDS, "SES rate reached")
        time.sleep(pause)
        waited += pause
        if deps.now() <= now:           # a frozen clock (tests): no next second comes
            count("emails_deferred")
            raise Deferred(RETRY_SECONDS, "SES rate reached")


def _take_day(deps, limit: int) -> None:
    now = deps.now().astimezone(UTC)
    window = f"D#{now.date().isoformat()}"
    if _pacer.day.take(_mine(deps, window), partial(
            deps.repo.reserve_sends, window, limit, DAY_BLOCK, now + timedelta(days=2))):
        return
    count("emails_deferred")
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    raise Deferred(math.ceil((tomorrow - now).total_seconds()), "SES daily quota reached")


def _mine(deps, window: str) -> str:
    """This process's tokens are of one table's window."""
    return f"{deps.settings.table_name}|{window}"


def deferred_by_ses(error: BaseException) -> Deferred | None:
    """SES refused for its rate or its quota (after botocore's own retries): the same wait."""
    from ..adapters.errors import error_code, throttled

    if throttled(error):
        return Deferred(RETRY_SECONDS * 6, "SES throttled")
    if error_code(error) == "LimitExceededException":
        return Deferred(MAX_DELAY, "SES quota exceeded")
    return None
