"""Services Publics+ experiences: the JSON API (the pages are in chalicelib/web/experiences.py)."""
from __future__ import annotations

from chalice import Blueprint
from pydantic import Field

from .. import views
from ..bootstrap import deps
from ..domain import commands
from ..domain.commands import Command
from ..domain.models import LifeSituation, Sentiment
from . import common

bp = Blueprint(__name__)
api = common.api.on(bp)


class ExperienceListQuery(Command):
    territoire: str | None = Field(default=None, max_length=3)
    organisme: str | None = Field(default=None, max_length=63)
    demarche: str | None = Field(default=None, max_length=200)
    situation: LifeSituation | None = None
    ressenti: Sentiment | None = None
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2000)


def client_address() -> str:
    """The address a request comes from, as API Gateway saw it (hashed before any use)."""
    context = bp.current_request.context or {}
    return str((context.get("identity") or {}).get("sourceIp") or "unknown")


@api.route("/api/experiences", "POST", summary="Publier une expérience (modérée avant publication)",
           body=commands.ExperiencePost, response=views.ExperiencePosted, status=201, auth=False)
def post_experience(body: commands.ExperiencePost):
    from ..services import experiences

    experience = experiences.post_public(deps(), body, client_address=client_address())
    from ..domain.scrub import LABELS

    return views.ExperiencePosted(id=experience.id, status=experience.status.value,
                                  removed=[LABELS[kind] for kind in experience.removed])


@api.route("/api/experiences", "GET", summary="Les expériences publiées et leurs réponses",
           query=ExperienceListQuery, response=views.PageView[views.ExperienceView], auth=False)
def list_experiences(query: ExperienceListQuery):
    from ..services import experiences

    page = experiences.published(deps(), experiences.Filters(
        territory_code=query.territoire.upper() if query.territoire else None,
        organisation_id=query.organisme, procedure=query.demarche,
        situation=query.situation.value if query.situation else None,
        sentiment=query.ressenti.value if query.ressenti else None),
        limit=query.limit, cursor=query.cursor)
    return views.PageView[views.ExperienceView](items=[views.ExperienceView.of(e) for e in page.items],
                                                cursor=page.cursor)
