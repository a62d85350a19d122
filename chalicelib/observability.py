"""Logs, metrics and traces, through Powertools, in one place.

- Logs are JSON; `correlate` adds the case reference and the escalation to every line of the
  invocation (app.py clears them between invocations). Never a name, a phone, an email or a
  description: ids, codes and counts only.
- Metrics are CloudWatch EMF lines in namespace Relais, dimension service=relais; app.py flushes
  them once per invocation. Their names are the dashboard's and the alarms' (infra/observability.py).
  One exception: a scheduled job's heartbeat (`heartbeat`) leaves at once, on its own line, with
  the dimension job=<its schedule's name> too.
- Traces: X-Ray through Powertools Tracer, in Lambda only; only botocore is patched, and no
  response is recorded (they carry personal data). The X-Ray SDK costs about 0.25 s to import:
  it loads on the first invocation, not with app.py, so that the import stays cheap.
"""
from __future__ import annotations

import os
from functools import lru_cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

# Not a child: it must work whatever imported first (app.py in Lambda, a service in a job or a
# test). Powertools shares one handler, and so the appended keys, among Loggers of a service.
logger = Logger(service="relais")
NAMESPACE, SERVICE = "Relais", "relais"
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
HEARTBEAT = "job_ran"


def count(name: str, value: int = 1, *, zero_too: bool = False) -> None:
    """Add to a counter metric (snake_case, as on the dashboard); zero adds nothing, unless
    `zero_too`: a check's result, whose 0 says the check ran and found nothing."""
    if value or zero_too:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def heartbeat(job: str) -> None:
    """A scheduled job planned its run: one `job_ran`, dimensions service and job (the schedule's
    name: a code name, never personal data), on a line of its own so that the invocation's other
    counters keep their single dimension. The job's heartbeat alarm sounds when it goes missing."""
    with single_metric(name=HEARTBEAT, unit=MetricUnit.Count, value=1, namespace=NAMESPACE,
                       default_dimensions={"service": SERVICE}) as metric:
        metric.add_dimension(name="job", value=job)


def correlate(case_ref: str | None = None, group_id: str | None = None) -> None:
    """Tag the next log lines with the case and the escalation (case/group), replacing the
    previous record's: in a batch or a job's loop, no line carries another case's keys."""
    logger.remove_keys(["case_ref", "escalation_id"])
    keys: dict[str, str] = {}
    if case_ref:
        keys["case_ref"] = case_ref
        if group_id:
            keys["escalation_id"] = f"{case_ref}/{group_id}"
    if keys:
        logger.append_keys(**keys)


@lru_cache(maxsize=1)
def tracer():
    """The Tracer, or None outside Lambda or when POWERTOOLS_TRACE_DISABLED is true."""
    in_lambda = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in ("1", "true")
    if not in_lambda or disabled:
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service="relais", patch_modules=["botocore"])
