"""The environment variables Relais reads, declared once as a pydantic model: each one's name
(its alias), default and check. config.settings() validates os.environ with it at a function's
cold start and turns every refusal into one ConfigError naming the variables at fault.

A plain pydantic model rather than pydantic-settings' BaseSettings: the same declaration and
validation for environment variables, without the 85 ms that pydantic-settings' imports
(asyncio, argparse, dotenv) add to every cold start (measured on 2026-12-02)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parseaddr
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .domain import ladder as ladders
from .names import names

REFUSED = "relais_setting"          # the error type of a value Relais refuses; its message says what it expects
DEFAULT_STAGE = "prod"              # fails closed: without an explicit stage, no dev route, no plain-http cookie
DEFAULT_REGION = "eu-west-3"
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_WHOLE = re.compile(r"[0-9]+")


def refused(expected: str) -> PydanticCustomError:
    return PydanticCustomError(REFUSED, "{expected}", {"expected": expected})


def _matching(pattern: str, expected: str) -> BeforeValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise refused(expected)
        return value
    return BeforeValidator(check)


def _url(value: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port          # noqa: B018 - a port that is not a number raises ValueError
    except ValueError:
        parts = None
    if not (parts and parts.scheme in ("http", "https") and parts.hostname and not (parts.query or parts.fragment)):
        raise refused("an http:// or https:// address, without query")
    return value


def _sender(value: str) -> str:
    if not _ADDRESS.fullmatch(parseaddr(value)[1]):
        raise refused("an email address, as in Relais SP+ <ne-pas-repondre@relais.example.org>")
    return value


def _recipient(value: str) -> str:
    """A bare email address to send to."""
    if not _ADDRESS.fullmatch(value):
        raise refused("an email address, as in coordination@example.org")
    return value


def _ladder(value: str | None) -> tuple[ladders.Stage, ...]:
    """Unset: the default ladder (ladder.DEFAULT)."""
    try:
        return ladders.parse(value)
    except ValueError as error:
        raise refused(f"stages as in reminder:-1,breach:0,manager:2,coordinator:5 ({error})") from error


StageName = Annotated[str, _matching(r"[a-z][a-z0-9-]*", "lower case letters, digits and dashes, as in prod")]
Region = Annotated[str, _matching(r"[a-z]{2}(-[a-z]+)+-[0-9]+", "an AWS region, as in eu-west-3")]
TableName = Annotated[str, _matching(r"[A-Za-z0-9_.-]{3,255}", "a DynamoDB table name")]
Emulation = Annotated[str, _matching(r"moto", "moto, or unset for AWS itself")]
# A pool, phone number or sender id of End User Messaging SMS: its id (pool-..., phone-...) or ARN.
OriginationIdentity = Annotated[str, _matching(r"(arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:[0-9]{12}:[a-z-]+/)?[A-Za-z0-9_+-]{1,64}",
                                               "an End User Messaging pool, phone number or sender id, "
                                               "its id or ARN, as in pool-0123456789abcdef")]
SmsConfigurationSet = Annotated[str, _matching(r"[A-Za-z0-9_-]{1,64}", "an End User Messaging configuration set name")]
ConfigurationSet = Annotated[str, _matching(r"[A-Za-z0-9_-]{1,64}", "an SES configuration set name")]
DomainName = Annotated[str, _matching(r"(?=.{4,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}",
                                      "a domain name, as in in.relais.example.org")]
BucketName = Annotated[str, _matching(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "an S3 bucket name")]
QueueName = Annotated[str, _matching(r"[A-Za-z0-9_-]{1,80}", "an SQS queue name")]
Url = Annotated[str, BeforeValidator(_url)]
BaseUrl = Annotated[str, BeforeValidator(_url), AfterValidator(lambda url: url.rstrip("/"))]
Sender = Annotated[str, BeforeValidator(_sender)]
Recipient = Annotated[str, BeforeValidator(_recipient)]
Ladder = Annotated[tuple[ladders.Stage, ...], PlainValidator(_ladder)]

# Whole numbers, within their bounds and never clamped into them: (minimum, maximum, unit).
_WHOLE_BOUNDS: dict[str, tuple[int, int | None, str]] = {
    "login_token_minutes": (1, 30, "minutes"),
    "session_hours": (1, None, "hours"),
    "retention_months": (1, None, "months"),               # a closed case's personal data is wiped this long after
    "feedback_retention_months": (3, None, "months"),      # agents' feedback is deleted this long after it was sent
    "results_cache_seconds": (0, 3600, "seconds"),         # the published figures' document is rebuilt this often
    "ses_max_per_second": (0, None, "emails a second"),    # 0: not paced (services/pacing.py)
    "ses_max_per_day": (0, None, "emails a UTC day"),      # 0: no daily cap
    "experience_answer_days": (1, 60, "days"),             # a published experience is answered within
    "experience_posts_per_hour": (1, 1000, "posts"),       # experiences one address may post an hour
}


def _variable(name: str, default: Any = None) -> Any:
    return Field(default, validation_alias=name)


class Environment(BaseModel):
    """Every variable, by its name; an empty one is an unset one (`read`). config.Settings is
    what the code reads: the same fields, with the region chosen."""
    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True)

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> Environment:
        return cls.model_validate({name: value for name, value in environ.items() if value != ""})

    stage: StageName = _variable("RELAIS_STAGE", DEFAULT_STAGE)
    aws_region: Region | None = _variable("AWS_REGION")
    aws_default_region: Region | None = _variable("AWS_DEFAULT_REGION")     # read when AWS_REGION is not set
    table_name: TableName = _variable("RELAIS_TABLE")                       # by default, the stage's (names.py)
    dynamodb_endpoint: Url | None = _variable("RELAIS_DYNAMODB_ENDPOINT")
    aws_emulation: Emulation | None = _variable("RELAIS_AWS_EMULATION")
    base_url: BaseUrl = _variable("RELAIS_BASE_URL", "http://127.0.0.1:8000")
    mail_from: Sender = _variable("RELAIS_MAIL_FROM", "Relais SP+ <ne-pas-repondre@relais.example.org>")
    # Unset: End User Messaging picks among the account's identities (docs/sms.md).
    sms_origination_identity: OriginationIdentity | None = _variable("RELAIS_SMS_ORIGINATION_IDENTITY")
    sms_configuration_set: SmsConfigurationSet | None = _variable("RELAIS_SMS_CONFIGURATION_SET")
    ses_configuration_set: ConfigurationSet | None = _variable("RELAIS_SES_CONFIGURATION_SET")
    inbound_domain: DomainName = _variable("RELAIS_INBOUND_DOMAIN", "in.relais.example.org")
    mail_bucket: BucketName = _variable("RELAIS_MAIL_BUCKET")               # by default, the stage's
    s3_public_endpoint: Url | None = _variable("RELAIS_S3_PUBLIC_ENDPOINT")
    sms_queue: QueueName = _variable("RELAIS_SMS_QUEUE")                    # by default, the stage's
    job_queue: QueueName = _variable("RELAIS_JOB_QUEUE")                    # by default, the stage's
    login_token_minutes: int = _variable("RELAIS_LOGIN_TOKEN_MINUTES", 20)
    session_hours: int = _variable("RELAIS_SESSION_HOURS", 12)
    ladder: Ladder = _variable("RELAIS_LADDER")
    retention_months: int = _variable("RELAIS_RETENTION_MONTHS", 6)
    feedback_retention_months: int = _variable("RELAIS_FEEDBACK_RETENTION_MONTHS", 24)
    results_cache_seconds: int = _variable("RELAIS_RESULTS_CACHE_SECONDS", 0)
    ses_max_per_second: int = _variable("RELAIS_SES_MAX_PER_SECOND", 0)
    ses_max_per_day: int = _variable("RELAIS_SES_MAX_PER_DAY", 0)
    # The 2021 platform's pledge: an experience is acknowledged within a week.
    experience_answer_days: int = _variable("RELAIS_EXPERIENCE_ANSWER_DAYS", 7)
    experience_posts_per_hour: int = _variable("RELAIS_EXPERIENCE_POSTS_PER_HOUR", 5)
    national_coordination_email: Recipient | None = _variable("RELAIS_NATIONAL_COORDINATION_EMAIL")
    # The public pages' contacts (/accessibilite, /donnees-personnelles, /aide): the service's
    # mailbox, and its data protection officer's.
    contact_email: Recipient = _variable("RELAIS_CONTACT_EMAIL", "contact@relais.example.org")
    privacy_email: Recipient = _variable("RELAIS_PRIVACY_EMAIL", "dpd@relais.example.org")

    @model_validator(mode="before")
    @classmethod
    def _stage_defaults(cls, variables: dict[str, Any]) -> dict[str, Any]:
        """The stage's resource names where no variable gives one (checked as a given one
        would be); AWS_DEFAULT_REGION only when AWS_REGION is not set."""
        stage = names(variables.get("RELAIS_STAGE", DEFAULT_STAGE))
        variables = {"RELAIS_TABLE": stage["table"], "RELAIS_MAIL_BUCKET": stage["mail_bucket"],
                     "RELAIS_SMS_QUEUE": stage["sms_queue"], "RELAIS_JOB_QUEUE": stage["job_queue"],
                     **variables}
        if "AWS_REGION" in variables:
            variables.pop("AWS_DEFAULT_REGION", None)
        return variables

    @field_validator(*_WHOLE_BOUNDS, mode="before")
    @classmethod
    def _whole(cls, value: Any, info: ValidationInfo) -> Any:
        assert info.field_name is not None
        minimum, maximum, unit = _WHOLE_BOUNDS[info.field_name]
        if isinstance(value, str):
            if not _WHOLE.fullmatch(value.strip()) or not (
                    minimum <= int(value) and (maximum is None or int(value) <= maximum)):
                bounds = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
                default = cls.model_fields[info.field_name].default
                raise refused(f"a whole number of {unit}, {bounds} (default {default})")
            return int(value)
        return value

    @property
    def region(self) -> str:
        return self.aws_region or self.aws_default_region or DEFAULT_REGION
