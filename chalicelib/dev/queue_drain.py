"""A queue (the SMS queue, the job queue), read from (emulated) SQS and handed to its worker, as
Lambda's SQS event source does in AWS. Dev stage only; called after each request, after the
stream drain. A queue the in-process emulation knows to be empty costs no call: the drain
runs after every request of the tests and of `make run`."""
from __future__ import annotations

import threading

_lock = threading.Lock()
_urls: dict[tuple[str, str], str] = {}       # (region, queue name) -> its URL, which never changes


def drain(deps, queue: str, handler) -> int:
    from . import emulation

    if emulation.queue_is_empty(deps.settings.region, queue):
        return 0
    with _lock:
        url = _urls.get((deps.settings.region, queue))
        if url is None:
            url = _urls[(deps.settings.region, queue)] = deps.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        arn = f"arn:aws:sqs:{deps.settings.region}:000000000000:{queue}"
        handled = 0
        while True:
            received = deps.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=0).get("Messages", [])
            if not received:
                return handled
            records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                        "body": m["Body"], "attributes": {"ApproximateReceiveCount": "1"},
                        "messageAttributes": {}, "eventSource": "aws:sqs", "eventSourceARN": arn,
                        "awsRegion": deps.settings.region} for m in received]
            result = handler({"Records": records}) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            for message in received:
                if message["MessageId"] not in failed:
                    deps.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            handled += len(received) - len(failed)
            if failed:
                return handled      # held or failing: they come back when SQS shows them again
