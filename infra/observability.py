"""CloudWatch alarms and the ops dashboard. docs/operations.md says what each alarm means and
what to do about it; every alarm notifies the alarms topic (subscribe the on-call there)."""
from __future__ import annotations

import json

from infra.functions import functions
from infra.names import names

NAMESPACE = "Relais"                       # the EMF metrics (Powertools, dimension service=relais)
SERVICE = [{"Name": "service", "Value": "relais"}]


def parameters() -> dict:
    return {
        "LateEscalationsThreshold": {
            "Type": "Number", "Default": 50, "MinValue": 1,
            "Description": "Escalations that pass their 4-day deadline unanswered in 6 hours, nationally, "
                           "before the alarm sounds"},
        "SmsFailuresThreshold": {
            "Type": "Number", "Default": 20, "MinValue": 1,
            "Description": "SMS refused for good by the carrier or SNS in one hour before the alarm sounds"},
    }


def _alarm(name: str, description: str, **properties) -> dict:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmName": name, "AlarmDescription": description + " Runbook: docs/operations.md.",
        "AlarmActions": [{"Ref": "AlarmTopic"}], "OKActions": [{"Ref": "AlarmTopic"}],
        "TreatMissingData": "notBreaching", **properties}}


def _queue_depth(name: str, queue_logical_id: str, description: str) -> dict:
    return _alarm(name, description, Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
                  Dimensions=[{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_logical_id, "QueueName"]}}],
                  Statistic="Maximum", Period=300, EvaluationPeriods=1, Threshold=0,
                  ComparisonOperator="GreaterThanThreshold")


def alarms(stage: str) -> dict:
    prefix = f"relais-{stage}"
    resources = {
        "SmsDeadLetterAlarm": _queue_depth(
            f"{prefix}-sms-dead-letters", "SmsDeadLetterQueue",
            "SMS that could not be sent after every retry are waiting in the SMS dead-letter queue."),
        "JobDeadLetterAlarm": _queue_depth(
            f"{prefix}-job-dead-letters", "JobDeadLetterQueue",
            "A unit of a scheduled job (a retention day, a territory) failed on every try and waits in "
            "the job dead-letter queue."),
        "FailedEventsAlarm": _queue_depth(
            f"{prefix}-failed-events", "FailedEventsQueue",
            "A stream batch (emails, results) or an event (inbound mail or SMS, SES event, job) failed "
            "after every retry."),
        "LateEscalationsAlarm": _alarm(
            f"{prefix}-late-escalations",
            "Many escalations passed their 4-day deadline unanswered in the last 6 hours.",
            Namespace=NAMESPACE, MetricName="escalations_late", Dimensions=SERVICE, Statistic="Sum",
            Period=21600, EvaluationPeriods=1, Threshold={"Ref": "LateEscalationsThreshold"},
            ComparisonOperator="GreaterThanOrEqualToThreshold"),
        "SesBounceRateAlarm": _alarm(
            f"{prefix}-ses-bounce-rate",
            "The account's SES bounce rate is above 4 %: SES reviews the account at 5 % and may pause sending at 10 %.",
            Namespace="AWS/SES", MetricName="Reputation.BounceRate", Statistic="Maximum",
            Period=3600, EvaluationPeriods=1, Threshold=0.04, ComparisonOperator="GreaterThanThreshold"),
        "SmsFailuresAlarm": _alarm(
            f"{prefix}-sms-failures", "Many SMS were refused for good (invalid number, carrier refusal) in one hour.",
            Namespace=NAMESPACE, MetricName="sms_failed", Dimensions=SERVICE, Statistic="Sum",
            Period=3600, EvaluationPeriods=1, Threshold={"Ref": "SmsFailuresThreshold"},
            ComparisonOperator="GreaterThanOrEqualToThreshold"),
        "LadderUnaddressedAlarm": _alarm(
            f"{prefix}-ladder-unaddressed",
            "A ladder stage reached nobody: a territory has no coordinator and "
            "RELAIS_NATIONAL_COORDINATION_EMAIL is not set.",
            Namespace=NAMESPACE, MetricName="ladder_stage_unaddressed", Dimensions=SERVICE, Statistic="Sum",
            Period=3600, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold"),
        "ApiErrorsAlarm": _alarm(
            f"{prefix}-api-5xx", "The API answered with server errors (5xx) in two 5-minute periods running.",
            Namespace="AWS/ApiGateway", MetricName="5XXError",
            Dimensions=[{"Name": "ApiName", "Value": "relais"}, {"Name": "Stage", "Value": "api"}],
            Statistic="Sum", Period=300, EvaluationPeriods=2, Threshold=5,
            ComparisonOperator="GreaterThanOrEqualToThreshold"),
        "StreamLagAlarm": _alarm(
            f"{prefix}-outbox-lag",
            "Emails and results lag: the stream consumer is more than 15 minutes behind the table.",
            Namespace="AWS/Lambda", MetricName="IteratorAge",
            Dimensions=[{"Name": "FunctionName", "Value": {"Ref": _stream_function()}}],
            Statistic="Maximum", Period=300, EvaluationPeriods=2, Threshold=900_000,
            ComparisonOperator="GreaterThanThreshold"),
    }
    for function in functions():
        resources[f"{function.logical_id}ErrorsAlarm"] = _alarm(
            f"{prefix}-{function.name.replace('_', '-')}-errors",
            f"The {function.name} function failed ({function.kind}) in two 5-minute periods running.",
            Namespace="AWS/Lambda", MetricName="Errors",
            Dimensions=[{"Name": "FunctionName", "Value": {"Ref": function.logical_id}}],
            Statistic="Sum", Period=300, EvaluationPeriods=2, Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold")
    return resources


def _stream_function() -> str:
    return next(f.logical_id for f in functions() if f.kind == "dynamodb")


def _relais(*metrics: str) -> list:
    return [[NAMESPACE, metric, "service", "relais"] for metric in metrics]


def _widget(title: str, metrics: list, x: int, y: int, stat: str = "Sum", width: int = 8,
            kind: str = "metric") -> dict:
    return {"type": kind, "x": x, "y": y, "width": width, "height": 6, "properties": {
        "title": title, "region": "${AWS::Region}", "stat": stat, "period": 300, "view": "timeSeries",
        "metrics": metrics}}


def dashboard_body(stage: str) -> dict:
    """The ops dashboard, top to bottom: is the service used, are partners answering, is mail
    and SMS flowing, is anything failing. ${...} are CloudFormation substitutions."""
    names_ = names(stage)
    lambda_errors = [["AWS/Lambda", "Errors", "FunctionName", f"${{{f.logical_id}}}", {"label": f.name}]
                     for f in functions()]
    return {"widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": (
            "## Relais — Services Publics+\nEvery alarm is explained in docs/operations.md. "
            "Figures carry no personal data; logs are searched by case reference (`case_ref`).")}},
        _widget("Demandes et saisines (cases, escalations)",
                _relais("cases_created", "escalations_sent", "escalations_late"), 0, 2),
        _widget("Réponses des partenaires (answers)", _relais("answers_by_email", "answers_by_page"), 8, 2),
        _widget("SMS", _relais("sms_sent", "sms_segments", "sms_failed", "sms_held", "sms_throttled"), 16, 2),
        _widget("E-mails", _relais("emails_sent", "emails_bounced", "emails_deferred") + [
            ["AWS/SES", "Reputation.BounceRate", {"stat": "Maximum", "yAxis": "right"}]], 0, 8),
        _widget("Files en échec (dead letters)", [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", names_["sms_dlq"]],
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", names_["failed_events"]],
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", names_["job_dlq"]],
            ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", names_["job_queue"], {"yAxis": "right"}],
            ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", names_["sms_queue"], {"yAxis": "right"}]],
            8, 8, stat="Maximum"),
        _widget("Retard du flux (outbox lag, ms)", [
            ["AWS/Lambda", "IteratorAge", "FunctionName", f"${{{_stream_function()}}}"]], 16, 8, stat="Maximum"),
        _widget("Erreurs des fonctions (function errors)", lambda_errors, 0, 14, width=12),
        _widget("API", [["AWS/ApiGateway", "Count", "ApiName", "relais", "Stage", "api"],
                        ["AWS/ApiGateway", "5XXError", "ApiName", "relais", "Stage", "api"],
                        ["AWS/ApiGateway", "Latency", "ApiName", "relais", "Stage", "api",
                         {"stat": "p90", "yAxis": "right"}]], 12, 14, width=12),
        _widget("Table", [["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", names_["table"]],
                          ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", names_["table"]],
                          ["AWS/DynamoDB", "ThrottledRequests", "TableName", names_["table"],
                           "Operation", "TransactWriteItems", {"yAxis": "right"}]], 0, 20, width=12),
        {"type": "log", "x": 12, "y": 20, "width": 12, "height": 6, "properties": {
            "title": "Dernières erreurs (latest errors)", "region": "${AWS::Region}", "view": "table",
            "query": (" | ".join(f"SOURCE '/aws/lambda/${{{f.logical_id}}}'" for f in functions())
                      + " | fields @timestamp, function_name, case_ref, message "
                      "| filter level = 'ERROR' | sort @timestamp desc | limit 20")}},
    ]}


def dashboard(stage: str) -> dict:
    return {"OpsDashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": names(stage)["dashboard"],
        "DashboardBody": {"Fn::Sub": json.dumps(dashboard_body(stage))}}}}
