"""The Lambda functions that `chalice package` generates, read off the Chalice app itself, so
that infra never lists them by hand: a handler added to chalicelib/routes (events, schedules)
gets its alarm, its dashboard line, its failure destination and its environment in the same
package."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Function:
    logical_id: str         # the CloudFormation resource chalice writes: "SendNotifications"
    name: str               # its Lambda entry app.<name>: "send_notifications"
    kind: str               # "api", "dynamodb", "sqs", "sns" or "schedule"
    source: str | None      # the topic or queue named in chalicelib/routes/events.py, for sns and sqs
    event_id: str | None    # the SAM event's key under Properties.Events
    schedule: str | None = None     # a scheduled function's expression: "rate(1 hour)", "cron(...)"

    @property
    def asynchronous(self) -> bool:
        """Invoked asynchronously by Lambda (SNS, EventBridge): retried twice, then the
        on-failure destination. Stream and queue handlers retry through their sources."""
        return self.kind in ("sns", "schedule")


_KINDS = {"DynamoDBEventConfig": "dynamodb", "SQSEventConfig": "sqs", "SNSEventConfig": "sns",
          "ScheduledEventConfig": "schedule"}
# chalice names each event source resource after its function, with this suffix.
_EVENT_SUFFIX = {"dynamodb": "DynamodbEventSource", "sqs": "SqsEventSource",
                 "sns": "SnsSubscription", "schedule": "Event"}


@lru_cache(maxsize=1)
def functions() -> tuple[Function, ...]:
    from chalice.utils import to_cfn_resource_name

    import app as application

    chalice_app = application.app
    found = [Function("APIHandler", "api_handler", "api", None, None)] if chalice_app.routes else []
    for source in chalice_app.event_sources:
        kind = _KINDS[type(source).__name__]
        logical_id = to_cfn_resource_name(source.name)
        expression = getattr(source, "schedule_expression", None)
        found.append(Function(logical_id, source.name, kind,
                              getattr(source, "topic", None) or getattr(source, "queue_arn", None),
                              logical_id + _EVENT_SUFFIX[kind], expression.to_string() if expression else None))
    return tuple(found)
