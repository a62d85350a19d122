"""Every message of the corpus through POST /_dev/inbound-email, on a real escalation."""
from __future__ import annotations

import pytest

from tests.clock import TUESDAY_MORNING
from tests.corpus import email_corpus as corpus
from tests.integration.test_email import agent, case_of, escalated, post_inbound  # noqa: F401 - fixtures

ENTRIES = corpus.entries()

pytestmark = [pytest.mark.outbox, pytest.mark.instant(TUESDAY_MORNING)]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["file"])
def test_corpus_message_outcome(client, escalated, entry):  # noqa: F811 - the fixture
    raw = corpus.raw(entry, escalated["token"], escalated["ref"], escalated["emails"][0]["id"])
    verdicts = {name.lower(): status for name, status in entry.get("verdicts", {}).items()
                if status != "PASS"}
    result = post_inbound(client, raw, **verdicts)
    case = case_of(client, escalated["ref"])
    if entry["expect"] == "accepted":
        assert result["outcome"] == "accepted", result
        assert result["threading"] == entry["threading"]
        message = case["messages"][-1]
        assert message["channel"] == "email" and message["kind"] == entry.get("kind", "answer")
        body = corpus.squeeze(message["body"])
        for fragment in entry.get("contains", []):
            assert corpus.squeeze(fragment) in body
        assert sorted(a["name"] for a in message["attachments"]) == sorted(
            a["name"] for a in entry.get("attachments", []))
        return
    assert case["messages"] == [] and case["status"] == "escalated"
    if entry["expect"] == "quarantined" and entry.get("reason") == "unknown_token":
        assert result["outcome"] == "unthreaded"
    elif entry["expect"] == "quarantined":
        assert (result["outcome"], result["reason"]) == ("quarantined", entry["reason"])
    else:
        assert result["outcome"] == entry["expect"]
