"""The open data of Services Publics+ experiences: /experiences/donnees.csv and .json
?periode=2026-T1[&suite=<cursor>]. Public, no login, like the results' open data.

One row per experience published in the quarter, newest first, PAGE_ROWS at most per file: the
next file's address is in the JSON's `suite` and in the `Link` header (rel="next") of both."""
from __future__ import annotations

import json
from urllib.parse import quote

from chalice import Response

from ..adapters import csv_out
from ..api import http
from ..domain import query as query_values
from ..domain import results as domain
from ..domain.errors import InvalidInput
from ..services import experience_data

BAD_PERIOD = "Une période s'écrit 2026-T1 (un trimestre)."


def _error(field: str, message: str) -> Response:
    return http.json_response({"error": "invalid_input", "field": field, "message": message}, 400)


def export(deps, request, fmt: str) -> Response:
    query = request.query_params or {}
    wanted = query.get("periode") or domain.quarter(deps.now())
    quarter = query_values.quarter(wanted)
    if quarter is None:
        return _error("periode", BAD_PERIOD)
    cursor = query.get("suite") or None
    try:
        rows, following = experience_data.open_data(deps, quarter, cursor)
    except InvalidInput as refused:
        return _error("suite", refused.message)           # the cursor is the only thing left to refuse
    next_url = (f"/experiences/donnees.{fmt}?periode={quarter}&suite={quote(following, safe='')}"
                if following else None)
    headers = {**http.SECURITY_HEADERS, "Cache-Control": "public, max-age=3600",
               "Access-Control-Allow-Origin": "*"}
    if next_url:
        headers["Link"] = f'<{next_url}>; rel="next"'
    if fmt == "json":
        body = {"periode": quarter, "k_anonymat": domain.K_ANONYMITY,
                "lignes_par_fichier": experience_data.PAGE_ROWS, "lignes": rows, "suite": next_url}
        return Response(body=json.dumps(body, ensure_ascii=False), status_code=200,
                        headers={**headers, "Content-Type": "application/json; charset=utf-8"})
    columns = experience_data.COLUMNS
    name = f"relais-experiences-{quarter}{'-suite' if cursor else ''}"
    return csv_out.response([columns, *([row[c] for c in columns] for row in rows)], name, headers)
