"""Sending once: every handler that sends registers its Lambda context, no circle between the
email and SMS services, and the dev stage's wiring stays out of the composition root."""
from __future__ import annotations

import ast
import contextlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import UnexpectedBatchTypeError

from chalicelib import bootstrap
from chalicelib.services import delivery, outbox, sms

SERVICES = Path("chalicelib/services")


class FakeContext:
    function_name = "send_sms"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture()
def fresh_config(monkeypatch):
    monkeypatch.setattr(delivery, "_config", None)


@pytest.mark.parametrize("handle", [
    lambda context: outbox.handle_stream(None, {"Records": []}, context),
    lambda context: sms.handle_queue(None, {"Records": []}, context),
    lambda context: sms.receive_notification(None, json.dumps({"messageBody": "STOP"}), "m-1", context),
], ids=["stream", "sms worker", "sms replies"])
def test_each_sending_handler_registers_its_lambda_context(fresh_config, handle):
    """Without it, a send cut short by the timeout would block its retries for two days."""
    context = FakeContext()
    with contextlib.suppress(UnexpectedBatchTypeError):     # an empty batch, refused after the registration
        handle(context)
    assert delivery.idempotency_config().lambda_context is context


def _imported(path: Path) -> set[str]:
    """The project modules a module imports, lazily or not (relative imports, by last name)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names |= {node.module.rsplit(".", 1)[-1]} if node.module else {a.name for a in node.names}
    return names


def test_the_email_and_sms_services_do_not_import_each_other():
    assert "sms" not in _imported(SERVICES / "notifications.py")
    assert "notifications" not in _imported(SERVICES / "sms.py")


def test_the_composition_root_leaves_the_dev_stage_to_its_hook():
    assert not {"dev", "emulation", "wiring"} & _imported(Path("chalicelib/bootstrap.py"))
    deployed = SimpleNamespace(is_dev=False, aws_emulation=None)
    assert type(bootstrap.stage_wiring(deployed)) is bootstrap.Wiring
    dev = SimpleNamespace(is_dev=True, aws_emulation=None)
    assert type(bootstrap.stage_wiring(dev)).__module__ == bootstrap.DEV_WIRING
