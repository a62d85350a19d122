"""Logs carry the case and the escalation, metrics leave as one EMF line per invocation, and
the tracer runs in Lambda only."""
import contextlib
import json
from types import SimpleNamespace

import pytest
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider

from chalicelib import observability


@pytest.fixture(autouse=True)
def fresh_tracer():
    observability.tracer.cache_clear()
    yield
    observability.tracer.cache_clear()


def test_the_tracer_is_off_outside_lambda_and_when_disabled(monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    assert observability.tracer() is None
    observability.tracer.cache_clear()
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "relais-prod-APIHandler")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    assert observability.tracer() is None


class RecordingProvider(BaseProvider):
    """A tracing provider that keeps its subsegments in memory, in place of X-Ray's recorder."""

    def __init__(self):
        self.subsegments: list[dict] = []
        self.patched: list[list[str]] = []
        self.open: dict | None = None

    @contextlib.contextmanager
    def in_subsegment(self, name=None, **kwargs):
        segment = {"name": name, "annotations": {}, "metadata": {}, "closed": False}
        self.subsegments.append(segment)
        self.open = segment
        yield SimpleNamespace(
            put_annotation=lambda key, value: segment["annotations"].__setitem__(key, value),
            put_metadata=lambda key, value, namespace="default": segment["metadata"].__setitem__(key, value),
            add_exception=lambda *args, **kwargs: None)
        segment["closed"], self.open = True, None

    def in_subsegment_async(self, name=None, **kwargs):
        raise NotImplementedError

    def put_annotation(self, key, value):
        raise AssertionError("annotations go on the handler's subsegment")

    def put_metadata(self, key, value, namespace="default"):
        raise AssertionError("metadata go on the handler's subsegment")

    def patch(self, modules):
        self.patched.append(list(modules))

    def patch_all(self):
        raise AssertionError("only botocore is patched")


def test_in_lambda_a_traced_handler_runs_in_its_own_subsegment(monkeypatch):
    """Powertools' Tracer, as observability.tracer() builds it, with a recording provider: the
    handler runs inside a subsegment named after it, its response is not recorded."""
    import app as relais

    provider = RecordingProvider()
    monkeypatch.setattr(Tracer, "_config", {**Tracer._default_config, "provider": provider})
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "relais-prod-Reminders")
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")          # Powertools' own test for Lambda
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    for local in ("AWS_SAM_LOCAL", "AWS_CHALICE_CLI_MODE"):
        monkeypatch.delenv(local, raising=False)
    assert observability.tracer().provider is provider and provider.patched == [["botocore"]]
    seen = []

    def reminders_schedule(event, context):
        seen.append(provider.open)
        return {"fired": event["n"]}

    assert relais.traced(reminders_schedule)({"n": 3}, None) == {"fired": 3}
    assert len(provider.subsegments) == 1
    subsegment = provider.subsegments[0]
    assert seen == [subsegment] and subsegment["closed"]                # the handler ran inside it
    assert subsegment["name"] == "## reminders_schedule"
    assert subsegment["annotations"]["Service"] == "relais" and "ColdStart" in subsegment["annotations"]
    assert subsegment["metadata"] == {}                                  # no response: personal data


def test_log_lines_carry_the_case_and_the_escalation():
    from aws_lambda_powertools import Logger

    logger = Logger(service="relais")          # app.py's logger: the children share its keys
    observability.correlate("61-ABC-DEF", "61-caf")
    keys = logger.get_current_keys()
    assert keys["case_ref"] == "61-ABC-DEF" and keys["escalation_id"] == "61-ABC-DEF/61-caf"
    observability.correlate("61-GHJ-KLM")                 # the next record of a batch: no group
    keys = logger.get_current_keys()
    assert keys["case_ref"] == "61-GHJ-KLM" and "escalation_id" not in keys
    observability.correlate()
    assert "case_ref" not in logger.get_current_keys()


def test_an_invocation_flushes_its_counters_as_one_emf_line(capsys, monkeypatch):
    from aws_lambda_powertools import Metrics

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics = Metrics(namespace="Relais", service="relais")
    metrics.clear_metrics()         # Metrics share one set: an earlier test's counts, never flushed

    @metrics.log_metrics
    def handler(event, context):
        observability.count("cases_created")
        observability.count("sms_segments", 2)
        observability.count("sms_sent", 0)                 # zero: nothing
        return "ok"

    assert handler({}, None) == "ok"
    emf = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    names = {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert names == {"cases_created", "sms_segments"} and emf["sms_segments"] in (2.0, [2.0])
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Relais" and emf["service"] == "relais"
