"""What the blueprints share: the signed-in user, and the one JSON API they all declare on."""
from __future__ import annotations

from ..api import http
from ..api.http import JsonApi
from ..bootstrap import deps
from ..observability import logger

# The pages' forms, as browsers post them.
FORM = ["application/x-www-form-urlencoded"]


def signed_in(request):
    from ..services import auth

    principal, user = auth.principal_for(deps(), http.cookie(request.headers, http.SESSION_COOKIE))
    logger.append_keys(user_id=user.id, role=user.role.value)
    return principal, user


def current_principal(request):
    return signed_in(request)[0]


# Declares no route itself: each feature takes `api.on(its blueprint)`, and every JSON route lands
# in api.operations, which /api/openapi.json describes.
api = JsonApi(None, current_principal, is_dev=lambda: deps().settings.is_dev)
