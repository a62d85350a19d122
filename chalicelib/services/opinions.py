"""The usager's opinion, gathered after the service (issue 25): by SMS (AVIS, or words with the
satisfaction mark: services/sms.receive) and by the agent on the phone (« Avis recueilli par
téléphone » on the case page). Each is filed as an experience (services/experiences), which
keeps the case's point, territory, organisation and situation and nothing personal.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from ..bootstrap import Deps
from ..domain import authz
from ..domain.authz import Principal
from ..domain.commands import PhoneSurvey
from ..domain.errors import Conflict, InvalidInput
from ..domain.events import EventCode
from ..domain.models import Case, CaseStatus, Experience, ExperienceChannel, Role, Sentiment
from ..observability import count
from . import experiences
from .cases import case_ref
from .common import event, retry_on_conflict

logger = Logger(service="relais", child=True)
NOT_CLOSED = ("L'avis de l'usager se recueille une fois le dossier clos : clôturez-le d'abord.")


def file_experience(deps: Deps, case: Case, text: str, channel: ExperienceChannel, *,
                    sentiment: Sentiment | None = None, author_id: str | None = None) -> Experience:
    """The one place an opinion becomes an experience: `experiences.file_from_case` scrubs the
    personal data and keeps the case's point, territory, organisation and situation only."""
    experience = experiences.file_from_case(deps, case, text, channel, sentiment=sentiment,
                                            author_id=author_id)
    count("experiences_filed")
    return experience


def too_short(text: str) -> bool:
    """Whether the experiences core would refuse this text as an opinion."""
    return len(" ".join(text.split())) < experiences.MIN_SMS_TEXT


def record_phone_survey(deps: Deps, principal: Principal, ref: str, command: PhoneSurvey) -> bool:
    """An agent of the case writes down what the usager said on the phone: the mark becomes the
    case's satisfaction if the usager gave none yet (as an SMS reply would), the comment an
    experience (channel telephone). Audited (PHONE_SURVEY). True if the mark was recorded."""
    authz.require_role(principal, Role.AGENT)
    ref = case_ref(ref)
    if command.comment and too_short(command.comment):
        raise InvalidInput("Le commentaire est trop court : quelques mots, ou laissez-le vide.", field="comment")

    def attempt() -> tuple[Case, bool]:
        with deps.uow() as uow:
            case = uow.cases.get(ref).case
            authz.require_agent_of_case(principal, case)
            if case.status is not CaseStatus.CLOSED:
                raise Conflict(NOT_CLOSED)
            now = deps.now()
            recorded = case.satisfaction is None
            if recorded:
                marked = case.model_copy(update={"satisfaction": command.satisfaction,
                                                 "satisfaction_at": now, "version": case.version + 1})
                uow.cases.save(marked, case.version)
                case = marked
            uow.events.record(event(EventCode.PHONE_SURVEY, principal.user_id, now, ref,
                                    satisfaction=str(command.satisfaction), sentiment=command.sentiment,
                                    recorded=str(recorded).lower(), comment=str(bool(command.comment)).lower()))
            uow.commit()
        return case, recorded

    case, recorded = retry_on_conflict(attempt)
    if command.comment:
        file_experience(deps, case, command.comment, ExperienceChannel.PHONE,
                        sentiment=Sentiment(command.sentiment), author_id=principal.user_id)
    logger.info("phone survey recorded", extra={"case_ref": ref, "mark_recorded": recorded})
    return recorded
