"""What each role is shown: projections of entities, the API's response bodies and what the
pages render, with their French labels. Beside api/ and web/, which both serve them.

What a reader may see of a case or a directory is decided by one policy,
domain/visibility.py: a referent sees a case only through their own escalations.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_serializer

from .domain import deadlines
from .domain.models import (
    FEEDBACK_KIND_LABELS,
    FEEDBACK_STATUS_LABELS,
    LIFE_SITUATION_LABELS,
    Attachment,
    Case,
    CaseStatus,
    Channel,
    ContactPoint,
    Escalation,
    EscalationStatus,
    Experience,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    Identifiers,
    LifeSituation,
    Message,
    MessageKind,
    Organisation,
    Outcome,
    QuarantineStatus,
    ReferentGroup,
    Role,
    Territory,
    User,
)
from .domain.people import referent_label
from .domain.validation import Email
from .domain.visibility import Audience

T = TypeVar("T")


class View(BaseModel):
    # Built on first use, like the entities (domain/models.Entity).
    model_config = ConfigDict(defer_build=True)


class PageView(View, Generic[T]):
    items: list[T]
    cursor: str | None = None


class UserView(View):
    id: str
    email: Email
    display_name: str
    role: Role
    point_ids: list[str]
    group_ids: list[str]
    territory_codes: list[str]

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(**user.model_dump())


PURGED_NAME = "Données personnelles effacées"


class UsagerView(View):
    first_name: str
    last_name: str
    phone: str | None = None
    email: str | None = None
    sms_opt_in: bool


class Lateness(StrEnum):
    LATE = "late"
    DUE_SOON = "due_soon"


LATENESS_LABELS: dict[str | None, str] = {Lateness.LATE: "En retard", Lateness.DUE_SOON: "À traiter sous 24 h"}


class EscalationView(View):
    case_ref: str
    group_id: str
    group_name: str
    organisation_id: str
    point_id: str
    status: EscalationStatus
    question: str = Field(description="In a list (the queue, late escalations): its first 140 characters")
    due_at: datetime
    due_date: date
    due_in_words: str = Field(description="« jeudi 26 novembre »")
    paused: bool = Field(description="The clock waits for information from the usager")
    paused_seconds: int
    lateness: Lateness | None = Field(default=None, description="late, or due within 24 hours")
    lateness_label: str | None = Field(default=None, description="« En retard », « À traiter sous 24 h »")
    created_at: datetime
    answered_at: datetime | None = None
    read_at: datetime | None = Field(default=None, description="First opened by a referent of the group")
    read_by_name: str | None = None
    acknowledged_at: datetime | None = Field(default=None, description="« Je m'en occupe »")
    acknowledged_by_name: str | None = None
    info_received: bool = Field(default=False, description="The agent supplied the information "
                                "asked for; the referent has not replied since")
    forwarded_from: str | None = None
    forwarded_from_name: str | None = None
    forwarded_to: str | None = None
    forwarded_to_name: str | None = None

    @classmethod
    def of(cls, escalation: Escalation, group_name: str, now: datetime, *,
           people: dict[str, str] | None = None, group_names: dict[str, str] | None = None) -> EscalationView:
        """people: names of the referents who read or took it in hand, by user id (a name unknown
        is left out); group_names: the groups it was forwarded from or to, by id."""
        people, group_names = people or {}, group_names or {}
        due_day = deadlines.due_date(escalation.due_at)
        lateness = deadlines.lateness(escalation.due_at, now) if (
            escalation.status is EscalationStatus.SENT and escalation.paused_at is None) else None
        derived = {"group_name", "due_date", "due_in_words", "paused", "lateness", "lateness_label",
                   "read_by_name", "acknowledged_by_name", "info_received", "forwarded_from_name",
                   "forwarded_to_name"}
        return cls(**escalation.model_dump(include=set(cls.model_fields) - derived),
                   group_name=group_name, due_date=due_day, due_in_words=deadlines.in_words(due_day),
                   paused=escalation.paused_at is not None, lateness=lateness,
                   lateness_label=LATENESS_LABELS.get(lateness),
                   read_by_name=people.get(escalation.read_by or ""),
                   acknowledged_by_name=people.get(escalation.acknowledged_by or ""),
                   info_received=(escalation.status is EscalationStatus.SENT
                                  and escalation.info_received_at is not None),
                   forwarded_from_name=group_names.get(escalation.forwarded_from or "", escalation.forwarded_from),
                   forwarded_to_name=group_names.get(escalation.forwarded_to or "", escalation.forwarded_to))


class MessageView(View):
    id: str
    group_id: str | None
    author_role: Role
    author_name: str
    channel: Channel
    kind: MessageKind
    body: str
    attachments: list[Attachment]
    created_at: datetime
    review: bool = Field(default=False, description="Extraction declined to cut this email: the whole "
                         "message is shown, quotes folded, for the agent to check (« réponse à vérifier »)")
    has_source: bool = Field(default=False, description="It came by email: its original can be read "
                             "(GET /api/cases/{ref}/messages/{id}/source) while the mail retention keeps it")


class ContactPointView(View):
    """The contact point that holds the case: whom a referent calls back."""
    name: str
    address: str | None = None
    phone: str | None = None


class CaseView(View):
    ref: str
    point_id: str
    contact_point: ContactPointView | None = None
    territory_code: str
    status: CaseStatus
    situation: LifeSituation
    situation_label: str
    description: str
    usager: UsagerView
    identifiers: Identifiers
    outcome: Outcome | None = None
    useful: bool | None = None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    satisfaction: int | None = None
    escalations: list[EscalationView]
    messages: list[MessageView]


class CaseSummary(View):
    ref: str
    point_id: str
    territory_code: str
    status: CaseStatus
    situation: LifeSituation
    situation_label: str
    usager_name: str
    next_due_at: datetime | None = None
    lateness: Lateness | None = Field(default=None, description="A partner is late, or due within 24 h")
    lateness_label: str | None = None
    info_requested: bool = Field(default=False, description="A partner waits for information "
                                 "from the agent")
    partner_messages: int = Field(default=0, description="Messages the partners wrote")
    unread: int = Field(default=0, description="Partner messages since the agent last opened "
                        "the case (agents' lists only)")
    taken_in_hand: bool = Field(default=False, description="A partner said « Je m'en occupe »")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, case: Case, now: datetime) -> CaseSummary:
        lateness = deadlines.lateness(case.next_due_at, now) if case.next_due_at else None
        return cls(ref=case.ref, point_id=case.point_id, territory_code=case.territory_code,
                   status=case.status,
                   situation=case.situation, situation_label=LIFE_SITUATION_LABELS[case.situation],
                   created_at=case.created_at,
                   updated_at=case.updated_at, next_due_at=case.next_due_at,
                   lateness=lateness, lateness_label=LATENESS_LABELS.get(lateness),
                   info_requested=bool(case.info_requested_by),
                   partner_messages=case.partner_messages,
                   taken_in_hand=case.taken_in_hand and case.status is CaseStatus.ESCALATED,
                   usager_name=(f"{case.usager.first_name} {case.usager.last_name}"
                                if case.usager else PURGED_NAME))


class DirectoryView(View):
    territory: Territory
    contact_points: list[ContactPoint]
    referent_groups: list[ReferentGroup]
    organisations: list[Organisation]


class ImportReport(View):
    kind: str
    dry_run: bool
    created: int
    updated: int = Field(description="Rows of entries already in the directory, unchanged ones included")
    unchanged: int = Field(default=0, description="Of the updated rows, those identical to the directory")
    rows: int
    errors: list[dict[str, str | int | None]]
    warnings: list[dict[str, str | int | None]] = Field(
        default=[], description="What imports but deserves a look (a point with no "
                                          "phone); left out of the answer when there is none")

    @model_serializer(mode="wrap")
    def _without_empty_warnings(self, handler):
        data = handler(self)
        if not data.get("warnings"):
            data.pop("warnings", None)
        return data


def case_view(case: Case, escalations: list[Escalation], messages: list[Message],
              groups: dict[str, ReferentGroup], authors: dict[str, User], *, now: datetime,
              audience: Audience, point: ContactPoint | None = None) -> CaseView:
    """The case as its audience may see it (domain/visibility.py): an agent the whole of it,
    a referent through their groups on it."""
    identifiers = case.identifiers
    if not audience.whole_case:
        escalations = [e for e in escalations if audience.sees_thread(e.group_id)]
        messages = [m for m in messages if audience.sees_thread(m.group_id)]
        identifiers = Identifiers()
        for escalation in escalations:  # each partner sees only what it was given
            identifiers = identifiers.merged_with(escalation.identifiers)
    usager = case.usager
    if usager is None:              # wiped at the end of the retention period
        usager_view = UsagerView(first_name=PURGED_NAME, last_name="", sms_opt_in=False)
    else:
        usager_view = UsagerView(first_name=usager.first_name, last_name=usager.last_name,
                                 sms_opt_in=usager.sms_opt_in)
        if audience.sees_usager_contact:
            usager_view = usager_view.model_copy(update={"phone": usager.phone, "email": usager.email})
    group_names = {group_id: group.name for group_id, group in groups.items()}
    return CaseView(
        **case.model_dump(include={"ref", "point_id", "territory_code", "status", "situation",
                                   "description", "outcome", "useful",
                                   "created_at", "updated_at", "closed_at", "satisfaction"}),
        contact_point=ContactPointView(name=point.name, address=point.address, phone=point.phone)
        if point else None,
        identifiers=identifiers,
        situation_label=LIFE_SITUATION_LABELS[case.situation],
        usager=usager_view,
        escalations=[EscalationView.of(
            e, group_names.get(e.group_id, e.group_id), now, group_names=group_names,
            people={user_id: referent_label(authors.get(user_id), group_names.get(e.group_id, e.group_id))
                    for user_id in (e.read_by, e.acknowledged_by) if user_id})
                     for e in sorted(escalations, key=lambda e: e.created_at)],
        messages=[MessageView(
            **m.model_dump(include={"id", "group_id", "author_role", "channel", "kind", "body",
                                    "attachments", "created_at", "review"}),
            has_source=m.source_key is not None, author_name=_author_name(m, authors, groups))
            for m in sorted(messages, key=lambda m: m.created_at)])


def _author_name(message: Message, authors: dict[str, User], groups: dict[str, ReferentGroup]) -> str:
    if message.author_role is Role.USAGER:
        return "L'usager (par SMS)"
    author = authors.get(message.author_id)
    if message.author_role is Role.REFERENT and message.group_id in groups:
        return referent_label(author, groups[message.group_id].name)
    return author.display_name if author else "Agent SP+"


# --- agents' feedback ------------------------------------------------------------------


class FeedbackView(View):
    """A feedback as the point's agents and the territory's coordinators see it: never its
    author (an agent is never identified, not even to coordinators)."""

    id: str
    kind: FeedbackKind
    kind_label: str
    territory_code: str
    point_id: str
    point_name: str
    organisation_id: str | None = None
    organisation_name: str | None = None
    procedure: str | None = None
    problem: str | None = None
    usagers_affected: int | None = None
    topic: str | None = None
    details: str | None = None
    status: FeedbackStatus
    status_label: str = Field(description="« Nouvelle », « Prise en compte », « Résolue »")
    answer: str | None = None
    created_at: datetime
    updated_at: datetime
    triaged_at: datetime | None = None

    @classmethod
    def of(cls, feedback: Feedback, point_names: dict[str, str],
           organisation_names: dict[str, str]) -> FeedbackView:
        return cls(**feedback.model_dump(exclude={"author_id", "version"}),
                   kind_label=FEEDBACK_KIND_LABELS[feedback.kind],
                   status_label=FEEDBACK_STATUS_LABELS[feedback.status],
                   point_name=point_names.get(feedback.point_id, feedback.point_id),
                   organisation_name=organisation_names.get(feedback.organisation_id or "",
                                                            feedback.organisation_id))


class OrganisationFeedback(View):
    organisation_id: str
    organisation_name: str
    reports: int = Field(description="Difficulties reported about this organisation's procedures")
    usagers_affected: int = Field(description="The sum of the usagers they affect, as agents estimated")


class FeedbackSummary(View):
    """A territory's feedback created in [start, end): counts and the items themselves."""

    territory_code: str
    start: datetime
    end: datetime = Field(description="Excluded")
    total: int
    by_kind: dict[FeedbackKind, int] = Field(description="Every kind, zeros included")
    by_status: dict[FeedbackStatus, int] = Field(description="Every status, zeros included")
    by_kind_and_status: dict[FeedbackKind, dict[FeedbackStatus, int]]
    by_organisation: list[OrganisationFeedback] = Field(description="Difficulties only, most reported first")
    usagers_affected: int = Field(description="Sum over the difficulties")
    items: list[FeedbackView] = Field(description="Oldest first")


def summarize(territory_code: str, start: datetime, end: datetime, items: list[Feedback],
              point_names: dict[str, str], organisation_names: dict[str, str]) -> FeedbackSummary:
    """Counts by kind, status and organisation of the feedback created in [start, end)."""
    items = sorted((f for f in items if start <= f.created_at < end), key=lambda f: f.created_at)
    by_kind_and_status = {kind: {status: 0 for status in FeedbackStatus} for kind in FeedbackKind}
    for item in items:
        by_kind_and_status[item.kind][item.status] += 1
    reports: Counter[str] = Counter()
    usagers: Counter[str] = Counter()
    for item in items:
        if item.kind is FeedbackKind.DIFFICULTY and item.organisation_id:
            reports[item.organisation_id] += 1
            usagers[item.organisation_id] += item.usagers_affected or 0
    by_organisation = [
        OrganisationFeedback(organisation_id=org, organisation_name=organisation_names.get(org, org),
                             reports=count, usagers_affected=usagers[org])
        for org, count in sorted(reports.items(), key=lambda pair: (-pair[1], -usagers[pair[0]], pair[0]))]
    return FeedbackSummary(
        territory_code=territory_code, start=start, end=end, total=len(items),
        by_kind={kind: sum(counts.values()) for kind, counts in by_kind_and_status.items()},
        by_status={status: sum(counts[status] for counts in by_kind_and_status.values())
                   for status in FeedbackStatus},
        by_kind_and_status=by_kind_and_status, by_organisation=by_organisation,
        usagers_affected=sum(usagers.values()),
        items=[FeedbackView.of(f, point_names, organisation_names) for f in items])


# What the agent sees of an inbound email kept out of a case's thread (services/quarantine.py).

class QuarantinedEmailView(View):
    id: str
    group_id: str
    group_name: str
    reason: str
    reason_label: str
    sender: str
    subject: str
    received_at: datetime
    status: QuarantineStatus
    decided_at: datetime | None = None
    message_id: str | None = None


class SegmentView(View):
    kind: str = Field(description="text | quote | header | forward | signature")
    text: str


class MessageSourceView(View):
    """The email a message came from, as received: From as written, its date, subject, the
    names of its files, and its body cut into runs (what was written now, what it quotes)."""
    model_config = ConfigDict(defer_build=True, validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)
    message_id: str
    territory_code: str | None = None      # the case's: its times are shown in that zone
    available: bool = Field(default=True, description="False once the mail retention deleted it")
    sender: str = Field(default="", alias="from", description="From, as written")
    subject: str = ""
    date: datetime | None = Field(default=None, description="The Date header, if readable")
    received_at: datetime | None = None
    attachments: list[str] = []
    segments: list[SegmentView] = []


class QuarantinedEmailDetail(QuarantinedEmailView):
    text: str = ""
    attachments: list[str] = []
    refused_attachments: list[str] = []
    readable: bool = True
    territory_code: str | None = None      # the case's: its times are shown in that zone


class ExperienceView(View):
    """A published experience as anyone reads it: never its contact details, its author, its
    team's members, nor an answer that is not published."""

    id: str
    territory_code: str
    organisation_id: str | None = None
    procedure: str | None = None
    situation: str
    sentiment: str | None = None
    channel: str
    text: str
    published_at: datetime | None = None
    level: str | None = None
    answer: str | None = None
    answer_published_at: datetime | None = None

    @classmethod
    def of(cls, experience: Experience) -> ExperienceView:
        from .domain.models import ModerationStatus

        answered = experience.answer_status is ModerationStatus.PUBLISHED
        return cls(id=experience.id, territory_code=experience.territory_code,
                   organisation_id=experience.organisation_id, procedure=experience.procedure,
                   situation=experience.situation.value,
                   sentiment=experience.sentiment.value if experience.sentiment else None,
                   channel=experience.channel.value, text=experience.text,
                   published_at=experience.published_at,
                   level=experience.level.value if experience.level else None,
                   answer=experience.answer if answered else None,
                   answer_published_at=experience.answer_published_at if answered else None)


class ExperiencePosted(View):
    """What the author of an experience is told: it waits for moderation; what was taken out."""

    id: str
    status: str
    removed: list[str] = Field(description="What personal data was taken out of the text, in words")
