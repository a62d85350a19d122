"""SQS queues, by name: each queue's URL is asked once, then kept for the process."""
from __future__ import annotations

import threading

from .errors import translated


class Queues:
    """Messages put on a queue, and a received message's visibility, by queue name."""

    def __init__(self, client):
        self._client = client
        self._urls: dict[str, str] = {}
        self._lock = threading.Lock()

    def _url(self, name: str) -> str:
        with self._lock:
            url = self._urls.get(name)
        if url is None:
            url = self._client.get_queue_url(QueueName=name)["QueueUrl"]
            with self._lock:
                self._urls[name] = url
        return url

    def send(self, name: str, body: str, delay_seconds: int = 0) -> None:
        """Put one message on the queue, visible after `delay_seconds` (at most 900: SQS's)."""
        extra = {"DelaySeconds": max(0, min(900, delay_seconds))} if delay_seconds else {}
        self._client.send_message(QueueUrl=self._url(name), MessageBody=body, **extra)

    def send_many(self, name: str, bodies: list[str]) -> None:
        """Put messages on the queue, ten to a call; what SQS leaves unsent is sent again (a
        ProviderError if it still refuses after a few rounds)."""
        import time

        url = self._url(name)
        for start in range(0, len(bodies), 10):
            pending = {str(i): body for i, body in enumerate(bodies[start:start + 10])}
            for attempt in range(5):
                response = self._client.send_message_batch(QueueUrl=url, Entries=[
                    {"Id": key, "MessageBody": body} for key, body in pending.items()])
                pending = {f["Id"]: pending[f["Id"]] for f in response.get("Failed", [])}
                if not pending:
                    break
                time.sleep(0.05 * 2 ** attempt)
            if pending:
                from .errors import TransientError

                raise TransientError("BatchEntriesFailed", f"{len(pending)} messages not queued")

    def change_visibility(self, name: str, receipt: str, seconds: int) -> None:
        """Hide a received message for `seconds` more (0: at once visible). Raises a
        ProviderError if SQS refuses (the receipt expired, say)."""
        from botocore.exceptions import ClientError

        try:
            url = self._url(name)
            self._client.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt,
                                                   VisibilityTimeout=seconds)
        except ClientError as exc:
            raise translated(exc) from exc
