"""Logs carry the case and the escalation, metrics leave as one EMF line per invocation, and
the tracer runs in Lambda only."""
import json

import pytest

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


def test_in_lambda_a_traced_handler_answers_as_before(monkeypatch):
    import app as relais

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "relais-prod-Reminders")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    monkeypatch.setenv("AWS_XRAY_CONTEXT_MISSING", "IGNORE_ERROR")
    assert observability.tracer() is not None
    handler = relais.traced(lambda event, context: {"fired": event["n"]})
    assert handler({"n": 3}, None) == {"fired": 3}


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
