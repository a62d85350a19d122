"""Email pacing (issue 21): every function together stays under the configured SES rate and
daily quota; what has no token waits on the job queue, with a delay, and is sent later, once.
Nothing fails, nothing counts toward a dead-letter queue."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from botocore.exceptions import ClientError

from chalicelib.domain.models import Notification, NotificationKind
from chalicelib.jobs.units import handle_queue
from chalicelib.services import outbox as outbox_service
from chalicelib.services import pacing
from tests.clock import TUESDAY_MORNING
from tests.conftest import outbox
from tests.integration.test_job_units_mail import MONDAY, answered, digests  # noqa: F401 (fixture)
from tests.integration.test_reminders import queued_units, sqs_event

pytestmark = pytest.mark.instant(TUESDAY_MORNING)
AGENTS = ["agent.bretoncelles@example.org", "agent.remalard@example.org",
          "agent.sous-prefecture-bethune@example.org", "referent.61-caf@example.org", "referent.62-caf@example.org"]
NOON = datetime(2026, 11, 24, 11, 0, 0, tzinfo=UTC)


def paced(deps, per_second: int = 0, per_day: int = 0):
    deps.settings = replace(deps.settings, ses_max_per_second=per_second, ses_max_per_day=per_day)
    pacing.reset()
    return deps


def login_links(deps, count: int) -> list[Notification]:
    return [Notification(id=f"login-{n}", kind=NotificationKind.LOGIN_LINK, data={"email": email},
                         created_at=deps.now()) for n, email in enumerate(AGENTS[:count])]


def links_sent() -> dict[str, int]:
    sent: dict[str, int] = {}
    for mail in outbox():
        if "connexion" in (mail["subject"] or ""):
            sent[mail["to"][0]] = sent.get(mail["to"][0], 0) + 1
    return sent


def test_past_the_rate_a_second_the_rest_wait_on_the_queue_and_go_later_once(deps, demo):
    paced(deps, per_second=2)
    with time_machine.travel(NOON, tick=False):
        for notification in login_links(deps, 5):
            outbox_service.deliver(deps, notification)
        assert sum(links_sent().values()) == 2
        assert queued_units(deps) == []                       # delayed: not visible yet
    with time_machine.travel(NOON + timedelta(seconds=pacing.RETRY_SECONDS), tick=False):
        waiting = queued_units(deps)
        assert sorted((u.job, u.key) for u in waiting) == [("email", "login-2"), ("email", "login-3"),
                                                            ("email", "login-4")]
        assert handle_queue(deps, sqs_event(*waiting)) == {"batchItemFailures": []}
        assert sum(links_sent().values()) == 4                # two more this second, one waits again
    with time_machine.travel(NOON + timedelta(seconds=2 * pacing.RETRY_SECONDS), tick=False):
        [last] = queued_units(deps)
        assert handle_queue(deps, sqs_event(last)) == {"batchItemFailures": []}
        assert handle_queue(deps, sqs_event(last)) == {"batchItemFailures": []}      # delivered twice
    assert links_sent() == dict.fromkeys(AGENTS, 1)
    # The windows are counted in the table, for every function at once, and expire.
    second = deps.repo._get({"PK": "PACE#ses", "SK": f"S#{int(NOON.timestamp())}"}, consistent=True)
    assert second["sent"]["N"] == "2" and int(second["expires_at"]["N"]) > NOON.timestamp()


def test_past_the_daily_quota_the_rest_wait_for_the_next_utc_day(deps, demo):
    paced(deps, per_day=3)
    evening = datetime(2026, 11, 24, 23, 59, 0, tzinfo=UTC)
    with time_machine.travel(evening, tick=False):
        for notification in login_links(deps, 4):
            outbox_service.deliver(deps, notification)
        assert sum(links_sent().values()) == 3
    with time_machine.travel(evening + timedelta(seconds=59), tick=False):
        assert queued_units(deps) == []                       # still the same day: it waits
    with time_machine.travel(evening + timedelta(seconds=60), tick=False):
        [waiting] = queued_units(deps)
        assert handle_queue(deps, sqs_event(waiting)) == {"batchItemFailures": []}
    assert links_sent() == dict.fromkeys(AGENTS[:4], 1)


def test_an_ses_throttle_defers_the_email_and_leaves_nothing_that_blocks_its_retry(deps, demo, monkeypatch):
    original = deps.mailer.send

    def throttled(mail):
        raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}},
                          "SendEmail")

    monkeypatch.setattr(deps.mailer, "send", throttled)
    with time_machine.travel(NOON, tick=False):
        [notification] = login_links(deps, 1)
        outbox_service.deliver(deps, notification)
        assert links_sent() == {}
    monkeypatch.setattr(deps.mailer, "send", original)
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        [waiting] = queued_units(deps)
        assert waiting.job == "email"
        assert handle_queue(deps, sqs_event(waiting)) == {"batchItemFailures": []}
    assert links_sent() == {AGENTS[0]: 1}


@pytest.mark.outbox
def test_a_digest_unit_past_the_quota_comes_back_the_next_day_and_sends_the_rest_once(answered, deps):  # noqa: F811
    from chalicelib import jobs

    jobs.run("digest", deps, MONDAY)
    [unit] = [u for u in queued_units(deps) if u.key == "61"]
    paced(deps, per_day=1)
    with time_machine.travel(MONDAY, tick=False):
        assert handle_queue(deps, sqs_event(unit)) == {"batchItemFailures": []}      # not a failure
        assert sum(digests().values()) == 1
    with time_machine.travel(MONDAY + timedelta(hours=17, minutes=1), tick=False):
        [again] = queued_units(deps)
        assert again == unit                                  # the same unit, planned as of Monday
        assert handle_queue(deps, sqs_event(again)) == {"batchItemFailures": []}
    assert digests() == {"agent.bretoncelles@example.org": 1, "agent.remalard@example.org": 1}


def test_concurrent_reservations_never_grant_more_than_the_window(deps):
    granted: list[int] = []
    expires = datetime(2026, 11, 25, tzinfo=UTC)

    def take_all() -> None:
        while (n := deps.repo.reserve_sends("S#1", 37, 5, expires)) > 0:
            granted.append(n)

    threads = [threading.Thread(target=take_all) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 37 and max(granted) == 5


def test_a_deferral_waits_at_most_sqs_s_longest_delay():
    assert pacing.Deferred(86_400, "quota").seconds == 900
    assert pacing.Deferred(0, "rate").seconds == 1
