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
from .common import FORM

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


# --- the pages (chalicelib/web/experiences.py) ------------------------------------------------

@bp.route("/experiences", methods=["GET"])
def experiences_page():
    from ..web import experiences as experience_pages

    return experience_pages.public_list(deps(), bp.current_request)


@bp.route("/experiences/nouvelle", methods=["GET"])
def experience_form():
    from ..web import experiences as experience_pages

    return experience_pages.public_form(deps(), bp.current_request)


@bp.route("/experiences/nouvelle", methods=["POST"], content_types=FORM)
def experience_submit():
    from ..web import experiences as experience_pages

    return experience_pages.public_submit(deps(), bp.current_request, client_address())


@bp.route("/experiences/guichet", methods=["GET"])
def experience_desk_form():
    from ..web import experiences as experience_pages

    return experience_pages.desk_form(deps(), bp.current_request)


@bp.route("/experiences/guichet", methods=["POST"], content_types=FORM)
def experience_desk_submit():
    from ..web import experiences as experience_pages

    return experience_pages.desk_submit(deps(), bp.current_request)


@bp.route("/experiences/{experience_id}", methods=["GET"])
def experience_page(experience_id):
    from ..web import experiences as experience_pages

    return experience_pages.public_detail(deps(), bp.current_request, experience_id)


# --- the JSON API -----------------------------------------------------------------------------

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
