"""Who is signed in, for the HTML pages; and the page handlers' common error handling."""
from __future__ import annotations

import functools
from collections.abc import Callable

from aws_lambda_powertools import Logger

from ..adapters.errors import throttled
from ..api import http
from ..domain.errors import Conflict, DomainError, NotAllowed, NotAuthenticated, NotFound
from ..domain.models import Role
from . import pages

logger = Logger(service="relais", child=True)


class PageExit(Exception):
    """Stop a page handler and answer with this response (a redirect, an error page)."""

    def __init__(self, response):
        super().__init__("page exit")
        self.response = response


def current(deps, request):
    """(principal, user) of the session cookie, or None."""
    from ..services import auth

    try:
        principal, user = auth.principal_for(deps, http.cookie(request.headers, http.SESSION_COOKIE))
    except NotAuthenticated:
        return None
    logger.append_keys(user_id=user.id, role=user.role.value)
    return principal, user


def require(deps, request, *roles: Role):
    """The signed-in (principal, user) with one of these roles; else to the login page, or
    a page that says this space is not theirs."""
    signed = current(deps, request)
    if signed is None:
        raise PageExit(pages.login_redirect(request))
    if roles and signed[0].role not in roles:
        raise PageExit(pages.view(request, "forbidden.html", user=signed[1], status=403))
    return signed


def handler(view: Callable):
    """Page handlers answer with a page in every case: never a JSON error, never a 5xx for
    something the user did."""
    @functools.wraps(view)
    def wrapper(deps, request, *args, **kwargs):
        try:
            return view(deps, request, *args, **kwargs)
        except PageExit as exit_:
            return exit_.response
        except (NotFound, NotAllowed):
            signed = current(deps, request)
            return pages.view(request, "not_found.html", user=signed[1] if signed else None, status=404)
        except NotAuthenticated:
            return pages.login_redirect(request)
        except DomainError as refused:
            # A value of the address or the form no page of ours sends (a forged cursor, a
            # date out of range): a French page that says so, never a 5xx.
            signed = current(deps, request)
            return pages.view(request, "bad_request.html", user=signed[1] if signed else None,
                              status=409 if isinstance(refused, Conflict) else 400,
                              message=refused.message)
        except Exception as exc:
            if throttled(exc):
                logger.warning("AWS throttled a page after retries")
                signed = current(deps, request)
                response = pages.view(request, "busy.html", user=signed[1] if signed else None, status=503)
                response.headers["Retry-After"] = "2"
                return response
            raise
    return wrapper


def territory_codes(deps, principal) -> list[str]:
    """The territories a coordinator or an admin may open: their own, or all of them."""
    if principal.role is Role.ADMIN:
        from ..services import directory

        return sorted(t.code for t in directory.list_territories(deps))
    return sorted(principal.territory_codes)


def chosen_territory(deps, principal, requested: str | None) -> tuple[str, list[str]]:
    """The territory a page shows (the one asked for, else the first one may open) and the
    list for its picker."""
    codes = territory_codes(deps, principal)
    code = (requested or (codes[0] if codes else "")).upper()
    if not code:
        raise NotFound("Vous n'êtes rattaché à aucun territoire. Demandez à l'administrateur de Relais.")
    return code, codes
