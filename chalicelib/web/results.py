"""The published results: a public page (no login), the open data (CSV and JSON), and each
territory's quarterly report for its follow-up commission.

Figures come from the stored cells (services/results.py): a page reads the partitions of the
period's quarter and months, whatever the number of cases. Cells under k = 5 cases show as "—",
and so do the complements withheld so that none can be derived (domain/disclosure.py).
"""
from __future__ import annotations

import json
import re
from datetime import datetime

from chalice import Response

from ..adapters import csv_out
from ..api import http
from ..domain import results as domain
from ..domain.collation import french_sorted
from ..domain.errors import NotFound
from ..domain.experience_indicators import days_label
from ..domain.models import Role
from ..domain.territories import DEPARTEMENTS
from ..services import directory, experience_data, results
from . import pages
from .session import chosen_territory, current, handler, require

PERIOD = re.compile(r"^\d{4}-(T[1-4]|0[1-9]|1[0-2])$")
LEVELS = {"point": "point", "territoire": "territory", "reseau": "network", "national": "national"}
COLUMNS = ["periode", "niveau", "code", "nom", "demandes", "taux_resolu_au_guichet",
           "taux_utile", "saisines", "taux_reponse_dans_le_delai", "delai_median_heures_ouvrees_max",
           "delai_90e_centile_heures_ouvrees_max", "taux_satisfaits", "satisfaction_nette",
           "nb_dossiers_clos", "nb_saisines_echues", "nb_reponses", "nb_avis_sms", "masque"]


def periods(now: datetime) -> list[tuple[str, str]]:
    """The periods one may choose: the last six quarters, then the last twelve months."""
    quarter = domain.quarter(now)
    quarters = [quarter]
    for _ in range(5):
        quarters.append(domain.previous_quarter(quarters[-1]))
    year, month = int(domain.month(now)[:4]), int(domain.month(now)[5:])
    months = []
    for _ in range(12):
        months.append(f"{year}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    names = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre"]
    return ([(q, f"{q[-1]}{'er' if q[-1] == '1' else 'e'} trimestre {q[:4]}") for q in quarters]
            + [(m, f"{names[int(m[5:]) - 1]} {m[:4]}") for m in months])


def _names(deps, territory: str | None) -> dict[tuple[str, str], str]:
    names = {("territory", code): f"{name} ({code})" for code, name in DEPARTEMENTS.items()}
    names[("national", domain.NATIONAL)] = "France entière"
    names |= {("network", code): name for code, name in directory.organisation_short_names(deps).items()}
    if territory:
        points, groups = directory.territory_entries(deps, territory)
        names |= {("point", p.id): p.name for p in points}
        names |= {("group", g.id): g.name for g in groups}
    return names


def part(deps, period: str, kind: str, territory: str | None):
    """The part of the period's published figures that holds this kind of scope
    (services/results.py `published`): a territory's for its points and groups."""
    return results.published(deps, period, territory if kind in ("point", "group") and territory
                             else results.NATIONAL_PART)


def rows(deps, period: str, kind: str, territory: str | None = None,
         names: dict[tuple[str, str], str] | None = None, published=None) -> list[dict]:
    """One row per scope of that kind in the directory, active or not (a masked row looks the
    same whether it held 0 or 4 cases): its name and figures, sorted by name. Figures come
    from `published` (the part of services.results.published that holds the kind: secondary
    suppression included). A page reads the names and each part once and passes them."""
    published = published if published is not None else part(deps, period, kind, territory)
    names = names if names is not None else _names(deps, territory)
    found = []
    for scope_id in published.scopes(kind):
        name = names.get((kind, scope_id))
        if name is None:            # a point of another territory, or gone from the directory
            continue
        found.append({"code": scope_id, "name": name, "figures": published.figures(kind, scope_id)})
    return french_sorted(found, lambda row: row["name"])


def _period(query: dict, now: datetime) -> str:
    wanted = (query or {}).get("periode", "")
    return wanted if PERIOD.match(wanted) else domain.quarter(now)


@handler
def public(deps, request):
    query = request.query_params or {}
    now = deps.now()
    period = _period(query, now)
    territory = (query.get("territoire") or "").upper() or None
    if territory not in DEPARTEMENTS:
        territory = None
    signed = current(deps, request)
    published = results.published(deps, period)
    names = _names(deps, territory)
    territories = rows(deps, period, "territory", names=names, published=published)
    networks = rows(deps, period, "network", names=names, published=published)
    points = rows(deps, period, "point", territory, names=names) if territory else []
    page = pages.view(request, "results.html", user=signed[1] if signed else None, current="/resultats",
                      period=period, periods=periods(now), territory=territory,
                      territory_name=DEPARTEMENTS.get(territory or ""),
                      national=published.figures("national", domain.NATIONAL), territories=territories, networks=networks,
                      points=points, poster_quarter=domain.quarter_of(period), all_territories=french_sorted(DEPARTEMENTS.items(), lambda t: t[1]),
                      experiences=experience_data.indicators(deps, period), k=domain.K_ANONYMITY)
    # The page holds the browser's form token: never in a shared cache. An anonymous view that
    # sets no cookie may be kept by the browser as long as the figures are; one that names its
    # user or hands out a token is not kept (no-store). The open data is public (`export`).
    age = deps.settings.results_cache_seconds
    if age and not signed and "Set-Cookie" not in page.headers:
        page.headers["Cache-Control"] = f"private, max-age={age}"
        page.headers["Vary"] = "Cookie"
    return page


def _export_rows(deps, period: str, level: str, territory: str | None) -> list[dict]:
    kind = LEVELS[level]
    out = []
    for row in rows(deps, period, kind, territory if kind == "point" else None):
        f = row["figures"]
        out.append(dict(zip(COLUMNS, [
            period, level, row["code"], row["name"], f.cases, f.desk_rate, f.useful_rate, f.escalations,
            f.ontime_rate, f.median_hours, f.p90_hours, f.satisfied_rate, f.net_satisfaction,
            f.closed, f.due, f.answered, f.satisfaction_answers, f.suppressed], strict=True)))
    return out


def export(deps, request, fmt: str):
    """Open data: /resultats/donnees.csv or .json?periode=2026-T4&niveau=territoire
    (niveau=point needs territoire=<code>)."""
    query = request.query_params or {}
    period, level = query.get("periode", domain.quarter(deps.now())), query.get("niveau", "territoire")
    territory = (query.get("territoire") or "").upper() or None
    problem = (("periode", "Une période s'écrit 2026-T4 (trimestre) ou 2026-11 (mois).")
               if not PERIOD.match(period) else
               ("niveau", "Le niveau est point, territoire, reseau ou national.") if level not in LEVELS else
               ("territoire", "Le niveau point demande un territoire, par exemple territoire=61.")
               if level == "point" and territory not in DEPARTEMENTS else None)
    if problem:
        return http.json_response({"error": "invalid_input", "field": problem[0], "message": problem[1]}, 400)
    data = _export_rows(deps, period, level, territory)
    headers = {**http.SECURITY_HEADERS, "Cache-Control": "public, max-age=3600",
               "Access-Control-Allow-Origin": "*"}
    name = f"relais-resultats-{period}-{level}{'-' + territory if territory else ''}"
    if fmt == "json":
        return Response(body=json.dumps({"periode": period, "niveau": level, "k_anonymat": domain.K_ANONYMITY,
                                         "lignes": data}, ensure_ascii=False),
                        status_code=200, headers={**headers, "Content-Type": "application/json; charset=utf-8"})
    return csv_out.response([COLUMNS, *([row[column] for column in COLUMNS] for row in data)], name, headers)


# --- the quarterly report ---------------------------------------------------------------

def _trend(now: domain.Figures, before: domain.Figures) -> list[tuple[str, object, object]]:
    return [("Demandes traitées", now.cases, before.cases),
            ("Résolues au guichet (%)", now.desk_rate, before.desk_rate),
            ("Saisines", now.escalations, before.escalations),
            ("Réponses dans le délai (%)", now.ontime_rate, before.ontime_rate),
            ("Délai médian (heures ouvrées, au plus)", now.median_hours, before.median_hours),
            ("Délai du 90e centile (heures ouvrées, au plus)", now.p90_hours, before.p90_hours),
            ("Clôturées utiles (%)", now.useful_rate, before.useful_rate),
            ("Usagers satisfaits (%)", now.satisfied_rate, before.satisfied_rate),
            ("Satisfaction nette", now.net_satisfaction, before.net_satisfaction)]


def _slowest(deps, quarter: str, names: dict[tuple[str, str], str], published=None) -> list[dict]:
    """The ten referent groups of the territory slowest to answer this quarter (k = 5 applies):
    `names` holds the territory's groups only, so the others' cells are left out."""
    groups = rows(deps, quarter, "group", names=names, published=published)
    measured = [r for r in groups if r["figures"].ontime_rate is not None]
    order = (*map(str, domain.HOUR_BUCKETS), domain.OVER)
    measured.sort(key=lambda r: (r["figures"].ontime_rate,
                                 -order.index(r["figures"].median_hours or "1")))
    return measured[:10]


def report_data(deps, principal, quarter: str, territory: str) -> dict:
    from ..domain import authz

    authz.require_territory_reader(principal, territory)
    if territory not in DEPARTEMENTS:
        raise NotFound("Ce territoire n'existe pas.", field="territory")
    previous = domain.previous_quarter(quarter)
    # The same figures as the public page's: the report goes to the follow-up commission.
    published = part(deps, quarter, "point", territory)
    now_figures = results.published(deps, quarter).figures("territory", territory)
    before = results.published(deps, previous).figures("territory", territory)
    from datetime import time

    from ..domain.deadlines import PARIS
    from ..services import feedback as feedback_service

    start, end = (datetime.combine(day, time(0), tzinfo=PARIS) for day in domain.quarter_bounds(quarter))
    feedback = feedback_service.quarter_summary(deps, territory, start, end)
    names = _names(deps, territory)
    # The experiences' answers, as the public page and the quarterly email show them.
    experiences = experience_data.indicators(deps, quarter)
    return {"quarter": quarter, "previous": previous, "territory": territory,
            "territory_name": DEPARTEMENTS[territory], "trend": _trend(now_figures, before),
            "slowest": _slowest(deps, quarter, names, published),
            "points": rows(deps, quarter, "point", names=names, published=published),
            "feedback": feedback, "experiences": experiences,
            "territory_experiences": experiences.territory(territory)}


def _report_query(deps, principal, request) -> tuple[str, str]:
    """The report's quarter (this one unless a valid one is asked for) and territory."""
    query = request.query_params or {}
    from ..domain import query as query_values

    quarter = query_values.quarter(query.get("trimestre")) or domain.quarter(deps.now())
    return quarter, chosen_territory(deps, principal, query.get("code"))[0]


@handler
def report(deps, request):
    principal, user = require(deps, request, Role.COORDINATOR, Role.ADMIN)
    data = report_data(deps, principal, *_report_query(deps, principal, request))
    quarters = [q for q, _ in periods(deps.now()) if "-T" in q]
    return pages.view(request, "report.html", user=user, current="/territoire", quarters=quarters,
                      k=domain.K_ANONYMITY, **data)


@handler
def report_csv(deps, request):
    principal, _ = require(deps, request, Role.COORDINATOR, Role.ADMIN)
    data = report_data(deps, principal, *_report_query(deps, principal, request))
    lines = [["section", "libelle", data["quarter"], data["previous"]]]
    lines += [["evolution", label, now_value, before_value] for label, now_value, before_value in data["trend"]]
    lines += [["groupes_les_plus_lents", row["name"], row["figures"].ontime_rate, row["figures"].median_hours]
              for row in data["slowest"]]
    lines += [["points", row["name"], row["figures"].cases, row["figures"].desk_rate] for row in data["points"]]
    mine = data["territory_experiences"]
    lines += [["experiences_territoire", "publiees", mine.published, None],
              ["experiences_territoire", "avec une reponse publiee (%)", mine.answered_rate, None]]
    lines += [["experiences_organismes", row.name, row.indicators.published, row.indicators.answered_rate,
               row.indicators.ontime_rate, days_label(row.indicators.median_days)]
              for row in data["experiences"].organisations]
    lines += [["remontees", item.kind_label, item.point_name,
               f"{item.organisation_name} : {item.procedure}" if item.procedure else item.topic,
               item.status_label] for item in data["feedback"].items]
    # Behind a login: no-store (http.SECURITY_HEADERS), never in a shared cache.
    return csv_out.response(lines, f"relais-rapport-{data['territory']}-{data['quarter']}",
                            http.SECURITY_HEADERS)
