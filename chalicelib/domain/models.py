"""The SP+ case network: directory, people, cases and their thread.

Models are pydantic v2. Entities are stored as they are; commands (what a user asks
for) live in commands.py.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .events import EventCode
from .validation import (
    Email,
    Headcount,
    LongText,
    MediumText,
    Nir,
    OptionalPhone,
    PersonName,
    ShortText,
    Slug,
    is_sms_capable,
)


class Entity(BaseModel):
    """A stored item. Built on first use (defer_build), not at import: a cold start builds only
    the models its request reads (tests/unit/test_cold_start.py). A list or dict field defaults
    to a literal ([], {}): pydantic copies it for each instance, and `default_factory=list` would
    make pydantic inspect list's signature, which compiles the tokenizer's regular expressions
    at cold start (about 60 ms)."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)
    # Read from an index that leaves out its long texts (a list's row): never saved (to_item refuses).
    _partial: bool = PrivateAttr(default=False)


# --- Directory -----------------------------------------------------------------------


class Territory(Entity):
    code: str = Field(description="Département code, e.g. '61' or '2A'")
    name: str


class ContactPointKind(StrEnum):
    MAIRIE = "mairie"
    FRANCE_SERVICES = "france_services"
    MSA = "msa"
    POSTE = "poste"
    PREFECTURE = "prefecture"
    OPERATEUR = "operateur"
    ASSOCIATION = "association"
    ITINERANT = "itinerant"


class ContactPoint(Entity):
    id: Slug
    territory_code: str
    name: ShortText
    kind: ContactPointKind
    phone: str | None = None
    address: str | None = None


class Organisation(Entity):
    """A partner network (CAF, CPAM, DGFiP...), national or local."""

    id: Slug
    name: ShortText
    short_name: str = Field(min_length=1, max_length=30)


class ReferentGroup(Entity):
    """An organisation in a territory: the referents who answer escalations."""

    id: Slug
    organisation_id: str
    territory_code: str
    name: ShortText
    member_emails: list[Email] = []
    shared_mailbox: Email | None = None
    manager_email: Email | None = Field(default=None, description="The organisation's manager "
                                           "for this territory: the ladder's third stage")
    answer_days: int = Field(default=4, ge=1, le=30, description="Deadline in business days")


class Role(StrEnum):
    AGENT = "agent"
    REFERENT = "referent"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    USAGER = "usager"          # never logs in: the author of an SMS reply
    RESPONDER = "responder"    # a member of a responder team: answers experiences (group_ids = teams)
    MODERATOR = "moderator"    # moderates the experiences of their territories (territory_codes)


class User(Entity):
    """Anyone who logs in. Scopes depend on the role: points, groups or territories."""

    id: str
    email: Email
    display_name: ShortText
    role: Role
    point_ids: list[str] = []
    group_ids: list[str] = []
    territory_codes: list[str] = []


# --- Cases ---------------------------------------------------------------------------


class LifeSituation(StrEnum):
    RETRAITE = "retraite"
    PRECARITE = "precarite"
    SANTE = "sante"
    EMPLOI = "emploi"
    LOGEMENT = "logement"
    IMPOTS = "impots"
    PAPIERS = "papiers"
    FAMILLE = "famille"
    AUTRE = "autre"


LIFE_SITUATION_LABELS: dict[LifeSituation, str] = {
    LifeSituation.RETRAITE: "Je prépare ma retraite",
    LifeSituation.PRECARITE: "Je tombe dans la précarité financière",
    LifeSituation.SANTE: "Je rencontre un problème de santé",
    LifeSituation.EMPLOI: "Je suis en recherche d'emploi",
    LifeSituation.LOGEMENT: "Je cherche un logement ou j'ai un souci de logement",
    LifeSituation.IMPOTS: "J'ai une question sur mes impôts",
    LifeSituation.PAPIERS: "J'ai besoin d'un papier d'identité ou d'un titre",
    LifeSituation.FAMILLE: "Ma situation familiale change",
    LifeSituation.AUTRE: "Autre situation",
}


class CaseStatus(StrEnum):
    OPEN = "open"
    ESCALATED = "escalated"
    ANSWERED = "answered"
    CLOSED = "closed"


class Outcome(StrEnum):
    SOLVED_AT_DESK = "solved_at_desk"
    SOLVED_WITH_PARTNER = "solved_with_partner"
    NOT_SOLVED = "not_solved"


class EscalationStatus(StrEnum):
    SENT = "sent"
    ANSWERED = "answered"
    NEEDS_INFO = "needs_info"
    WRONG_RECIPIENT = "wrong_recipient"
    CLOSED = "closed"


NO_PHONE_FOR_SMS = ("Le suivi par SMS demande un numéro de portable : indiquez-le, ou décochez "
                    "le suivi par SMS.")


class Usager(Entity):
    # sms_opt_in comes first: the phone check reads it. Consent to SMS is an affirmative act:
    # it is never assumed. A usager may have no phone: the point recontacts them.
    sms_opt_in: bool = Field(default=False, description="The usager accepts SMS about the case "
                             "(needs a mobile phone)")
    first_name: PersonName
    last_name: PersonName
    phone: OptionalPhone = Field(default=None, validate_default=True,
                                 description="None: the usager has no phone (no SMS, no phone entry)")
    email: Email | None = None

    @field_validator("phone")
    @classmethod
    def _sms_needs_a_mobile(cls, phone: str | None, info: ValidationInfo) -> str | None:
        if not info.data.get("sms_opt_in", False):
            return phone
        if phone is None:
            raise ValueError(NO_PHONE_FOR_SMS)
        if not is_sms_capable(phone):
            raise ValueError("Ce numéro est un fixe : il ne peut pas recevoir de SMS. Donnez un "
                             "numéro de portable, ou indiquez que l'usager ne veut pas de SMS.")
        return phone


class Identifiers(Entity):
    """Identifiers a partner needs; collected only when an escalation needs them."""

    caf_number: str | None = Field(default=None, pattern=r"^\d{7}$",
                                   description="Numéro d'allocataire CAF, 7 digits")
    nir: Nir = Field(default=None, description="Numéro de sécurité sociale, 15 characters")
    tax_number: str | None = Field(default=None, pattern=r"^[0-3]\d{12}$",
                                   description="Numéro fiscal, 13 digits")
    france_travail_id: str | None = Field(default=None, pattern=r"^[0-9A-Z]{7,11}$",
                                          description="Identifiant France Travail")

    def merged_with(self, other: Identifiers) -> Identifiers:
        return Identifiers(**{**self.model_dump(exclude_none=True),
                              **other.model_dump(exclude_none=True)})


class Case(Entity):
    ref: str
    point_id: str
    territory_code: str
    created_by: str
    usager: Usager | None = Field(default=None, description="None once the personal data is wiped (retention)")
    identifiers: Identifiers = Field(default_factory=Identifiers)
    situation: LifeSituation
    description: LongText
    consent_attested: bool
    status: CaseStatus = CaseStatus.OPEN
    outcome: Outcome | None = None
    useful: bool | None = None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    next_due_at: datetime | None = Field(default=None, description="The nearest deadline of the "
                                         "escalations still waiting for a partner")
    satisfaction: int | None = Field(default=None, ge=1, le=5, description="The usager's SMS reply, 1 to 5")
    satisfaction_at: datetime | None = None
    consent_confirmed_at: datetime | None = Field(default=None, description="When the usager "
                                                  "replied OUI by SMS to confirm the mandate")
    purged_at: datetime | None = Field(default=None, description="When the retention job wiped "
                                       "the usager's identity, the texts and the documents")
    info_requested_by: list[str] = Field(default_factory=list, description="The groups whose "
                                         "escalation waits for information from the agent")
    partner_messages: int = Field(default=0, ge=0, description="How many messages the partners "
                                  "wrote (answers, requests for information, hand-backs)")
    taken_in_hand: bool = Field(default=False, description="A partner still due to answer said "
                                "« Je m'en occupe » (the dashboard shows it)")
    version: int = 1


class Escalation(Entity):
    case_ref: str
    group_id: str
    organisation_id: str
    territory_code: str
    point_id: str
    status: EscalationStatus = EscalationStatus.SENT
    question: LongText
    identifiers: Identifiers = Field(default_factory=Identifiers,
                                     description="Only what this partner was given")
    due_at: datetime
    created_at: datetime
    updated_at: datetime
    answered_at: datetime | None = None
    paused_at: datetime | None = Field(default=None, description="Since when the clock waits for "
                                       "information from the usager (needs_info)")
    paused_seconds: int = Field(default=0, ge=0, description="Total time the clock was paused")
    ladder_stage: int = Field(default=0, ge=0, description="How many ladder stages have fired")
    reply_token: str | None = Field(default=None, description="The secret in this escalation's "
                                    "Reply-To address; never shown in a view")
    read_at: datetime | None = Field(default=None, description="When a referent of the group first "
                                     "opened the case (the read receipt the agent sees)")
    read_by: str | None = None
    acknowledged_at: datetime | None = Field(default=None, description="« Je m'en occupe »: a referent "
                                             "took it in hand; the clock runs on")
    acknowledged_by: str | None = None
    info_received_at: datetime | None = Field(default=None, description="When the agent supplied the "
                                              "information asked for; cleared by the referent's next reply")
    forwarded_from: str | None = Field(default=None, description="The group of the same organisation "
                                       "that forwarded it here")
    forwarded_to: str | None = Field(default=None, description="The group it was forwarded to "
                                     "(this one is then handed back: wrong_recipient)")
    version: int = 1


class Channel(StrEnum):
    WEB = "web"
    EMAIL = "email"
    SMS = "sms"


class MessageKind(StrEnum):
    NOTE = "note"                        # agent's note on the case, or message to a referent
    ANSWER = "answer"                    # referent answers
    NEEDS_INFO = "needs_info"            # referent asks for more information
    WRONG_RECIPIENT = "wrong_recipient"  # "pas le bon interlocuteur"


class Attachment(Entity):
    name: str
    size: int = Field(ge=0)
    content_type: str
    key: str


class Message(Entity):
    id: str
    case_ref: str
    group_id: str | None = Field(default=None, description="The escalation thread, if any")
    author_id: str
    author_role: Role
    channel: Channel
    kind: MessageKind = MessageKind.NOTE
    body: LongText
    attachments: list[Attachment] = []
    created_at: datetime
    # An inbound email's extraction declined to cut: the body is the whole message, its quotes
    # folded, and the agent is asked to check it (« réponse à vérifier »).
    review: bool = False
    # The raw email it came from (inbound/<ref>/<digest>.eml, or quarantine/… once released):
    # the agent opens the original from it, while the mail retention keeps it.
    source_key: str | None = None


class Event(Entity):
    """Audit log entry: who did what, when. Never personal data: ids and codes only."""

    id: str
    code: EventCode
    actor_id: str = Field(description="A user's id, or an events.Actor when no user acted")
    at: datetime
    case_ref: str | None = None
    group_id: str | None = None
    data: dict[str, str] = {}


class Secret(StrEnum):
    """What a stored secret opens: a one-use login link, or a session."""
    LOGIN = "LOGIN"
    SESSION = "SESSION"


class NotificationKind(StrEnum):
    ESCALATION = "escalation"                # to the referent group: a new request
    REFERENT_REPLIED = "referent_replied"    # to the agent: a partner answered or asked
    AGENT_MESSAGE = "agent_message"          # to the referent group: the agent wrote in its thread
    EMAIL_QUARANTINED = "email_quarantined"  # to the agent: a reply by email was not accepted
    REPLY_REFUSED = "reply_refused"          # to a referent: their email was not added (why, what to do)
    ADDRESS_UNDELIVERABLE = "address_undeliverable"  # to the agent: a referent's address bounced
    LADDER = "ladder"                        # a ladder stage: reminder, breach, manager, coordinator
    DIGEST = "digest"                        # the weekly digest of an agent (agent_id)
    REPORT = "report"                        # the quarterly report to a territory's coordinators (territory_code)
    SMS = "sms"                              # an SMS to the usager (data: template)
    LOGIN_LINK = "login_link"                # to whoever asked: a login link, if the address is known (data: email, return_to)
    # Services Publics+ experiences (experience_id; services/experience_mail.py)
    EXPERIENCE_PUBLISHED = "experience_published"  # to the responder team (or the coordination): answer it
    EXPERIENCE_LADDER = "experience_ladder"        # a reminder stage of an unanswered experience (data: stage)
    EXPERIENCE_ANSWERED = "experience_answered"    # to the usager's private contact: the answer is published


class Notification(Entity):
    """An email to send, written in the same transaction as the change it announces.

    The table's stream hands every new Notification to the sender (an outbox): a change can
    never be stored without its notification, nor a notification sent for a change that failed.
    The id is derived from what it announces, so writing it twice is refused.
    """

    id: str
    case_ref: str = Field("", description="The case it announces. Empty when there is none: a notice "
                          "about an email that matched no case, a login link, a digest, a report")
    kind: NotificationKind
    group_id: str | None = None
    message_id: str | None = None
    agent_id: str | None = Field(None, description="A digest's agent")
    territory_code: str | None = Field(None, description="A report's territory")
    experience_id: str | None = Field(None, description="The Services Publics+ experience it announces")
    data: dict[str, str] = Field(default={}, description="Codes and ids only")
    created_at: datetime

    @model_validator(mode="after")
    def _digest_and_report_name_their_own_subject(self) -> Notification:
        if self.kind is NotificationKind.DIGEST and (self.case_ref or not self.agent_id):
            raise ValueError("a digest names its agent_id, and no case")
        if self.kind is NotificationKind.REPORT and (self.case_ref or not self.territory_code):
            raise ValueError("a report names its territory_code, and no case")
        return self

    @property
    def about(self) -> str:
        """What it is about, in one string: the case, or a digest's agent, or a report's territory.
        Spelled as the emails' idempotency keys have always spelled it (digests and reports
        once carried 'agent-<id>' and 'territory-<code>' as their case_ref): a digest or report
        already sent finds its key unchanged, and is not sent again."""
        if self.kind is NotificationKind.DIGEST:
            return f"agent-{self.agent_id}"
        if self.kind is NotificationKind.REPORT:
            return f"territory-{self.territory_code}"
        if self.experience_id:
            return f"experience-{self.experience_id}"
        return self.case_ref



class QuarantineStatus(StrEnum):
    PENDING = "pending"          # waiting for the agent's decision
    RELEASED = "released"        # the agent added it to the thread
    DISCARDED = "discarded"      # the agent set it aside; the raw message is deleted


class QuarantinedEmail(Entity):
    """An inbound email kept out of the thread (services/inbound.py), stored with its case: the
    raw message stays in the mail bucket until the agent adds it to the thread or discards it."""

    id: str
    case_ref: str
    group_id: str
    reason: str
    sender: str = Field(description="The From address; the From header as written when it is ambiguous")
    subject: str = ""
    received_at: datetime
    raw_key: str
    threading: str | None = None
    status: QuarantineStatus = QuarantineStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    message_id: str | None = None
    version: int = 1


# --- Agents' feedback: difficulties with a procedure, training requests ---------------


class FeedbackKind(StrEnum):
    DIFFICULTY = "difficulty"    # « remontée » : a procedure that goes wrong for usagers
    TRAINING = "training"        # a training an agent asks for


class FeedbackStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    SOLVED = "solved"


FEEDBACK_KIND_LABELS: dict[FeedbackKind, str] = {
    FeedbackKind.DIFFICULTY: "Difficulté sur une démarche",
    FeedbackKind.TRAINING: "Demande de formation",
}
FEEDBACK_STATUS_LABELS: dict[FeedbackStatus, str] = {
    FeedbackStatus.NEW: "Nouvelle",
    FeedbackStatus.ACKNOWLEDGED: "Prise en compte",
    FeedbackStatus.SOLVED: "Résolue",
}


class Feedback(Entity):
    """An agent's report to the coordinators of the point's territory.

    `author_id` serves authorization and the audit log only: no view carries it, so neither
    coordinators nor published figures can tell which agent wrote."""

    id: str = Field(description="<UTC creation time, %Y%m%dT%H%M%S%f>-<6 hex>: the sort key is "
                                "rebuilt from it (domain/feedback.py)")
    kind: FeedbackKind
    territory_code: str
    point_id: str
    author_id: str
    organisation_id: str | None = None
    procedure: ShortText | None = None
    problem: LongText | None = None
    usagers_affected: Headcount = None
    topic: ShortText | None = None
    details: LongText | None = None
    status: FeedbackStatus = FeedbackStatus.NEW
    answer: MediumText | None = Field(default=None, description="The coordinators' answer, "
                                      "shown to the point's agents")
    created_at: datetime
    updated_at: datetime
    triaged_at: datetime | None = None
    version: int = 1


# --- Services Publics+ experiences: posted by usagers, answered in public -------------


class ResponderLevel(StrEnum):
    LOCAL = "local"            # a département's CAF, CPAM...: area = the département's code
    REGIONAL = "regional"      # area = the region's INSEE code (domain/territories.py)
    NATIONAL = "national"      # area = "FR"


RESPONDER_LEVEL_LABELS: dict[ResponderLevel, str] = {
    ResponderLevel.LOCAL: "départemental", ResponderLevel.REGIONAL: "régional",
    ResponderLevel.NATIONAL: "national",
}


class ResponderTeam(Entity):
    """The team of an organisation charged with answering the experiences of its area."""

    id: Slug
    organisation_id: str
    level: ResponderLevel
    area: str = Field(description="Département code (local), region code (regional) or FR (national)")
    name: ShortText
    member_emails: list[Email] = []
    shared_mailbox: Email | None = None


class ExperienceChannel(StrEnum):
    WEB = "web"                # posted on the public page
    DESK = "guichet"           # posted by an agent at the desk, for a usager
    SMS = "sms"                # texted « AVIS ... », or words after the satisfaction question
    PHONE = "telephone"        # gathered by an agent who phoned the usager back


CHANNEL_LABELS: dict[ExperienceChannel, str] = {
    ExperienceChannel.WEB: "Publiée en ligne",
    ExperienceChannel.DESK: "Recueillie au guichet",
    ExperienceChannel.SMS: "Envoyée par SMS",
    ExperienceChannel.PHONE: "Recueillie par téléphone",
}


class Sentiment(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


SENTIMENT_LABELS: dict[Sentiment, str] = {Sentiment.POSITIVE: "Positive", Sentiment.NEGATIVE: "Négative"}


class ModerationStatus(StrEnum):
    PENDING = "pending"        # waiting for a moderator: never public
    PUBLISHED = "published"
    REFUSED = "refused"


class RefusalReason(StrEnum):
    ABUSE = "abuse"
    PERSONAL_DATA = "personal_data"
    OFF_TOPIC = "off_topic"
    SPAM = "spam"
    DUPLICATE = "duplicate"
    INDIVIDUAL_CASE = "individual_case"


REFUSAL_LABELS: dict[RefusalReason, str] = {
    RefusalReason.ABUSE: "Propos injurieux, menaçants ou diffamatoires",
    RefusalReason.PERSONAL_DATA: "Données personnelles impossibles à retirer",
    RefusalReason.OFF_TOPIC: "Sans rapport avec un service public",
    RefusalReason.SPAM: "Publicité ou message automatique",
    RefusalReason.DUPLICATE: "Déjà publiée (doublon)",
    RefusalReason.INDIVIDUAL_CASE: "Demande personnelle : à traiter au guichet",
}


class Experience(Entity):
    """A usager's experience of a public service, and the responder team's public answer.

    Only the scrubbed text is stored (domain/scrub.py). The contact details serve the private
    reply only: no view that is published carries them, and the retention sweep wipes them.
    `author_id` (an agent posting at the desk, or who phoned) is kept for the audit log only."""

    id: str = Field(description="<UTC creation time, %Y%m%dT%H%M%S%f>-<6 hex> (domain/experiences.py)")
    territory_code: str
    point_id: str | None = None
    organisation_id: str | None = None
    procedure: ShortText | None = None
    situation: LifeSituation
    sentiment: Sentiment | None = Field(default=None, description="None: the usager did not say (an SMS)")
    text: LongText
    removed: list[str] = Field(default=[], description="Kinds of personal data scrubbed from the text")
    channel: ExperienceChannel
    author_id: str | None = None
    contact_email: Email | None = None
    contact_phone: OptionalPhone = None
    status: ModerationStatus = ModerationStatus.PENDING
    refusal: RefusalReason | None = None
    edited: bool = Field(default=False, description="The moderator took more out of the text")
    moderated_at: datetime | None = None
    published_at: datetime | None = None
    team_id: str | None = Field(default=None, description="The responder team it is routed to; "
                                "None: the territory's coordination answers")
    level: ResponderLevel | None = None
    due_at: datetime | None = Field(default=None, description="When the team should have answered")
    answer: LongText | None = None
    answer_status: ModerationStatus | None = None
    answer_refusal: RefusalReason | None = None
    answered_at: datetime | None = None
    answer_published_at: datetime | None = None
    answered_by: str | None = Field(default=None, description="Audit only: never shown")
    contact_wiped_at: datetime | None = None
    reply_token: str | None = Field(default=None, description="The secret of the team's reply address "
                                    "(reponse+<token>@...): in the team's emails only, never in a view")
    ladder_stage: int = Field(default=0, description="Reminder stages behind it, sent or passed "
                              "(domain/experiences.py LADDER)")
    next_reminder_at: datetime | None = Field(default=None, description="When the reminder sweep next "
                                              "has something to do; None once answered or the ladder done")
    created_at: datetime
    updated_at: datetime
    version: int = 1
