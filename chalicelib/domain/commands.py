"""What users ask for: the validated bodies of API requests and forms."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .models import (
    CaseStatus,
    EscalationStatus,
    FeedbackKind,
    FeedbackStatus,
    Identifiers,
    LifeSituation,
    MessageKind,
    Outcome,
    RefusalReason,
    Sentiment,
    Usager,
)
from .query import Day
from .validation import (
    Email,
    Headcount,
    LongText,
    MediumText,
    OptionalPhone,
    Phone,
    ShortText,
    Slug,
    no_control_chars,
    unix_newlines,
)


class Command(BaseModel):
    # Built on first use, like the entities (models.Entity).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class LoginRequest(Command):
    email: Email


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

    @field_validator("confirm_consent_by_sms")
    @classmethod
    def _confirmed_on_a_phone(cls, value: bool, info: ValidationInfo) -> bool:
        usager = info.data.get("usager")
        if value and usager is not None and usager.phone is None:
            raise ValueError("Sans numéro de téléphone, l'usager ne peut pas confirmer son accord "
                             "par SMS : décochez cette case, ou indiquez son portable.")
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


class EscalationAcknowledge(Command):
    """« Je m'en occupe »: for which of the referent's groups (optional for one group)."""
    group_id: Slug | None = None


class EscalationForward(Command):
    """To another group of the referent's organisation, for one of their groups on the case."""
    group_id: Slug | None = None
    to_group_id: Slug


class CaseClose(Command):
    outcome: Outcome
    useful: bool


class PhoneSurvey(Command):
    """« Avis recueilli par téléphone »: what the usager said when the agent phoned them back."""
    satisfaction: int = Field(ge=1, le=5, description="The usager's mark, 1 to 5")
    sentiment: Literal["positive", "negative"]
    comment: Annotated[MediumText, BeforeValidator(unix_newlines)] | None = Field(
        default=None, description="What the usager said, in a few words (a textarea: CRLF taken as LF)")


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


class UsagerExportRequest(Command):
    """Right of access: everything held about one usager, found by the phone number their
    cases were opened with, or, for a usager without a phone, by a case's reference (in the
    body, never in a URL). Exactly one of the two."""
    phone: Phone | None = Field(default=None, description="The usager's phone number")
    ref: str | None = Field(default=None, min_length=3, max_length=40,
                            description="A case's reference, for a usager registered without a phone")

    @model_validator(mode="after")
    def _one_key(self) -> UsagerExportRequest:
        if (self.phone is None) == (self.ref is None):
            raise ValueError("Indiquez soit le numéro de téléphone de l'usager, soit la "
                             "référence d'un de ses dossiers.")
        return self


class RunJobQuery(Command):
    now: AwareDatetime | None = Field(default=None, description="ISO-8601 with a time zone")


Verdict = Literal["PASS", "FAIL", "GRAY", "PROCESSING_FAILED"]


class InboundEmailQuery(Command):
    """What SES would have said of an inbound message (dev stage: POST /_dev/inbound-email)."""

    recipient: Email | None = Field(default=None, description="Envelope recipient; else To/Cc")
    spf: Verdict = "PASS"
    dkim: Verdict = "PASS"
    dmarc: Verdict = "PASS"
    spam: Verdict = "PASS"
    virus: Verdict = "PASS"


# --- agents' feedback ------------------------------------------------------------------

# What each kind of feedback asks for: (field, message when it is missing; None if optional).
FEEDBACK_FIELDS: dict[FeedbackKind, dict[str, str | None]] = {
    FeedbackKind.DIFFICULTY: {
        "organisation_id": "Choisissez l'organisme concerné.",
        "procedure": "Indiquez la démarche concernée.",
        "problem": "Décrivez ce qui ne va pas.",
        "usagers_affected": "Indiquez combien d'usagers sont concernés.",
    },
    FeedbackKind.TRAINING: {
        "topic": "Indiquez le sujet de la formation souhaitée.",
        "details": None,
    },
}


class FeedbackCreate(Command):
    """A difficulty with a procedure (organisation, procedure, problem, usagers_affected) or a
    training request (topic, details optional). Fields of the other kind are refused."""

    kind: FeedbackKind
    point_id: Slug | None = Field(default=None, description="The agent's contact point; optional "
                                  "for an agent of one point")
    organisation_id: Slug | None = Field(default=None, validate_default=True,
                                         description="difficulty: one of GET /api/territories/{code}/directory's organisations")
    procedure: ShortText | None = Field(default=None, validate_default=True,
                                        description="difficulty: e.g. « Demande de complémentaire santé solidaire »")
    problem: LongText | None = Field(default=None, validate_default=True,
                                     description="difficulty: what goes wrong")
    usagers_affected: Headcount = Field(default=None, validate_default=True,
                                        description="difficulty: how many usagers it affects, 1 to 10,000")
    topic: ShortText | None = Field(default=None, validate_default=True, description="training: the topic")
    details: LongText | None = Field(default=None, description="training: optional details")

    @field_validator("organisation_id", "procedure", "problem", "usagers_affected", "topic", "details")
    @classmethod
    def _fields_of_the_kind(cls, value, info: ValidationInfo):
        kind = info.data.get("kind")
        if kind is None:        # the kind's own error says it all
            return value
        wanted = FEEDBACK_FIELDS[kind]
        if info.field_name not in wanted:
            if value is not None:
                raise ValueError("Ce champ ne concerne pas ce type de remontée.")
            return value
        if value is None and wanted[info.field_name]:
            raise ValueError(wanted[info.field_name])
        return value


class FeedbackTriage(Command):
    status: FeedbackStatus = Field(description="acknowledged or solved; a solved feedback stays solved")
    answer: MediumText | None = Field(default=None, description="Shown to the point's agents; "
                                      "replaces the previous answer (left out: no answer)")

    @field_validator("status")
    @classmethod
    def _moves_forward(cls, status: FeedbackStatus) -> FeedbackStatus:
        if status is FeedbackStatus.NEW:
            raise ValueError("Une remontée traitée passe à « acknowledged » (prise en compte) "
                             "ou à « solved » (résolue).")
        return status


class FeedbackListQuery(Command):
    point_id: Slug | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


class TerritoryFeedbackQuery(Command):
    status: FeedbackStatus | None = None
    kind: FeedbackKind | None = None
    since: Day | None = Field(default=None, description="First day, in Europe/Paris (YYYY-MM-DD)")
    until: Day | None = Field(default=None, description="Last day, included")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)

    @field_validator("until")
    @classmethod
    def _after_since(cls, until: date | None, info: ValidationInfo) -> date | None:
        since = info.data.get("since")
        if until and since and until < since:
            raise ValueError("La date de fin précède la date de début.")
        return until


# --- Services Publics+ experiences ------------------------------------------------------

EXPERIENCE_TEXT_MAX = 3000
ExperienceText = Annotated[str, BeforeValidator(unix_newlines),
                           StringConstraints(strip_whitespace=True, min_length=20, max_length=EXPERIENCE_TEXT_MAX),
                           AfterValidator(no_control_chars)]
ExperienceEdit = Annotated[str, BeforeValidator(unix_newlines),
                           StringConstraints(strip_whitespace=True, max_length=EXPERIENCE_TEXT_MAX),
                           AfterValidator(no_control_chars)]


class ExperiencePost(Command):
    """An experience, posted on the public page (no account) or at the desk by an agent."""

    territory_code: str = Field(min_length=2, max_length=3, description="The département concerned")
    organisation_id: Slug | None = Field(default=None, description="The organisation concerned, "
                                         "if the usager knows it; none: the territory's coordination answers")
    procedure: ShortText | None = Field(default=None, description="The procedure, in the usager's words")
    situation: LifeSituation
    sentiment: Sentiment
    text: ExperienceText = Field(description="What happened (20 to 3,000 characters)")
    contact_email: Email | None = Field(default=None, description="For a private reply only: never published")
    contact_phone: OptionalPhone = Field(default=None, description="For a private reply only: never published")
    point_id: Slug | None = Field(default=None, description="At the desk: the agent's contact point")

    @field_validator("territory_code")
    @classmethod
    def _known_territory(cls, value: str) -> str:
        from .territories import DEPARTEMENTS

        if value.upper() not in DEPARTEMENTS:
            raise ValueError("Choisissez un département de la liste.")
        return value.upper()

    @field_validator("contact_email", mode="before")
    @classmethod
    def _blank_email(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class ExperienceModeration(Command):
    """A moderator's decision on an experience or on its answer."""

    decision: Literal["publish", "refuse"]
    text: ExperienceEdit | None = Field(default=None, description="publish: the "
                             "text as it will be published, if the moderator took more out of it")
    reason: RefusalReason | None = Field(default=None, validate_default=True,
                                         description="refuse: why, from the list")

    @field_validator("reason")
    @classmethod
    def _reason_when_refused(cls, value: RefusalReason | None, info: ValidationInfo) -> RefusalReason | None:
        if info.data.get("decision") == "refuse" and value is None:
            raise ValueError("Choisissez le motif du refus.")
        return value


ExperienceAnswerText = Annotated[str, BeforeValidator(unix_newlines),
                                 StringConstraints(strip_whitespace=True, min_length=10,
                                                   max_length=EXPERIENCE_TEXT_MAX),
                                 AfterValidator(no_control_chars)]


class ExperienceAnswer(Command):
    """A responder team's public answer (10 to 3,000 characters)."""

    text: ExperienceAnswerText
