"""The coordinator's view of their territory: its directory and the late escalations."""
from __future__ import annotations

from ..domain.models import Role
from ..services import oversight
from . import pages
from .session import chosen_territory, handler, require


@handler
def territory(deps, request):
    principal, user = require(deps, request, Role.COORDINATOR, Role.ADMIN)
    wanted, codes = chosen_territory(deps, principal, (request.query_params or {}).get("code"))
    overview = oversight.territory_overview(deps, principal, wanted)
    return pages.view(request, "territory.html", user=user, current="/territoire", codes=codes,
                      overview=overview)
