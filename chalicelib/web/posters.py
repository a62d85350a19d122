"""Results on the wall: a printable A4 poster per contact point (/resultats/affiche/<point>,
public), and all of a territory's posters on one page for its coordinators and admins
(/territoire/<code>/affiches), each poster on its own printed page.

The figures are the public page's (services/results.py `published`, disclosure control
included), said in plain words (domain/posters.py). The QR code leads to the point's row on
the public results page. A quarter that has begun may be asked for (?periode=2026-T1); by
default the last finished quarter, the one of the quarterly report.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from ..adapters import qr
from ..domain import posters as words
from ..domain import query as query_values
from ..domain import results as domain
from ..domain.errors import InvalidInput, NotFound
from ..domain.models import ContactPoint, Role
from ..domain.territories import DEPARTEMENTS
from ..services import directory, results
from . import pages
from .session import current, handler, require

POINT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")       # domain/validation.py Slug
POINT_NOT_FOUND = "Ce point de contact est introuvable."
BAD_QUARTER = "Une affiche couvre un trimestre : écrivez-le 2026-T1 (entre 2000 et 2099)."
FUTURE_QUARTER = "Ce trimestre n'a pas encore commencé : ses chiffres n'existent pas encore."


def chosen_quarter(deps, query: dict) -> str:
    """The quarter asked for, or the last finished one; InvalidInput (a 400 page) for anything
    else than a quarter that has begun."""
    now_quarter = domain.quarter(deps.now())
    wanted = query.get("periode")
    if not wanted:
        return domain.previous_quarter(now_quarter)
    quarter = query_values.quarter(wanted)
    if quarter is None:
        raise InvalidInput(BAD_QUARTER, field="periode")
    if quarter > now_quarter:
        raise InvalidInput(FUTURE_QUARTER, field="periode")
    return quarter


def quarters(deps, chosen: str) -> list[tuple[str, str]]:
    """The quarters one may choose: this one and the five before, the latest first (and the
    one shown, if older)."""
    found = [domain.quarter(deps.now())]
    for _ in range(5):
        found.append(domain.previous_quarter(found[-1]))
    if chosen not in found:
        found.append(chosen)
    return [(q, words.quarter_label(q)) for q in found]


def results_address(deps, point: ContactPoint, quarter: str) -> str:
    """The point's row on the public results page, as an absolute address (the QR code's)."""
    query = urlencode({"periode": quarter, "territoire": point.territory_code})
    return f"{deps.settings.base_url}/resultats?{query}#point-{point.id}"


def poster(deps, point: ContactPoint, quarter: str, published: results.Published) -> dict:
    figures = published.figures("point", point.id)
    address = results_address(deps, point, quarter)
    return {"point": point, "territory_name": DEPARTEMENTS.get(point.territory_code, point.territory_code),
            "lines": words.lines(figures), "nothing_shown": figures.suppressed, "address": address,
            "qr": qr.svg(address, f"Code QR : les résultats de {point.name} sur internet")}


def _context(deps, quarter: str) -> dict:
    return {"quarter": quarter, "quarter_label": words.quarter_label(quarter),
            "period_words": words.period_words(quarter), "rule": words.RULE, "rule_detail": words.RULE_DETAIL,
            "withheld": words.WITHHELD, "nothing_shown_words": words.NOTHING_SHOWN, "quarters": quarters(deps, quarter)}


@handler
def point_poster(deps, request, point_id: str):
    point = next(iter(directory.points(deps, [point_id])), None) if POINT_ID.fullmatch(point_id or "") else None
    if point is None:
        raise NotFound(POINT_NOT_FOUND, field="point")
    quarter = chosen_quarter(deps, request.query_params or {})
    published = results.published(deps, quarter, point.territory_code)
    signed = current(deps, request)
    page = pages.view(request, "poster.html", user=signed[1] if signed else None, current="/resultats",
                      title=f"Affiche des résultats : {point.name}", posters=[poster(deps, point, quarter, published)],
                      action=f"/resultats/affiche/{point.id}", territory=None, more=None,
                      back=("/resultats", "Tous les résultats"),
                      **_context(deps, quarter))
    # As the public results page: an anonymous view without a cookie is kept as long as the figures.
    age = deps.settings.results_cache_seconds
    if age and not signed and "Set-Cookie" not in page.headers:
        page.headers["Cache-Control"] = f"private, max-age={age}"
        page.headers["Vary"] = "Cookie"
    return page


@handler
def territory_posters(deps, request, code: str):
    principal, user = require(deps, request, Role.COORDINATOR, Role.ADMIN)
    query = request.query_params or {}
    try:
        cursor = query_values.cursor(query.get("suite"))
    except ValueError as refused:
        raise InvalidInput(str(refused), field="suite") from refused
    code = (code or "").upper()
    points, next_cursor = directory.poster_points(deps, principal, code, cursor)
    quarter = chosen_quarter(deps, query)
    published = results.published(deps, quarter, code)
    name = DEPARTEMENTS[code]
    return pages.view(request, "poster.html", user=user, current="/territoire",
                      title=f"Affiches des résultats : {name} ({code})", territory=code,
                      posters=[poster(deps, point, quarter, published) for point in points],
                      action=f"/territoire/{code}/affiches",
                      more=(f"/territoire/{code}/affiches?{urlencode({'periode': quarter, 'suite': next_cursor})}"
                            if next_cursor else None),
                      back=(f"/territoire?code={code}", "Retour au territoire"), **_context(deps, quarter))
