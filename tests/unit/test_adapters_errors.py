"""The S3 and SQS adapters speak the services' language: their own errors, and each
queue's URL asked once."""
import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.documents import Documents
from chalicelib.adapters.errors import NotStored, TransientError
from chalicelib.adapters.queue import Queues


def client_error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, operation)


class FakeSqs:
    def __init__(self):
        self.calls = []

    def get_queue_url(self, QueueName):
        self.calls.append(("get_queue_url", QueueName))
        return {"QueueUrl": f"https://sqs/{QueueName}"}

    def send_message(self, QueueUrl, MessageBody):
        self.calls.append(("send_message", QueueUrl, MessageBody))

    def change_message_visibility(self, QueueUrl, ReceiptHandle, VisibilityTimeout):
        raise client_error("ReceiptHandleIsInvalid", "ChangeMessageVisibility")


def test_a_queue_url_is_asked_once_per_queue_name():
    sqs = FakeSqs()
    queues = Queues(sqs)
    queues.send("relais-sms", "1")
    queues.send("relais-sms", "2")
    queues.send("other", "3")
    assert [c for c in sqs.calls if c[0] == "get_queue_url"] == [("get_queue_url", "relais-sms"),
                                                                  ("get_queue_url", "other")]
    assert ("send_message", "https://sqs/relais-sms", "2") in sqs.calls


def test_a_refused_visibility_change_is_a_provider_error():
    with pytest.raises(TransientError) as raised:
        Queues(FakeSqs()).change_visibility("relais-sms", "r-1", 30)
    assert raised.value.code == "ReceiptHandleIsInvalid"


def test_a_missing_object_is_not_stored_and_other_s3_errors_go_up_unchanged():
    class FakeS3:
        def __init__(self, code):
            self.code = code

        def head_object(self, Bucket, Key):
            raise client_error(self.code, "HeadObject")

        def get_object(self, Bucket, Key):
            raise client_error(self.code, "GetObject")

    missing = Documents(lambda: FakeS3("404"), lambda: None, "bucket")
    with pytest.raises(NotStored):
        missing.head("k")
    with pytest.raises(NotStored):
        Documents(lambda: FakeS3("NoSuchKey"), lambda: None, "bucket").fetch("k")
    with pytest.raises(ClientError):
        Documents(lambda: FakeS3("SlowDown"), lambda: None, "bucket").head("k")
