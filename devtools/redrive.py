"""Redrive the failed-events queue: `python -m devtools.redrive --stage prod` (AWS credentials).

Two kinds of message land in relais-<stage>-failed-events (docs/operations.md):
- a stream batch that failed after every retry: Lambda sends its coordinates (shard and
  sequence numbers), not its records. They are read again from the table's stream (it keeps
  24 hours) and handed to the stream function, synchronously;
- an asynchronous invocation (inbound mail or SMS, SES event, scheduled job) that failed
  three times: its original event is sent to its function again.

A batch older than the stream's 24 hours cannot be read again: it is counted as expired and
left in the queue. Every handler is idempotent (emails and SMS are sent once, results entries are written once per version), so a
redrive never sends twice. A message is deleted only once its redrive succeeded.
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime

Invoke = Callable[[str, dict, bool], bool]      # (function ARN, event, synchronous) -> succeeded


def _plain(value):
    """A stream record as Lambda delivers it: times as epoch seconds."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def stream_event(streams, info: dict) -> dict:
    """The records of a failed batch, read again from the stream, as the mapping sent them."""
    start, end = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"], ShardId=info["shardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"])["ShardIterator"]
    records: list[dict] = []
    while iterator:
        response = streams.get_records(ShardIterator=iterator, Limit=1000)
        batch = response.get("Records", [])
        for record in batch:
            if int(record["dynamodb"]["SequenceNumber"]) > end:
                return {"Records": records}
            if int(record["dynamodb"]["SequenceNumber"]) >= start:
                records.append({**_plain(record), "eventSourceARN": info["streamArn"]})
        if not batch:
            break
        iterator = response.get("NextShardIterator")
    return {"Records": records}


def redrive(sqs, queue_url: str, streams, invoke: Invoke, limit: int = 1000) -> dict[str, int]:
    """Redrive up to `limit` messages; returns how many were redriven, kept and unknown."""
    counts = {"redriven": 0, "kept": 0, "unknown": 0, "expired": 0}
    while sum(counts.values()) < limit:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                       VisibilityTimeout=300).get("Messages", [])
        if not messages:
            break
        for message in messages:
            body = json.loads(message["Body"])
            function = body.get("requestContext", {}).get("functionArn", "")
            if "DDBStreamBatchInfo" in body:
                try:
                    event = stream_event(streams, body["DDBStreamBatchInfo"])
                except streams.exceptions.TrimmedDataAccessException:
                    # Older than the stream's 24 hours: kept in the queue for a person to read
                    # (docs/operations.md), and the others go on.
                    counts["expired"] += 1
                    continue
                done = invoke(function, event, True)
            elif "requestPayload" in body:
                done = invoke(function, body["requestPayload"], False)
            else:
                counts["unknown"] += 1
                continue
            if done:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                counts["redriven"] += 1
            else:
                counts["kept"] += 1
    return counts


def lambda_invoker(lambda_client) -> Invoke:
    def invoke(function_arn: str, event: dict, synchronous: bool) -> bool:
        response = lambda_client.invoke(FunctionName=function_arn, Payload=json.dumps(event).encode(),
                                        InvocationType="RequestResponse" if synchronous else "Event")
        if not synchronous:
            return response["StatusCode"] == 202
        result = json.loads(response["Payload"].read() or b"{}")
        return "FunctionError" not in response and not (result or {}).get("batchItemFailures")
    return invoke


def main() -> None:
    import boto3

    from infra.names import names

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    session = boto3.Session()
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName=names(args.stage)["failed_events"])["QueueUrl"]
    print(json.dumps(redrive(sqs, url, session.client("dynamodbstreams"),
                             lambda_invoker(session.client("lambda")), args.limit)))


if __name__ == "__main__":
    main()
