"""Outbound SMS, behind a small interface: AWS End User Messaging SMS (`pinpoint-sms-voice-v2`
SendTextMessage), from an origination identity that can receive the usagers' replies."""
from __future__ import annotations

from typing import Protocol

from .errors import ProviderError, translated

# SendTextMessage's refusals that a retry would meet again: a request the service finds invalid
# (ValidationException, its Reason says why: CANNOT_PARSE, INVALID_IDENTITY_FOR_DESTINATION_COUNTRY...),
# a destination on the opt-out list (ConflictException, DESTINATION_PHONE_NUMBER_OPTED_OUT), a
# role or an origination identity that is not there (AccessDeniedException,
# ResourceNotFoundException). Throttling, the spend limit or a daily cap reached
# (ServiceQuotaExceededException: it lifts when ops raise it, or the next day or month) and the
# service's own failures (InternalServerException) are TransientErrors: the SMS queue retries
# them, then keeps them in its dead letters for a redrive.
PERMANENT_CODES = frozenset({"ValidationException", "ConflictException", "AccessDeniedException",
                             "ResourceNotFoundException"})
MESSAGE_TYPE = "TRANSACTIONAL"        # case notices, not marketing: never held to marketing hours


class SmsSender(Protocol):
    def send(self, phone_e164: str, text: str) -> str:
        """Send one SMS; returns the provider's message id. Raises a PermanentError or a
        TransientError (adapters/errors.py)."""
        ...


class EndUserMessagingSmsSender:
    """Transactional SMS through AWS End User Messaging SMS.

    `origination_identity`: the pool (or phone number, or sender id) the SMS leaves from, its id
    or ARN; the pool's two-way channel brings the replies back (infra/sms.py). None lets the
    service choose among the account's identities. `configuration_set`: where the delivery
    receipts go (its event destination, then the sms_events function)."""

    def __init__(self, client, origination_identity: str | None, configuration_set: str | None):
        self._client = client
        self._origin = {"OriginationIdentity": origination_identity} if origination_identity else {}
        self._events = {"ConfigurationSetName": configuration_set} if configuration_set else {}

    def send(self, phone_e164: str, text: str) -> str:
        from botocore.exceptions import ClientError

        try:
            response = self._client.send_text_message(
                DestinationPhoneNumber=phone_e164, MessageBody=text, MessageType=MESSAGE_TYPE,
                **self._origin, **self._events)
        except ClientError as exc:
            raise _with_reason(translated(exc, PERMANENT_CODES), exc) from exc
        return response["MessageId"]


def _with_reason(error: ProviderError, exc) -> ProviderError:
    """The service's Reason (DESTINATION_PHONE_NUMBER_OPTED_OUT, MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT...)
    in the error's code, as "ConflictException:DESTINATION_PHONE_NUMBER_OPTED_OUT": the logs say
    which refusal it was (never the number nor the text)."""
    reason = getattr(exc, "response", {}).get("Reason")
    if not reason:
        return error
    return type(error)(f"{error.code}:{reason}", str(error).partition(": ")[2])
