"""Every setting, read from the environment in one place, once, at a function's cold start
(the first settings()); a value out of its bounds or unreadable is refused there (ConfigError,
naming every variable at fault), never clamped. The variables, their defaults and checks:
environment.py (a pydantic model); the resource names a stage gets by default: names.py."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

    from .domain.ladder import Stage


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_name: str
    dynamodb_endpoint: str | None
    aws_emulation: str | None          # "moto" in the dev stage: SES, SNS, S3, SQS in-process
    base_url: str
    mail_from: str
    sms_origination_identity: str | None   # the End User Messaging pool the SMS leave from (docs/sms.md)
    sms_configuration_set: str | None      # its configuration set: the delivery receipts' way back
    ses_configuration_set: str | None
    inbound_domain: str                # replies arrive at reponse+<token>@<inbound_domain>
    mail_bucket: str                   # raw inbound email (kept for audit) and attachments
    s3_public_endpoint: str | None     # S3 as the browser reaches it, when not AWS's (dev: moto's server)
    sms_queue: str                     # the SQS queue the SMS worker reads
    job_queue: str                     # the scheduled jobs' units of work (jobs/units.py)
    login_token_minutes: int
    session_hours: int
    ladder: tuple[Stage, ...]          # RELAIS_LADDER, parsed: "reminder:-1,breach:0,manager:2,coordinator:5" (default)
    retention_months: int              # a closed case's personal data is wiped this long after
    feedback_retention_months: int     # agents' feedback (free text) is deleted this long after it was sent
    results_cache_seconds: int         # 0: the published figures are computed at each view (services/results.py)
    ses_max_per_second: int            # emails sent at most, all functions together (services/pacing.py); 0: not paced
    ses_max_per_day: int               # emails sent at most per UTC day; 0: no cap
    experience_answer_days: int        # a published experience's team answers within (calendar days)
    experience_posts_per_hour: int     # experiences one address (IP) may post in an hour
    # The ladder's coordinator stage goes there for a territory with no coordinator in Relais.
    national_coordination_email: str | None
    contact_email: str                 # the service's mailbox, on the public pages (accessibility, help)
    privacy_email: str                 # the data protection officer's, on /donnees-personnelles

    @property
    def is_dev(self) -> bool:
        return self.stage == "dev"

    @property
    def secure_cookies(self) -> bool:
        return not self.is_dev


class ConfigError(ValueError):
    """The environment gives a setting a value Relais refuses. Raised when the settings are
    loaded, at a function's cold start, naming every variable at fault: a bad value stops
    the function instead of being clamped or guessed."""


def _refusals(error: ValidationError) -> str:
    """'NAME='value': expected what it must be' for each variable at fault, in one line."""
    return "; ".join(f"{'.'.join(map(str, problem['loc']))}={problem['input']!r}: expected {problem['msg']}"
                     for problem in error.errors(include_url=False))


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings, read once; ConfigError (naming each variable at fault) if any is refused."""
    from pydantic import ValidationError

    from .environment import Environment

    try:
        environment = Environment.read(os.environ)
    except ValidationError as error:
        raise ConfigError(f"Relais refuses its settings: {_refusals(error)}") from None
    values = dict(environment)
    del values["aws_region"], values["aws_default_region"]
    return Settings(**values, region=environment.region)


def reset() -> None:
    settings.cache_clear()
