"""Outbound SMS, behind a small interface so AWS End User Messaging can replace SNS."""
from __future__ import annotations

from typing import Protocol


class SmsSender(Protocol):
    def send(self, phone_e164: str, text: str) -> str: ...


class SnsSmsSender:
    """Transactional SMS through SNS Publish, with an alphanumeric sender id."""

    def __init__(self, client, sender_id: str):
        self._client = client
        self._sender_id = sender_id

    def send(self, phone_e164: str, text: str) -> str:
        response = self._client.publish(
            PhoneNumber=phone_e164, Message=text,
            MessageAttributes={
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": self._sender_id},
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            })
        return response["MessageId"]
