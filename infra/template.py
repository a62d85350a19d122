"""The CloudFormation resources merged into Chalice's package (`chalice package --merge-template`).

Today: the table, from table.json. The deployment issue adds buckets, topics, queues, alarms.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from infra.table import cloudformation_resource


def sms_queues() -> dict:
    """The SMS queue and its dead-letter queue, with an alarm as soon as a message lands there.

    maxReceiveCount is high enough for quiet hours: a held SMS comes back at most every 12 hours
    (three times over a long weekend) before it is sent."""
    return {
        "SmsDeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": "relais-prod-sms-dlq", "MessageRetentionPeriod": 1209600,
            "SqsManagedSseEnabled": True}},
        "SmsQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": "relais-prod-sms", "VisibilityTimeout": 60, "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["SmsDeadLetterQueue", "Arn"]},
                              "maxReceiveCount": 12}}},
        "SmsDeadLetterAlarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": "relais-prod-sms-dead-letters",
            "AlarmDescription": "SMS that could not be sent after every retry: see docs/sms.md",
            "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": "relais-prod-sms-dlq"}],
            "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching"}},
    }


def template() -> dict:
    return {"Resources": {"RelaisTable": cloudformation_resource(), **sms_queues()}}


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/infra.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(template(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")
