"""Every setting, read from the environment in one place, once, when first needed; a value
out of its bounds or unreadable is refused there (ConfigError), never clamped."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_name: str
    dynamodb_endpoint: str | None
    aws_emulation: str | None          # "moto" in the dev stage: SES, SNS, S3, SQS in-process
    base_url: str
    mail_from: str
    sms_sender_id: str
    ses_configuration_set: str | None
    inbound_domain: str                # replies arrive at reponse+<token>@<inbound_domain>
    mail_bucket: str                   # raw inbound email (kept for audit) and attachments
    s3_public_endpoint: str | None     # S3 as the browser reaches it, when not AWS's (dev: moto's server)
    sms_queue: str                     # the SQS queue the SMS worker reads
    login_token_minutes: int
    session_hours: int
    ladder_spec: str | None            # "reminder:-1,breach:0,manager:2,coordinator:5" (default)
    retention_months: int              # a closed case's personal data is wiped this long after
    feedback_retention_months: int     # agents' feedback (free text) is deleted this long after it was sent
    # The ladder's coordinator stage goes there for a territory with no coordinator in Relais.
    national_coordination_email: str | None

    @property
    def is_dev(self) -> bool:
        return self.stage == "dev"

    @property
    def ladder(self):
        from .domain import ladder
        return ladder.parse(self.ladder_spec)

    @property
    def secure_cookies(self) -> bool:
        return not self.is_dev


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class ConfigError(ValueError):
    """The environment gives a setting a value Relais refuses. Raised when the settings are
    loaded, at a function's cold start, naming every variable at fault: a bad value stops
    the function instead of being clamped or guessed."""


_WHOLE = re.compile(r"[0-9]+")
_PATTERNS = {
    # name: (pattern, what it must be)
    "RELAIS_STAGE": (r"[a-z][a-z0-9-]*", "lower case letters, digits and dashes, as in prod"),
    "AWS_REGION": (r"[a-z]{2}(-[a-z]+)+-[0-9]+", "an AWS region, as in eu-west-3"),
    "RELAIS_TABLE": (r"[A-Za-z0-9_.-]{3,255}", "a DynamoDB table name"),
    "RELAIS_AWS_EMULATION": (r"moto", "moto, or unset for AWS itself"),
    "RELAIS_SMS_SENDER_ID": (r"(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{1,11}",
                             "an SMS sender id: 1 to 11 letters and digits, at least one letter"),
    "RELAIS_SES_CONFIGURATION_SET": (r"[A-Za-z0-9_-]{1,64}", "an SES configuration set name"),
    "RELAIS_INBOUND_DOMAIN": (r"(?=.{4,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}",
                              "a domain name, as in in.relais.example.org"),
    "RELAIS_MAIL_BUCKET": (r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "an S3 bucket name"),
    "RELAIS_SMS_QUEUE": (r"[A-Za-z0-9_-]{1,80}", "an SQS queue name"),
}
_PATTERNS["AWS_DEFAULT_REGION"] = _PATTERNS["AWS_REGION"]
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _is_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port          # noqa: B018 - a port that is not a number raises ValueError
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not (parts.query or parts.fragment)


class _Reader:
    """Reads the variables, and notes each refused value instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def refuse(self, name: str, value: str, expected: str) -> None:
        self.problems.append(f"{name}={value!r}: expected {expected}")

    def text(self, name: str, default: str | None = None) -> str | None:
        value = _env(name, default)
        if value is not None and name in _PATTERNS:
            pattern, expected = _PATTERNS[name]
            if not re.fullmatch(pattern, value):
                self.refuse(name, value, expected)
        return value

    def url(self, name: str, default: str | None = None) -> str | None:
        value = _env(name, default)
        if value is not None and not _is_url(value):
            self.refuse(name, value, "an http:// or https:// address, without query")
        return value

    def address(self, name: str, default: str) -> str:
        value = _env(name, default)
        if not _ADDRESS.fullmatch(parseaddr(value)[1]):
            self.refuse(name, value, "an email address, as in Relais SP+ <ne-pas-repondre@relais.example.org>")
        return value

    def whole(self, name: str, default: int, minimum: int, maximum: int | None = None, unit: str = "") -> int:
        """A whole number within its bounds; never clamped: out of bounds is refused."""
        value = _env(name)
        if value is None:
            return default
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        if not _WHOLE.fullmatch(value.strip()) or not (
                minimum <= int(value) and (maximum is None or int(value) <= maximum)):
            self.refuse(name, value, f"a whole number of {unit}, {bounds} (default {default})")
            return default
        return int(value)

    def recipient(self, name: str) -> str | None:
        """A bare email address to send to, or None when unset."""
        value = _env(name)
        if value is not None and not _ADDRESS.fullmatch(value):
            self.refuse(name, value, "an email address, as in coordination@example.org")
        return value

    def ladder(self, name: str) -> str | None:
        from .domain import ladder

        value = _env(name)
        try:
            ladder.parse(value)
        except ValueError as error:
            self.refuse(name, value, f"stages as in reminder:-1,breach:0,manager:2,coordinator:5 ({error})")
        return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings, read once; ConfigError (naming each variable at fault) if any is refused."""
    read = _Reader()
    # Fails closed: without an explicit stage, no dev route and no plain-http cookie.
    stage = read.text("RELAIS_STAGE", "prod")
    loaded = Settings(
        stage=stage,
        region=read.text("AWS_REGION" if _env("AWS_REGION") or not _env("AWS_DEFAULT_REGION")
                         else "AWS_DEFAULT_REGION", "eu-west-3"),
        table_name=read.text("RELAIS_TABLE", f"relais-{stage}"),
        dynamodb_endpoint=read.url("RELAIS_DYNAMODB_ENDPOINT"),
        aws_emulation=read.text("RELAIS_AWS_EMULATION"),
        base_url=read.url("RELAIS_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        mail_from=read.address("RELAIS_MAIL_FROM", "Relais SP+ <ne-pas-repondre@relais.example.org>"),
        sms_sender_id=read.text("RELAIS_SMS_SENDER_ID", "RelaisSP"),
        ses_configuration_set=read.text("RELAIS_SES_CONFIGURATION_SET"),
        inbound_domain=read.text("RELAIS_INBOUND_DOMAIN", "in.relais.example.org"),
        mail_bucket=read.text("RELAIS_MAIL_BUCKET", f"relais-{stage}-mail"),
        s3_public_endpoint=read.url("RELAIS_S3_PUBLIC_ENDPOINT"),
        sms_queue=read.text("RELAIS_SMS_QUEUE", f"relais-{stage}-sms"),
        login_token_minutes=read.whole("RELAIS_LOGIN_TOKEN_MINUTES", 20, 1, 30, "minutes"),
        session_hours=read.whole("RELAIS_SESSION_HOURS", 12, 1, unit="hours"),
        ladder_spec=read.ladder("RELAIS_LADDER"),
        retention_months=read.whole("RELAIS_RETENTION_MONTHS", 6, 1, unit="months"),
        feedback_retention_months=read.whole("RELAIS_FEEDBACK_RETENTION_MONTHS", 24, 3, unit="months"),
        national_coordination_email=read.recipient("RELAIS_NATIONAL_COORDINATION_EMAIL"),
    )
    if read.problems:
        raise ConfigError("Relais refuses its settings: " + "; ".join(read.problems))
    return loaded


def reset() -> None:
    settings.cache_clear()
