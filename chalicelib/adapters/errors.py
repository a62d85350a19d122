"""What the outside world's failures mean to the services, so that no service reads botocore.

The adapters translate a `ClientError` into one of these where its code means something to the
caller (an SMS the provider refuses, an object that is not there); `raise ... from exc` keeps
the provider's error for the logs.
"""
from __future__ import annotations


class ProviderError(Exception):
    """An AWS call failed; `code` is the provider's error code."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


class PermanentError(ProviderError):
    """The provider refused the request itself: sending it again would fail again."""


class TransientError(ProviderError):
    """The provider could not answer now (throttling, an outage): a later retry may succeed."""


class NotStored(PermanentError):
    """The stored object asked for does not exist (or no longer does)."""


def error_code(exc) -> str:
    """A botocore ClientError's code ("" if it has none)."""
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def translated(exc, permanent: frozenset[str] = frozenset()) -> ProviderError:
    """A botocore ClientError as a ProviderError: permanent if its code is one of `permanent`."""
    code = error_code(exc)
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
    return (PermanentError if code in permanent else TransientError)(code, message)


THROTTLED = {"ThrottlingException", "ProvisionedThroughputExceededException",
              "RequestLimitExceeded", "TooManyRequestsException", "Throttling"}


def throttled(exc: BaseException) -> bool:
    """AWS refused for load, after the SDK's own retries (a 503 with Retry-After, not a 500)."""
    from botocore.exceptions import ClientError

    return isinstance(exc, ClientError) and error_code(exc) in THROTTLED


def failures() -> tuple[type[BaseException], ...]:
    """Every failure of an AWS call, for an `except` that must see them all: ours, and botocore's
    ClientError of the calls whose errors no adapter translates (DynamoDB's throttling, say)."""
    from botocore.exceptions import ClientError

    return (ProviderError, ClientError)
