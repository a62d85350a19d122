"""What users ask for: the validated bodies of API requests and forms."""
from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, field_validator

from .models import CaseStatus, EscalationStatus, Identifiers, LifeSituation, MessageKind, Outcome, Usager
from .validation import LongText, Slug


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginRequest(Command):
    email: EmailStr


class SessionCreate(Command):
    token: str = Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_\-]+$")


class CaseCreate(Command):
    point_id: Slug
    usager: Usager
    situation: LifeSituation
    description: LongText
    consent_attested: bool = Field(description="The agent attests the usager agreed to be helped")
    confirm_consent_by_sms: bool = Field(default=False, description="Also ask the usager to "
                                         "confirm the mandate by replying OUI to an SMS")

    @field_validator("consent_attested")
    @classmethod
    def _consented(cls, value: bool) -> bool:
        if not value:
            raise ValueError("Cochez la case : l'usager doit avoir donné son accord.")
        return value


class EscalationCreate(Command):
    group_ids: list[Slug] = Field(min_length=1, max_length=10)
    question: LongText
    identifiers: Identifiers = Field(default_factory=Identifiers)

    @field_validator("group_ids")
    @classmethod
    def _unique(cls, group_ids: list[str]) -> list[str]:
        if len(set(group_ids)) != len(group_ids):
            raise ValueError("Un même organisme est choisi deux fois.")
        return group_ids


class MessageCreate(Command):
    body: LongText
    group_id: Slug | None = Field(default=None, description="The escalation thread; none for a note")
    kind: MessageKind = MessageKind.NOTE


class CaseClose(Command):
    outcome: Outcome
    useful: bool


class CaseListQuery(Command):
    point_id: Slug | None = None
    status: CaseStatus | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


class QueueQuery(Command):
    group_id: Slug | None = None
    status: EscalationStatus | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


class ImportQuery(Command):
    dry_run: bool = False


class InboundSms(Command):
    from_: str = Field(alias="from", min_length=3, max_length=20)
    body: str = Field(max_length=1600)


class RunJobQuery(Command):
    now: AwareDatetime | None = Field(default=None, description="ISO-8601 with a time zone")


Verdict = Literal["PASS", "FAIL", "GRAY", "PROCESSING_FAILED"]


class InboundEmailQuery(Command):
    """What SES would have said of an inbound message (dev stage: POST /_dev/inbound-email)."""

    recipient: EmailStr | None = Field(default=None, description="Envelope recipient; else To/Cc")
    spf: Verdict = "PASS"
    dkim: Verdict = "PASS"
    dmarc: Verdict = "PASS"
    spam: Verdict = "PASS"
    virus: Verdict = "PASS"
