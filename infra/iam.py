"""Least privilege: each function gets a role of its own (chalice makes one per function when
autogen_policy is off) that allows only the actions it calls, on the exact resources.

GRANTS says what each handler in app.py reaches; tests/unit/test_infra.py checks that every
function has an entry and that every AWS call its handler's code can reach is allowed to that
function, so that a new call cannot ship without its permission.

TABLE_ACTIONS and INDEX_QUERIES say what each function does on the table: exactly the DynamoDB
actions its reachable code calls, no more (the same test requires equality, both ways), counting
what the code cannot show: the Powertools idempotency store's own calls, and the action of each
kind of item a transaction of that function can hold.
"""
from __future__ import annotations

from infra import sms
from infra.functions import functions
from infra.names import INBOUND_PREFIX, MAIL_PREFIXES, mail_from_domain

_ARN = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"
_PURGED = ("attachments/", "uploads/", INBOUND_PREFIX, "quarantine/")     # a case's objects (retention.purge)

# What each handler does beyond reading and writing the table.
GRANTS: dict[str, set[str]] = {
    "api_handler": {"send_mail", "documents", "imports",         # login links, uploads, CSV imports
                    "published_results",                         # the results pages' document
                    "read_case_mail"},                           # originals, quarantined emails
    "send_notifications": {"stream", "send_mail", "enqueue_sms",
                           "enqueue_units"},                # emails the pacing defers (services/pacing.py)
    "receive_email": {"read_mail", "keep_mail"},             # the raw copy per case, documents
    "ses_events": set(),
    "sms_events": set(),                    # delivery receipts: the table only
    # Every scheduled job plans units on the job queue (jobs/units.py); run_job_units runs them.
    "reminders": {"enqueue_units"},
    "weekly_digest": {"enqueue_units"},
    "results_check": {"enqueue_units"},
    "quarterly_report": {"enqueue_units"},
    "send_sms": {"consume_sms", "send_sms"},
    "receive_sms": {"send_sms"},             # the one SMS that confirms a STOP
    "retention": {"enqueue_units"},
    "run_job_units": {"consume_units", "enqueue_units", "purge_documents", "send_mail",   # digests, reports
                      "job_scratch"},                                                   # results' sums
}

# The table's actions each function's code calls (dynamodb:<action> on the table). Beyond the
# code's own calls: TransactWriteItems is allowed by the actions of its items (a Write is a Put,
# a Check a ConditionCheckItem, a Delete a DeleteItem); and the functions that send under
# Powertools idempotency (services/delivery.py: send_notifications, send_sms, receive_sms,
# run_job_units) need its store's GetItem, PutItem, UpdateItem and DeleteItem.
TABLE_ACTIONS: dict[str, set[str]] = {
    "api_handler": {"GetItem", "BatchGetItem", "Query", "PutItem", "BatchWriteItem", "DeleteItem",
                    "ConditionCheckItem", "UpdateItem"},       # UpdateItem: experiences' posting counter
    "send_notifications": {"GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"},
    "receive_email": {"GetItem", "BatchGetItem", "Query", "PutItem", "DeleteItem", "ConditionCheckItem"},
    "ses_events": {"BatchGetItem", "PutItem", "DeleteItem", "ConditionCheckItem"},
    "sms_events": {"UpdateItem"},                       # a delivery receipt updates its SMS's record
    "reminders": {"GetItem", "Query", "UpdateItem"},    # a sweep: reads, and moves its cursor
    "weekly_digest": {"Query"},
    "results_check": {"Query"},
    "quarterly_report": {"Query"},
    "send_sms": {"GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"},
    "receive_sms": {"GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"},
    "retention": {"GetItem", "Query", "UpdateItem"},    # a sweep, the same
    "run_job_units": {"GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem",
                      "BatchWriteItem", "ConditionCheckItem"},
}
# The functions that Query an index (dynamodb:Query on the table's indexes, and nothing else there).
INDEX_QUERIES = {"api_handler", "reminders", "weekly_digest", "results_check", "quarterly_report",
                 "retention", "send_sms", "receive_sms", "run_job_units"}


def _sub(template: str) -> dict:
    return {"Fn::Sub": template}


def _arn(service: str, resource: str) -> dict:
    return _sub(_ARN % (service, resource))


def _listing(*prefixes: str) -> dict:
    """s3:ListBucket on the bucket, for the prefixes a function reads: S3 then answers a read of
    a missing key there with 404 rather than 403 (adapters/documents.py takes both as missing)."""
    return {"Action": ["s3:ListBucket"], "Resource": {"Fn::GetAtt": ["MailBucket", "Arn"]},
            "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}}}


def _statements(stage: str) -> dict[str, list[dict]]:
    bucket = "${MailBucket.Arn}"
    return {
        "stream": [{"Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                               "dynamodb:ListStreams"],
                    "Resource": {"Fn::GetAtt": ["RelaisTable", "StreamArn"]}}],
        "send_mail": [{"Action": ["ses:SendEmail", "ses:SendRawEmail"],
                       "Resource": [_arn("ses", f"identity/{mail_from_domain(stage)}"),
                                    _arn("ses", "configuration-set/${ConfigurationSet}")]}],
        "read_mail": [{"Action": ["s3:GetObject"], "Resource": _sub(f"{bucket}/{INBOUND_PREFIX}*")},
                      _listing(INBOUND_PREFIX)],
        # The raw email of a message (its original, issue 24) or of a quarantined one, read by the
        # case's agent (services/message_source.py, services/quarantine.py); a quarantined one the
        # agent sets aside is deleted (quarantine.discard).
        "read_case_mail": [{"Action": ["s3:GetObject"],
                            "Resource": [_sub(f"{bucket}/{prefix}*") for prefix in (INBOUND_PREFIX, "quarantine/")]},
                           {"Action": ["s3:DeleteObject"], "Resource": _sub(f"{bucket}/quarantine/*")},
                           _listing(INBOUND_PREFIX, "quarantine/")],
        "keep_mail": [{"Action": ["s3:PutObject"],
                       "Resource": [_sub(f"{bucket}/{prefix}*") for prefix in MAIL_PREFIXES]}],
        # A confirmed upload is copied from uploads/ to attachments/ (services/attachments.py).
        "documents": [{"Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                       "Resource": [_sub(f"{bucket}/uploads/*"), _sub(f"{bucket}/attachments/*")]},
                      _listing("uploads/", "attachments/")],
        "imports": [{"Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                     "Resource": _sub(f"{bucket}/imports/*")}, _listing("imports/")],
        "published_results": [{"Action": ["s3:GetObject", "s3:PutObject"],
                               "Resource": _sub(f"{bucket}/published/*")}, _listing("published/")],
        "job_scratch": [{"Action": ["s3:GetObject", "s3:PutObject"], "Resource": _sub(f"{bucket}/jobs/*")},
                        _listing("jobs/")],
        # A purged case's documents, and its raw emails, listed by the case's prefix (retention.py).
        "purge_documents": [{"Action": ["s3:DeleteObject"],
                             "Resource": [_sub(f"{bucket}/{prefix}*") for prefix in _PURGED]},
                            _listing(*_PURGED)],
        "enqueue_units": [{"Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
                           "Resource": {"Fn::GetAtt": ["JobQueue", "Arn"]}}],
        "consume_units": [{"Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                                      "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                           "Resource": {"Fn::GetAtt": ["JobQueue", "Arn"]}}],
        "enqueue_sms": [{"Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
                         "Resource": {"Fn::GetAtt": ["SmsQueue", "Arn"]}}],
        "consume_sms": [{"Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                                    "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                         "Resource": {"Fn::GetAtt": ["SmsQueue", "Arn"]}}],
        "send_sms": sms.send_statements(),      # End User Messaging: its pool and configuration set
    }


def policy(stage: str, function_name: str) -> dict:
    """The policy document of one function's role."""
    statements = [
        {"Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": _arn("logs", "log-group:/aws/lambda/${AWS::StackName}-*")},
        {"Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},  # no resource level
        # Failure destinations: stream batches and asynchronous invocations that failed for good.
        {"Action": ["sqs:SendMessage"], "Resource": {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}},
    ]
    if TABLE_ACTIONS[function_name]:
        statements.append({"Action": [f"dynamodb:{action}" for action in sorted(TABLE_ACTIONS[function_name])],
                           "Resource": {"Fn::GetAtt": ["RelaisTable", "Arn"]}})
    if function_name in INDEX_QUERIES:
        statements.append({"Action": ["dynamodb:Query"], "Resource": _sub("${RelaisTable.Arn}/index/*")})
    granted = _statements(stage)
    for grant in sorted(GRANTS[function_name]):
        statements += granted[grant]
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", **statement} for statement in statements]}


def roles(stage: str) -> dict:
    """The override of each chalice-made role's policies (deep-merged over chalice's)."""
    from chalice.utils import to_cfn_resource_name

    return {to_cfn_resource_name(f"{function.name}_role"): {"Properties": {"Policies": [
        {"PolicyName": "RelaisLeastPrivilege", "PolicyDocument": policy(stage, function.name)}]}}
        for function in functions()}
