"""The CloudFormation merged into Chalice's package (`chalice package --merge-template`).

Chalice writes the functions, the API and their event sources; this adds what they need and
what chalice cannot express: the table, the mail bucket, SES receiving and its configuration
set, the topics and queues, the functions' least-privilege role, failure destinations, alarms
and the ops dashboard. Keys that chalice also writes (a function's Events, Environment,
the role's Policies) are deep-merged: the values here win.

`python -m infra.template [path]` writes it; `make package` merges it.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from infra import iam, observability, sms
from infra.functions import functions
from infra.names import INBOUND_PREFIX, names, stage_settings
from infra.table import cloudformation_resource

MAIL_RETENTION_DAYS = 190            # raw inbound mail: the 6 months after closing, and a margin
IMPORT_RETENTION_DAYS = 1            # directory CSVs wait here between preview and apply
UPLOAD_RETENTION_DAYS = 1            # a browser upload waits here for its confirmation (minutes)
# Memory beyond the stage's 256 MB, from measurement: ReceiveEmail parses a reply of up to
# inbound.MAX_MESSAGE_BYTES (20 MB) whole, about 300 MB at its peak (bench/bench_inbound_memory.py);
# 1,536 MB keeps it under a quarter of the function's memory (and parses faster: more CPU).
# RunJobUnits' largest units (bench/bench_national_day.py) take up to about 190 MB: 1,024 MB
# keeps each under a quarter of it.
FUNCTION_MEMORY = {"receive_email": 1536, "run_job_units": 1024}
# Concurrency kept for the functions the public site must never starve: the outbox (its stream
# shards x 1) and the inbound replies. The site and the rest share the account's remainder;
# the queue workers are capped at their event source (routes/events.py).
RESERVED_CONCURRENCY = {"send_notifications": 20, "receive_email": 10}
API_RATE_LIMIT = 300                  # requests per second, the stage's steady rate (peak estimate: 40)
API_BURST_LIMIT = 600
JOB_SCRATCH_PREFIX = "jobs/"          # a job's running sums between its units (services/results_check.py)
JOB_SCRATCH_DAYS = 2
STREAM_RETRIES = 10                  # then the batch's coordinates go to the failed-events queue
JOB_WORKER_TIMEOUT = 120             # seconds: a job unit is bounded well under it (jobs/units.py)
JOB_RECEIVES = 5                     # tries of a job unit before its dead-letter queue


def table(stage: str) -> dict:
    """The table. Its deletion protection is a parameter (TableDeletionProtection, on by default
    in prod) because a protected table cannot be deleted, not even by the rollback of the create
    that made it: devtools/deploy.py creates the stack with it off, then turns it on."""
    resource = cloudformation_resource()
    resource["UpdateReplacePolicy"] = "Retain"
    resource["Properties"]["TableName"] = names(stage)["table"]
    resource["Properties"]["DeletionProtectionEnabled"] = {"Fn::If": ["ProtectTable", True, False]}
    return {"RelaisTable": resource}


def table_protection(stage: str) -> tuple[dict, dict]:
    """The parameter and the condition of the table's deletion protection (see table())."""
    return ({"TableDeletionProtection": {
        "Type": "String", "AllowedValues": ["true", "false"], "Default": "true" if stage == "prod" else "false",
        "Description": "The table's deletion protection (make deploy turns it on after the first create)"}},
        {"ProtectTable": {"Fn::Equals": [{"Ref": "TableDeletionProtection"}, "true"]}})


def mail_bucket(stage: str) -> dict:
    """Inbound mail (inbound/), documents (uploads/, attachments/) and directory imports
    (imports/). Private, encrypted, TLS only; personal data is not versioned, so that a
    deletion (retention, a refused upload) is a deletion."""
    rule_set = names(stage)["rule_set"]
    bucket_arn = {"Fn::GetAtt": ["MailBucket", "Arn"]}
    return {
        "MailBucket": {
            # Kept like the table, except by the rollback of the create that made it (then empty).
            "Type": "AWS::S3::Bucket", "DeletionPolicy": "RetainExceptOnCreate", "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": {"Fn::Sub": f"relais-{stage}-mail-${{AWS::AccountId}}"},
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True, "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "LifecycleConfiguration": {"Rules": [
                    *({"Id": f"{prefix.strip('/')}-mail", "Status": "Enabled", "Prefix": prefix,
                       "ExpirationInDays": MAIL_RETENTION_DAYS} for prefix in (INBOUND_PREFIX, "quarantine/")),
                    {"Id": "directory-imports", "Status": "Enabled", "Prefix": "imports/",
                     "ExpirationInDays": IMPORT_RETENTION_DAYS},
                    # Uploads never confirmed: a confirmed one moved to attachments/ (services/attachments.py).
                    {"Id": "unconfirmed-uploads", "Status": "Enabled", "Prefix": "uploads/",
                     "ExpirationInDays": UPLOAD_RETENTION_DAYS},
                    {"Id": "job-scratch", "Status": "Enabled", "Prefix": JOB_SCRATCH_PREFIX,
                     "ExpirationInDays": JOB_SCRATCH_DAYS},
                    {"Id": "incomplete-uploads", "Status": "Enabled",
                     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
                ]},
            },
        },
        "MailBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "MailBucket"}, "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                     "Resource": [bucket_arn, {"Fn::Sub": "${MailBucket.Arn}/*"}],
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                    {"Sid": "SesWritesInboundMail", "Effect": "Allow",
                     "Principal": {"Service": "ses.amazonaws.com"}, "Action": "s3:PutObject",
                     "Resource": {"Fn::Sub": f"${{MailBucket.Arn}}/{INBOUND_PREFIX}*"},
                     "Condition": {
                         "StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}},
                         "ArnLike": {"AWS:SourceArn": {"Fn::Sub": (
                             "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
                             f"receipt-rule-set/{rule_set}:receipt-rule/*")}}}},
                ]}},
        },
    }


# The services that publish to Relais's topics: the topics' key lets them encrypt (topic_key).
TOPIC_PUBLISHERS = ("ses.amazonaws.com", "sms-voice.amazonaws.com", "cloudwatch.amazonaws.com",
                    "budgets.amazonaws.com")


def topic_key() -> dict:
    """The topics' encryption key. The AWS-managed key (alias/aws/sns) cannot serve: SES, End User
    Messaging, CloudWatch alarms and AWS Budgets may only publish to a topic whose key policy lets them
    encrypt, which only a customer-managed key's policy can say."""
    account = {"Ref": "AWS::AccountId"}
    return {"TopicKey": {"Type": "AWS::KMS::Key", "Properties": {
        "Description": "Relais: the SNS topics' messages (inbound email and SMS, SES events, alarms)",
        "EnableKeyRotation": True,
        "KeyPolicy": {"Version": "2012-10-17", "Statement": [
            {"Sid": "AccountAdministers", "Effect": "Allow",
             "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "ServicesPublish", "Effect": "Allow", "Principal": {"Service": list(TOPIC_PUBLISHERS)},
             "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
        ]}}}}


def _topic(logical_id: str, name: str, publisher: str | list[str] | None) -> dict:
    resources = {logical_id: {"Type": "AWS::SNS::Topic", "Properties": {
        "TopicName": name, "KmsMasterKeyId": {"Ref": "TopicKey"}}}}
    if publisher:
        resources[f"{logical_id}Policy"] = {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": logical_id}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "ServicePublishes", "Effect": "Allow", "Principal": {"Service": publisher},
                "Action": "sns:Publish", "Resource": {"Ref": logical_id},
                "Condition": {"StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}}}]}}}
    return resources


def messaging(stage: str) -> dict:
    """SES receiving (rule set, rule: store in S3 and notify), the configuration set whose
    bounces and complaints reach the ses_events function, the two-way SMS topic, and the
    alarms topic that ops subscribe to."""
    n, env = names(stage), stage_settings(stage)
    resources = {
        **topic_key(),
        **_topic("InboundEmailTopic", n["inbound_email"], "ses.amazonaws.com"),
        **_topic("SesEventsTopic", n["ses_events"], "ses.amazonaws.com"),
        **_topic("InboundSmsTopic", n["inbound_sms"], "sms-voice.amazonaws.com"),
        # CloudWatch alarms and the cost budget (observability.budget) publish to the alarms topic.
        **_topic("AlarmTopic", n["alarms"], ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]),
        # The on-call address, when the deploy names one (parameter OnCallEmail): AWS sends it a
        # confirmation link first; the alarms reach it once it is followed.
        "OnCallSubscription": {"Type": "AWS::SNS::Subscription", "Condition": "HasOnCallEmail", "Properties": {
            "TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": "OnCallEmail"}}},
        "ReceiptRuleSet": {"Type": "AWS::SES::ReceiptRuleSet", "Properties": {"RuleSetName": n["rule_set"]}},
        "ReceiptRule": {
            "Type": "AWS::SES::ReceiptRule", "DependsOn": ["MailBucketPolicy", "InboundEmailTopicPolicy"],
            "Properties": {"RuleSetName": {"Ref": "ReceiptRuleSet"}, "Rule": {
                "Name": "replies-to-escalations", "Enabled": True, "ScanEnabled": True,
                "TlsPolicy": "Require", "Recipients": [env["RELAIS_INBOUND_DOMAIN"]],
                "Actions": [{"S3Action": {"BucketName": {"Ref": "MailBucket"},
                                          "ObjectKeyPrefix": INBOUND_PREFIX,
                                          "TopicArn": {"Ref": "InboundEmailTopic"}}}]}},
        },
        "ConfigurationSet": {"Type": "AWS::SES::ConfigurationSet", "Properties": {
            "Name": n["configuration_set"],
            "ReputationOptions": {"ReputationMetricsEnabled": True},
            "SendingOptions": {"SendingEnabled": True}}},
        "ConfigurationSetEvents": {
            "Type": "AWS::SES::ConfigurationSetEventDestination", "DependsOn": "SesEventsTopicPolicy",
            "Properties": {"ConfigurationSetName": {"Ref": "ConfigurationSet"}, "EventDestination": {
                "Name": "bounces-and-complaints", "Enabled": True,
                "MatchingEventTypes": ["bounce", "complaint", "reject"],
                "SnsDestination": {"TopicARN": {"Ref": "SesEventsTopic"}}}}},
    }
    return resources


def queues(stage: str) -> dict:
    """The SMS queue and its dead-letter queue; the failed-events queue, where the stream's
    failed batches and the asynchronous handlers' failed events land (see docs/operations.md).

    maxReceiveCount is high enough for quiet hours: a held SMS comes back at most every 12 hours
    (three times over a long weekend) before it is sent."""
    n = names(stage)
    fortnight = 14 * 24 * 3600
    return {
        "SmsDeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": n["sms_dlq"], "MessageRetentionPeriod": fortnight, "SqsManagedSseEnabled": True}},
        "SmsQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": n["sms_queue"], "VisibilityTimeout": 60, "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["SmsDeadLetterQueue", "Arn"]},
                              "maxReceiveCount": 12}}},
        # The scheduled jobs' units (chalicelib/jobs/units.py); a unit that fails JOB_RECEIVES
        # times waits in the dead letters. Visible again after 6 worker timeouts (AWS's advice).
        "JobDeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": n["job_dlq"], "MessageRetentionPeriod": fortnight, "SqsManagedSseEnabled": True}},
        "JobQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": n["job_queue"], "VisibilityTimeout": 6 * JOB_WORKER_TIMEOUT, "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["JobDeadLetterQueue", "Arn"]},
                              "maxReceiveCount": JOB_RECEIVES}}},
        "FailedEventsQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": n["failed_events"], "MessageRetentionPeriod": fortnight,
            "SqsManagedSseEnabled": True}},
    }


def function_overrides(stage: str) -> dict:
    """What each chalice function gets on top of chalice's own: the real resource names in its
    environment, active tracing, its event source pointed at the resource above, partial batch
    responses, and a failure destination."""
    failed = {"Type": "SQS", "Destination": {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}}
    sources = {
        "dynamodb": lambda f: {"Stream": {"Fn::GetAtt": ["RelaisTable", "StreamArn"]},
                               "StartingPosition": "TRIM_HORIZON",
                               "FunctionResponseTypes": ["ReportBatchItemFailures"],
                               "MaximumRetryAttempts": STREAM_RETRIES, "BisectBatchOnFunctionError": True,
                               "DestinationConfig": {"OnFailure": failed}},
        "sqs": lambda f: {"Queue": {"Fn::GetAtt": [_queue_for(f), "Arn"]},
                          "FunctionResponseTypes": ["ReportBatchItemFailures"]},
        "sns": lambda f: {"Topic": {"Ref": _topic_for(f)}},
    }
    overrides = {}
    for function in functions():
        properties: dict = {
            "Tracing": "Active",
            "Environment": {"Variables": {
                "RELAIS_TABLE": {"Ref": "RelaisTable"},
                "RELAIS_MAIL_BUCKET": {"Ref": "MailBucket"},
                "RELAIS_SMS_QUEUE": {"Fn::GetAtt": ["SmsQueue", "QueueName"]},
                "RELAIS_JOB_QUEUE": {"Fn::GetAtt": ["JobQueue", "QueueName"]},
                "RELAIS_SES_CONFIGURATION_SET": {"Ref": "ConfigurationSet"},
                **sms.environment(),
            }},
        }
        if function.name == "run_job_units":
            properties["Timeout"] = JOB_WORKER_TIMEOUT
        if function.name in FUNCTION_MEMORY:
            properties["MemorySize"] = FUNCTION_MEMORY[function.name]
        if function.name in RESERVED_CONCURRENCY:
            properties["ReservedConcurrentExecutions"] = RESERVED_CONCURRENCY[function.name]
        if function.kind in sources:
            properties["Events"] = {function.event_id: {"Properties": sources[function.kind](function)}}
        if function.asynchronous:
            properties["EventInvokeConfig"] = {"MaximumRetryAttempts": 2,
                                               "DestinationConfig": {"OnFailure": failed}}
        overrides[function.logical_id] = {"Properties": properties}
    overrides.update(iam.roles(stage))
    # The public site cannot take the whole account: every method of the stage is throttled.
    # What API Gateway answers itself is French too (gateway_responses).
    overrides["RestAPI"] = {"Properties": {"TracingEnabled": True, "MethodSettings": [{
        "ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": API_RATE_LIMIT,
        "ThrottlingBurstLimit": API_BURST_LIMIT, "MetricsEnabled": True}],
        "GatewayResponses": gateway_responses()}}
    # chalice names the API function's log group after "ApiHandler", but the function is "APIHandler".
    overrides["ApiHandlerLogGroup"] = {"Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${APIHandler}"}}}
    return overrides


def gateway_responses() -> dict:
    """What API Gateway answers itself, without calling the API function, in French: an address
    no route has (the "/{proxy+}" route of chalicelib/routes/errors.py takes every method of an
    unknown address, so this is a safety net) or a method an address does not take (a PUT on a
    page): 404 with the site's « Page introuvable » page; any other refusal (too large, throttled)
    keeps its status with a French page. API Gateway picks a template by the request's Accept
    (text/html for a browser) and answers with its media type; the JSON API's clients get its JSON
    error shape. Check after a deploy: curl -i -H 'Accept: text/html' <site>/x/y/z -X PUT."""
    from chalicelib.adapters.templates import render
    from chalicelib.web.errors import NOT_FOUND
    from chalicelib.web.pages import ACCESSIBILITY_STATUS, PAGE_HEADERS

    def page(template_name: str, **context) -> str:
        return render(f"pages/{template_name}", user=None, nav=[], notice=None, csrf="",
                      accessibility_status=ACCESSIBILITY_STATUS, **context)

    # The pages' security headers, as API Gateway's quoted static values: the media type is the chosen
    # template's, and the Content-Security-Policy (quotes inside) cannot be written so; the pages
    # are static, with no script and nothing from the request.
    headers = {name: f"'{value}'" for name, value in PAGE_HEADERS.items()
               if name != "Content-Type" and "'" not in value}
    return {
        "MISSING_AUTHENTICATION_TOKEN": {
            "StatusCode": 404, "ResponseParameters": {"Headers": headers},
            "ResponseTemplates": {
                "text/html": page("not_found.html"),
                "application/json": json.dumps({"error": "not_found", "message": NOT_FOUND, "field": None},
                                               ensure_ascii=False)}},
        "DEFAULT_4XX": {
            "ResponseParameters": {"Headers": headers},
            "ResponseTemplates": {
                "text/html": page("bad_request.html", message="Relais n'a pas pu traiter cette demande. "
                                                               "Réessayez dans un instant."),
                "application/json": '{"error": "refused", "message": $context.error.messageString, "field": null}'}},
    }


# chalicelib/routes/events.py names each source by a placeholder ARN; its last part says which resource it is.
_TOPICS = {"inbound-email": "InboundEmailTopic", "ses-events": "SesEventsTopic", "inbound-sms": "InboundSmsTopic",
           "sms-events": "SmsEventsTopic"}
_QUEUES = {"sms": "SmsQueue", "jobs": "JobQueue"}


def _topic_for(function) -> str:
    return _TOPICS[function.source.rsplit(":", 1)[-1]]


def _queue_for(function) -> str:
    return _QUEUES[function.source.rsplit(":", 1)[-1]]


def template(stage: str = "prod") -> dict:
    protection, protected = table_protection(stage)
    return {
        "Parameters": {**observability.parameters(), **protection, "OnCallEmail": {
            "Type": "String", "Default": "", "AllowedPattern": r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$",
            "Description": "The on-call address the alarms are emailed to (empty: none; it must confirm "
                           "the subscription from AWS's email)"}, **sms.parameters()},
        # OpenAPI 3: SAM then makes no implicit "Stage" stage, which would publish the API a second
        # time, untraced, unthrottled and without alarms (the API's stage is chalice's "api").
        "Globals": {"Api": {"OpenApiVersion": "3.0.1"}},
        "Conditions": {"HasOnCallEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "OnCallEmail"}, ""]}]},
                       **protected, **sms.conditions()},
        "Resources": {
            **table(stage), **mail_bucket(stage), **messaging(stage), **queues(stage), **sms.resources(stage, _topic),
            **function_overrides(stage), **observability.alarms(stage), **observability.dashboard(stage),
            **observability.queries(stage), **observability.budget(stage),
        },
        "Outputs": {
            "TableStreamArn": {"Value": {"Fn::GetAtt": ["RelaisTable", "StreamArn"]}},
            "MailBucketName": {"Value": {"Ref": "MailBucket"}},
            "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"},
                              "Description": "Subscribe the on-call address or pager to this topic"},
            "ReceiptRuleSetName": {"Value": {"Ref": "ReceiptRuleSet"},
                                   "Description": "make deploy activates it (CloudFormation cannot)"},
        },
    }


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/infra.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(template(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")
