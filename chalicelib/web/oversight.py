"""The coordinator's view of their territory: its directory and the late escalations."""
from __future__ import annotations

from ..domain.models import Role
from ..services import oversight
from . import pages
from .session import handler, require


@handler
def territory(deps, request):
    principal, user = require(deps, request, Role.COORDINATOR, Role.ADMIN)
    codes = sorted(principal.territory_codes) or ["61"]
    wanted = ((request.query_params or {}).get("code") or codes[0]).upper()
    overview = oversight.territory_overview(deps, principal, wanted)
    return pages.view(request, "territory.html", user=user, current="/territoire", codes=codes,
                      overview=overview)
