"""CloudWatch alarms and the ops dashboard. docs/operations.md says what each alarm means and
what to do about it; every alarm notifies the alarms topic (subscribe the on-call there)."""
from __future__ import annotations

import json

from infra.functions import Function, functions
from infra.names import CONFIG_PATH, names
from infra.schedules import heartbeat_window
from infra.table import definition as table_definition

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
            "Description": "SMS refused for good by End User Messaging or the carrier in one hour before the alarm sounds"},
        "SmsMonthlySpendLimit": {
            "Type": "Number", "Default": 1, "MinValue": 1,
            "Description": "The account's SMS monthly spend limit in USD (End User Messaging SMS, AWS's "
                           "initial 1 $ until raised): the sms-spend alarm sounds at 80 % of it"},
        "MonthlyBudget": {
            "Type": "Number", "Default": 200000, "MinValue": 1,
            "Description": "The account's monthly cost budget in USD: notified at 80 % spent and at 100 % "
                           "forecast (national scale: about 175,000 $, SMS for the most part)"},
    }


def _alarm(name: str, description: str, **properties) -> dict:
    """An alarm that notifies the alarms topic when it fires and when it clears. Missing data is
    no failure (no invocation, no error) unless the alarm says otherwise (a heartbeat's)."""
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
            **_ses_reputation("Reputation.BounceRate", 0.04, "GreaterThanThreshold")),
        "SmsFailuresAlarm": _alarm(
            f"{prefix}-sms-failures", "Many SMS were refused for good (invalid number, carrier refusal) in one hour.",
            Namespace=NAMESPACE, MetricName="sms_failed", Dimensions=SERVICE, Statistic="Sum",
            Period=3600, EvaluationPeriods=1, Threshold={"Ref": "SmsFailuresThreshold"},
            ComparisonOperator="GreaterThanOrEqualToThreshold"),
        "LadderUnaddressedAlarm": _alarm(
            f"{prefix}-ladder-unaddressed",
            "A ladder stage reached nobody: a territory has no coordinator and "
            "RELAIS_NATIONAL_COORDINATION_EMAIL is not set.",
            **_relais_count("ladder_stage_unaddressed", 3600)),
        # The API function's crashes and timeouts reach users as 5xx: this alarm is the API's
        # errors alarm, on the rate users see (at least 5 errors, so that a quiet night's single
        # error among three requests does not page).
        "ApiErrorsAlarm": _alarm(
            f"{prefix}-api-5xx",
            "At least 5 % of the API's requests (and at least 5) answered with a server error (5xx) "
            "in two 5-minute periods running.",
            Metrics=[_api("errors", "5XXError"), _api("requests", "Count"),
                     {"Id": "rate", "Label": "5xx rate", "ReturnData": True,
                      "Expression": f"IF(errors >= {API_MIN_ERRORS}, errors / requests, 0)"}],
            EvaluationPeriods=2, Threshold=API_ERROR_RATE, ComparisonOperator="GreaterThanOrEqualToThreshold"),
        "StreamLagAlarm": _alarm(
            f"{prefix}-outbox-lag",
            "Emails and results lag: the stream consumer is more than 15 minutes behind the table.",
            Namespace="AWS/Lambda", MetricName="IteratorAge",
            Dimensions=[{"Name": "FunctionName", "Value": {"Ref": _stream_function()}}],
            Statistic="Maximum", Period=300, EvaluationPeriods=2, Threshold=900_000,
            ComparisonOperator="GreaterThanThreshold"),
        "FailedEventsAgeAlarm": _alarm(
            f"{prefix}-failed-events-age",
            "A message has waited in the failed-events queue for 6 hours: a stream batch must be redriven "
            "within the stream's 24 hours.",
            Namespace="AWS/SQS", MetricName="ApproximateAgeOfOldestMessage",
            Dimensions=[{"Name": "QueueName", "Value": {"Fn::GetAtt": ["FailedEventsQueue", "QueueName"]}}],
            Statistic="Maximum", Period=300, EvaluationPeriods=1, Threshold=FAILED_EVENT_MAX_AGE,
            ComparisonOperator="GreaterThanOrEqualToThreshold"),
        "SesComplaintRateAlarm": _alarm(
            f"{prefix}-ses-complaint-rate",
            "The account's SES complaint rate reached 0.05 %: SES reviews the account at 0.1 %.",
            **_ses_reputation("Reputation.ComplaintRate", 0.0005, "GreaterThanOrEqualToThreshold")),
        # End User Messaging SMS publishes the month's SMS spend in AWS/SMSVoice; SNS (through which
        # SMS may still leave) in AWS/SNS. The larger of the two, against the account's limit.
        "SmsSpendAlarm": _alarm(
            f"{prefix}-sms-spend",
            "This month's SMS spend reached 80 % of the account's SMS spend limit (SmsMonthlySpendLimit): "
            "at 100 % no SMS leaves until the month ends or the limit is raised.",
            Metrics=[_spend("eum", "AWS/SMSVoice", "TextMessageMonthlySpend"),
                     _spend("sns", "AWS/SNS", "SMSMonthToDateSpentUSD"),
                     {"Id": "share", "Label": "share of the limit", "ReturnData": True,
                      "Expression": {"Fn::Sub": "MAX([eum, sns]) / ${SmsMonthlySpendLimit}"}}],
            EvaluationPeriods=1, Threshold=0.8, ComparisonOperator="GreaterThanOrEqualToThreshold"),
        "ResultsDriftAlarm": _alarm(
            f"{prefix}-results-drifted",
            "The weekly results check found published figures that did not match the source data "
            "(and repaired them).",
            **_relais_count("results_cells_drifted", 3600)),
        "ResultsFailuresAlarm": _alarm(
            f"{prefix}-results-failures",
            "The outbox could not apply a change to the published results (the weekly check repairs it).",
            **_relais_count("results_failures", 3600)),
        "RetentionFailuresAlarm": _alarm(
            f"{prefix}-retention-failures",
            "The retention job could not wipe a closed case's personal data (it tries again each night).",
            **_relais_count("retention_failures", 3600)),
        "ThrottledRequestsAlarm": _alarm(
            f"{prefix}-table-throttled-requests",
            "DynamoDB throttled requests to the table (any operation).",
            Metrics=[{"Id": "throttled", "ReturnData": True, "Period": 300, "Expression": (
                'SELECT SUM(ThrottledRequests) FROM SCHEMA("AWS/DynamoDB", Operation, TableName) '
                f"WHERE TableName = '{names(stage)['table']}'")}],
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold"),
    }
    for function in functions():
        resources.update(function_alarms(prefix, function, timeout(function, stage)))
    resources.update(table_alarms(prefix, names(stage)["table"]))
    return resources


API_ERROR_RATE = 0.05
API_MIN_ERRORS = 5
FAILED_EVENT_MAX_AGE = 6 * 3600       # seconds: 18 of the stream's 24 hours left to redrive
DURATION_SHARE = 0.8                  # a function's longest run against its timeout
CHALICE_TIMEOUT = 60                  # seconds, when .chalice/config.json names none


def _api(metric_id: str, metric: str) -> dict:
    return {"Id": metric_id, "ReturnData": False, "MetricStat": {"Stat": "Sum", "Period": 300, "Metric": {
        "Namespace": "AWS/ApiGateway", "MetricName": metric,
        "Dimensions": [{"Name": "ApiName", "Value": "relais"}, {"Name": "Stage", "Value": "api"}]}}}


def _spend(metric_id: str, namespace: str, metric: str) -> dict:
    return {"Id": metric_id, "ReturnData": False, "MetricStat": {"Stat": "Maximum", "Period": 3600, "Metric": {
        "Namespace": namespace, "MetricName": metric}}}


def _ses_reputation(metric: str, threshold: float, operator: str) -> dict:
    """The account's SES reputation (bounce or complaint rate), its worst hour."""
    return dict(Namespace="AWS/SES", MetricName=metric, Statistic="Maximum", Period=3600, EvaluationPeriods=1,
                Threshold=threshold, ComparisonOperator=operator)


def _relais_count(metric: str, period: int) -> dict:
    """At least one `metric` (an EMF counter of the code) in a period."""
    return dict(Namespace=NAMESPACE, MetricName=metric, Dimensions=SERVICE, Statistic="Sum", Period=period,
                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")


def timeout(function: Function, stage: str) -> int:
    """A function's timeout in seconds, as the package sets it: the template's own (the job
    worker's), else .chalice/config.json's for the function, the stage, the app, else chalice's."""
    from infra import template  # imports this module: read at call time

    if function.name == "run_job_units":
        return template.JOB_WORKER_TIMEOUT
    config = json.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    stage_config = config["stages"][stage]
    for scope in (stage_config.get("lambda_functions", {}).get(function.name, {}), stage_config,
                  config.get("lambda_functions", {}).get(function.name, {}), config):
        if "lambda_timeout" in scope:
            return int(scope["lambda_timeout"])
    return CHALICE_TIMEOUT


def _kebab(name: str) -> str:
    return name.replace("_", "-")


def function_alarms(prefix: str, function: Function, timeout_seconds: int) -> dict:
    """A function's alarms, by how it fails:
    - asynchronous (SNS, EventBridge): one error (Lambda retries twice, then the failed-events queue);
    - stream and queue consumers: errors in two 5-minute periods running (their source retries;
      the outbox lag and the dead-letter queues say what stays behind);
    - the API: none here, its 5xx rate (api-5xx) is what users see;
    and for every one: throttles, its longest run near its timeout, and a scheduled job's heartbeat."""
    name, logical_id = f"{prefix}-{_kebab(function.name)}", function.logical_id
    lambda_metric = dict(Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName", "Value": {"Ref": logical_id}}],
                         Period=300, ComparisonOperator="GreaterThanOrEqualToThreshold")
    resources = {}
    if function.kind != "api":
        periods = 1 if function.asynchronous else 2
        when = "once" if function.asynchronous else "in two 5-minute periods running"
        resources[f"{logical_id}ErrorsAlarm"] = _alarm(
            f"{name}-errors", f"The {function.name} function failed ({function.kind}) {when}.",
            MetricName="Errors", Statistic="Sum", EvaluationPeriods=periods, Threshold=1, **lambda_metric)
    resources[f"{logical_id}ThrottlesAlarm"] = _alarm(
        f"{name}-throttles", f"Lambda throttled the {function.name} function (concurrency).",
        MetricName="Throttles", Statistic="Sum", EvaluationPeriods=1, Threshold=1, **lambda_metric)
    resources[f"{logical_id}DurationAlarm"] = _alarm(
        f"{name}-duration",
        f"A run of the {function.name} function took {DURATION_SHARE:.0%} of its {timeout_seconds} s timeout.",
        MetricName="Duration", Statistic="Maximum", EvaluationPeriods=1,
        Threshold=round(DURATION_SHARE * timeout_seconds * 1000), **lambda_metric)
    window = heartbeat_window(function.schedule) if function.schedule else None
    if window:
        resources[f"{logical_id}HeartbeatAlarm"] = _alarm(
            f"{name}-heartbeat",
            f"The {function.name} job did not plan a run in the last {_duration(window.period)} "
            f"({function.schedule}): its schedule stopped, or every run failed.",
            Namespace=NAMESPACE, MetricName="job_ran",
            Dimensions=[*SERVICE, {"Name": "job", "Value": function.name}], Statistic="Sum",
            Period=window.period, EvaluationPeriods=1, Threshold=1, ComparisonOperator="LessThanThreshold",
            TreatMissingData="breaching",
            **({"EvaluationWindow": {"WallClockWindow": {"Timezone": "UTC"}}} if window.wall_clock else {}))
    return resources


def _duration(seconds: int) -> str:
    for unit, length in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % length == 0:
            count = seconds // length
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{seconds} s"


def table_alarms(prefix: str, table_name: str) -> dict:
    """Read and write throttle events on the table and on each of its indexes (infra/table.json)."""
    resources = {}
    indexes = [None] + [index["IndexName"] for index in table_definition()["GlobalSecondaryIndexes"]]
    for index in indexes:
        dimensions = [{"Name": "TableName", "Value": table_name}]
        if index:
            dimensions.append({"Name": "GlobalSecondaryIndexName", "Value": index})
        for kind in ("Read", "Write"):
            resources[f"{index or 'Table'}{kind}ThrottlesAlarm"] = _alarm(
                f"{prefix}-{(index or 'table').lower()}-{kind.lower()}-throttles",
                f"DynamoDB throttled {kind.lower()}s on the {'index ' + index if index else 'table'}.",
                Namespace="AWS/DynamoDB", MetricName=f"{kind}ThrottleEvents", Dimensions=dimensions,
                Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
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


def _log_groups(only: tuple[str, ...] = ()) -> list:
    """The log groups of the functions named, or of every function."""
    return [{"Fn::Sub": f"/aws/lambda/${{{f.logical_id}}}"} for f in functions() if not only or f.name in only]


# The runbook's investigations (docs/operations.md), saved in CloudWatch → Logs Insights → Saved
# queries, folder relais-<stage>. Logs hold ids, codes and counts only: so do the answers.
QUERIES = {
    "case-history": ((), (
        '# Replace the reference by the case\'s.\n'
        'fields @timestamp, function_name, level, message, escalation_id\n'
        '| filter case_ref = "61-K7M-4QX"\n'
        '| sort @timestamp asc\n| limit 500')),
    "errors-by-function": ((), (
        'fields @timestamp, function_name, message, case_ref\n'
        '| filter level = "ERROR" or @message like /Task timed out|Runtime.ExitError|ConfigError/\n'
        '| stats count(*) as errors, latest(message) as last_message by function_name\n'
        '| sort errors desc')),
    "job-runs": (("reminders", "weekly_digest", "results_check", "retention",
                                         "quarterly_report", "run_job_units"), (
        'fields @timestamp, function_name, job, unit, message, level\n'
        '| filter message in ["scheduled job planned", "reminder sweep planned", "job unit done", '
        '"job unit deferred by the email pacing"] or level = "ERROR"\n'
        '| sort @timestamp desc\n| limit 200')),
    "sms-failures": (("send_sms", "receive_sms", "sms_events"), (
        'fields @timestamp, message, reason, code, event\n'
        '| filter message in ["SMS dropped", "SMS provider throttled: the SMS is queued again", '
        '"opt-out confirmation not sent", "inbound SMS notification unreadable: dropped", '
        '"SMS not delivered", "SMS event unreadable: dropped"] or level = "ERROR"\n'
        '| stats count(*) as times by message, reason, code, event\n| sort times desc')),
    "inbound-quarantine": (("receive_email",), (
        'fields @timestamp, case_ref, outcome, reason\n'
        '| filter message = "inbound email processed" and outcome in ["quarantined", "unthreaded", "unparseable"]\n'
        '| sort @timestamp desc\n| limit 200')),
}


def queries(stage: str) -> dict:
    resources = {}
    for name, (only, query) in QUERIES.items():
        logical_id = "".join(part.title() for part in name.split("-")) + "Query"
        resources[logical_id] = {"Type": "AWS::Logs::QueryDefinition", "Properties": {
            "Name": f"relais-{stage}/{name}", "QueryString": query, "LogGroupNames": _log_groups(only)}}
    return resources


def budget(stage: str) -> dict:
    """The account's monthly cost budget (MonthlyBudget, USD: AWS budgets count in the account's
    currency), told to the alarms topic at 80 % spent and at 100 % forecast."""
    def notify(kind: str, percent: int) -> dict:
        return {"Notification": {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN",
                                 "Threshold": percent, "ThresholdType": "PERCENTAGE"},
                "Subscribers": [{"SubscriptionType": "SNS", "Address": {"Ref": "AlarmTopic"}}]}

    return {"CostBudget": {"Type": "AWS::Budgets::Budget", "DependsOn": "AlarmTopicPolicy", "Properties": {
        "Budget": {"BudgetName": f"relais-{stage}-monthly", "BudgetType": "COST", "TimeUnit": "MONTHLY",
                   "BudgetLimit": {"Amount": {"Ref": "MonthlyBudget"}, "Unit": "USD"}},
        "NotificationsWithSubscribers": [notify("ACTUAL", 80), notify("FORECASTED", 100)]}}}
