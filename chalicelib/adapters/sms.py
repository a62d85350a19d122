"""Outbound SMS, behind a small interface so AWS End User Messaging can replace SNS."""
from __future__ import annotations

from typing import Protocol

from .errors import translated

# The provider's refusals that a retry would meet again (PermanentError); any other error is
# a TransientError.
PERMANENT_CODES = frozenset({"InvalidParameter", "InvalidParameterValue", "ValidationException", "OptedOut",
                             "EndpointDisabled", "AuthorizationError"})


class SmsSender(Protocol):
    def send(self, phone_e164: str, text: str) -> str:
        """Send one SMS; returns the provider's message id. Raises a PermanentError or a
        TransientError (adapters/errors.py)."""
        ...


class SnsSmsSender:
    """Transactional SMS through SNS Publish, with an alphanumeric sender id."""

    def __init__(self, client, sender_id: str):
        self._client = client
        self._sender_id = sender_id

    def send(self, phone_e164: str, text: str) -> str:
        from botocore.exceptions import ClientError

        try:
            response = self._client.publish(
                PhoneNumber=phone_e164, Message=text,
                MessageAttributes={
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": self._sender_id},
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                })
        except ClientError as exc:
            raise translated(exc, PERMANENT_CODES) from exc
        return response["MessageId"]
