"""Every setting, read from the environment in one place, once, when first needed."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


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


@lru_cache(maxsize=1)
def settings() -> Settings:
    # Fails closed: without an explicit stage, no dev route and no plain-http cookie.
    stage = _env("RELAIS_STAGE", "prod")
    return Settings(
        stage=stage,
        region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", "eu-west-3")),
        table_name=_env("RELAIS_TABLE", f"relais-{stage}"),
        dynamodb_endpoint=_env("RELAIS_DYNAMODB_ENDPOINT"),
        aws_emulation=_env("RELAIS_AWS_EMULATION"),
        base_url=_env("RELAIS_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        mail_from=_env("RELAIS_MAIL_FROM", "Relais SP+ <ne-pas-repondre@relais.example.org>"),
        sms_sender_id=_env("RELAIS_SMS_SENDER_ID", "RelaisSP"),
        ses_configuration_set=_env("RELAIS_SES_CONFIGURATION_SET"),
        inbound_domain=_env("RELAIS_INBOUND_DOMAIN", "in.relais.example.org"),
        mail_bucket=_env("RELAIS_MAIL_BUCKET", f"relais-{stage}-mail"),
        s3_public_endpoint=_env("RELAIS_S3_PUBLIC_ENDPOINT"),
        sms_queue=_env("RELAIS_SMS_QUEUE", f"relais-{stage}-sms"),
        login_token_minutes=min(int(_env("RELAIS_LOGIN_TOKEN_MINUTES", "20")), 30),
        session_hours=int(_env("RELAIS_SESSION_HOURS", "12")),
        ladder_spec=_env("RELAIS_LADDER"),
        retention_months=max(1, int(_env("RELAIS_RETENTION_MONTHS", "6"))),
        feedback_retention_months=max(3, int(_env("RELAIS_FEEDBACK_RETENTION_MONTHS", "24"))),
    )


def reset() -> None:
    settings.cache_clear()
