"""Typed domain errors; chalicelib.api.http maps them to HTTP in one place."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: every error a user can cause or see."""

    code = "error"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    code = "invalid_input"

    def __init__(self, message: str, field: str | None = None,
                 errors: list[dict[str, Any]] | None = None):
        super().__init__(message, field)
        self.errors = errors or ([{"field": field, "message": message}] if field else [])


class FileRefused(InvalidInput):
    """A file Relais does not keep; `reason` says why: "type" or "size"."""

    def __init__(self, message: str, reason: str):
        super().__init__(message, field="file")
        self.reason = reason


class NotAuthenticated(DomainError):
    code = "not_authenticated"


class NotAllowed(DomainError):
    code = "not_allowed"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """A state transition that the current state forbids, or a lost race."""

    code = "conflict"


class TooManyRequests(DomainError):
    """A rate limit reached (experiences posted from one address): try again later."""

    code = "too_many_requests"


class TokenInvalid(DomainError):
    code = "token_invalid"


class RaceLost(Conflict):
    """A conditional write failed because someone else wrote first: read again and retry."""
