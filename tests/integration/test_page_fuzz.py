"""Hostile query strings and forms on every page: never a 5xx.

tests/integration/test_api_fuzz.py fuzzes the JSON API from its OpenAPI document; the pages
have no such document, and an outside attack found 500s there (a forged pagination cursor, a
date in year 1, a quarter in year 9999, a hidden field holding a query string of too many
fields). Here every page route of the app (read from the app itself, so a new page is fuzzed
as soon as it exists) gets, as each role:

- GET with hostile values in every query parameter a page reads, all at once and one by one
  (for the roles the page opens to), and with repeated keys;
- POST with a valid CSRF token (so the forms' validation is reached) and hostile fields, an
  oversized body, too many fields, bytes that are not UTF-8, and repeated keys.

Each answer must be below 500: a page, a 400 with a French message, a redirect or a 404.
"""
from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest

from tests.clock import TUESDAY_MORNING
from tests.integration import test_authorization_matrix as matrix

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

world = matrix.world
ROLES = ["anonymous", "agent", "referent", "coordinator", "admin", "moderator", "responder"]
# Every query parameter a page reads (chalicelib/web): a test below checks the list is whole.
PARAMS = ["suite", "du", "au", "trimestre", "periode", "code", "point", "vue", "statut", "type",
          "fait", "erreur", "envoye", "niveau", "territoire", "groupe", "key", "bucket", "v", "a",
          "organisme", "demarche", "situation", "ressenti", "retire", "equipe"]
HOSTILE = ["%%%", "0001-01-01", "9999-T4", "0001-T1", "2026-13", "99999999999999999999999",
           "\x00", "x" * 5000, "<script>alert(1)</script>", "61-ZZZ-ZZZ", "31/02/2026"]
# Each parameter alone: the two values that broke a page, a forged cursor for every parameter
# and a date in year 1 for those that hold a date or a period; the others go all together above.
SHARP = ["%%%", "0001-01-01"]
DATED = {"du", "au", "trimestre", "periode"}
CSRF = "A" * 32
# Fields the forms read, each set to a hostile value together.
FORM_FIELDS = ["body", "kind", "group_id", "group_ids", "outcome", "useful", "email", "token",
               "status", "answer", "point_id", "q", "import", "situation", "description",
               "first_name", "last_name", "phone", "question", "organisation_id", "procedure",
               "problem", "usagers_affected", "topic", "details", "consent_attested", "sms_opt_in",
               "caf_number", "nir", "filtres", "satisfaction", "sentiment", "comment", "territory_code",
               "text", "contact_email", "contact_phone", "decision", "reason"]
PATH_VALUES = {"token": "abc", "message_id": "m1", "index": "99999999999999999999",
               "quarantine_id": "q1", "code": "61", "feedback_id": "f1", "point": "61-mairie-bretoncelles",
               "experience_id": "20260310T090000000000-abcdef"}


def page_routes() -> list[tuple[str, str]]:
    from app import app

    return sorted((path, method) for path, entry in app.routes.items() for method in entry
                  if not path.startswith(("/api/", "/_dev/", "/static/")))


@pytest.fixture(scope="module")
def ref(world) -> str:
    return matrix.open_escalated_case(world).ref


def url(path: str, ref: str) -> str:
    for name, value in {**PATH_VALUES, "ref": ref}.items():
        path = path.replace("{" + name + "}", value)
    return path


def headers(world, role: str, content_type: str | None = None) -> dict[str, str]:
    cookies = [f"relais_csrf={CSRF}"]
    if role != "anonymous":
        cookies.append(world.sessions[role]["Cookie"])
    found = {"Cookie": "; ".join(cookies)}
    if content_type:
        found["Content-Type"] = content_type
    return found


def query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(name)}={quote(value, safe='%')}" for name, value in pairs)


def get(world, role: str, path: str, pairs: list[tuple[str, str]]):
    return world.client.http.get(f"{path}?{query(pairs)}" if pairs else path, headers=headers(world, role))


def post(world, role: str, path: str, body: bytes | str, content_type="application/x-www-form-urlencoded"):
    return world.client.http.post(path, headers=headers(world, role, content_type), body=body)


def served(world, role: str, path: str) -> bool:
    return get(world, role, path, []).status_code == 200


def test_the_fuzzed_parameters_are_all_those_the_pages_read():
    import re
    from pathlib import Path

    import chalicelib.web as web

    read = set()
    for source in Path(web.__file__).parent.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        read |= set(re.findall(r"query(?:_params)?(?: or \{\}\))?\.get\(\"([a-z_]+)\"", text))
        read |= set(re.findall(r"query\[\"([a-z_]+)\"\]", text))
    assert read and read <= set(PARAMS), sorted(read - set(PARAMS))


@pytest.fixture
def results_cached(monkeypatch):
    """The published figures served as in production, from their document (rebuilt hourly):
    the fuzz is about parameters, and recomputing the figures at each of its thousands of
    requests took most of its time. test_results.py covers the computation and the cache."""
    from chalicelib import bootstrap

    monkeypatch.setenv("RELAIS_RESULTS_CACHE_SECONDS", "3600")
    bootstrap.reset()
    yield
    monkeypatch.undo()
    bootstrap.reset()


@pytest.mark.parametrize("role", ROLES)
def test_hostile_query_strings_never_get_a_server_error(world, ref, role, results_cached):
    failures = []
    for path, method in page_routes():
        if method != "GET":
            continue
        target = url(path, ref)
        variants = [[(name, value) for name in PARAMS] for value in HOSTILE]
        variants += [[(name, "%%%") for name in PARAMS] * 3,                       # repeated keys
                     [("suite", "a"), ("suite", "%%%"), ("du", "2026-01-01"), ("du", "0001-01-01")]]
        if served(world, role, target):   # the page opens to this role: each parameter alone too
            variants += [[(name, value)] for name in PARAMS for value in SHARP
                         if value == "%%%" or name in DATED]
        for pairs in variants:
            response = get(world, role, target, pairs)
            if response.status_code >= 500:
                failures.append(f"GET {target}?{query(pairs)[:200]} as {role}: {response.status_code}")
    assert not failures, f"{len(failures)} server error(s):\n" + "\n".join(failures[:20])


def hostile_forms() -> list[tuple[str, bytes | str]]:
    many = "&".join(f"f{i}=1" for i in range(600))
    filters = "&".join(f"code=61&statut=nouvelle&n{i}=1" for i in range(20))
    forms: list[tuple[str, bytes | str]] = [("empty", "")]
    for value in ["%%%", "0001-01-01", "9999-T4", "99999999999999999999999", "\x00", "x" * 20000]:
        fields = [("csrf", CSRF)] + [(name, value) for name in FORM_FIELDS]
        forms.append((f"fields={value[:12]!r}", urlencode(fields)))
    forms += [
        ("filtres with 60 fields", urlencode({"csrf": CSRF, "status": "resolue", "answer": "ok",
                                              "filtres": filters})),
        ("filtres with a hostile date", urlencode({"csrf": CSRF, "status": "resolue",
                                                   "filtres": "du=0001-01-01&au=9999-12-31&suite=%%%"})),
        ("600 fields", f"csrf={CSRF}&{many}"),
        ("repeated keys", f"csrf={CSRF}&csrf=B&kind=answer&kind=note&body=a&body=b"),
        ("not UTF-8", b"csrf=" + CSRF.encode() + b"&body=\xff\xfe\xfd&kind=\xc3"),
        ("oversized", f"csrf={CSRF}&body=" + "x" * 600_000),
        ("percent soup", f"csrf={CSRF}&body=%%%&kind=%zz&%=%"),
    ]
    return forms


@pytest.mark.parametrize("role", ROLES)
def test_hostile_forms_never_get_a_server_error(world, role):
    failures = []
    # A fresh case per role: a hostile form may well close it, which is fine.
    ref = matrix.open_escalated_case(world).ref
    for path, method in page_routes():
        if method != "POST" or (path == "/deconnexion" and role != "anonymous"):
            continue   # signing out would end the world's session for what follows
        target = url(path, ref)
        content_types = ["application/x-www-form-urlencoded"]
        if path == "/annuaire/apercu":
            content_types.append("multipart/form-data; boundary=x")
        for content_type in content_types:
            for name, body in hostile_forms():
                response = post(world, role, target, body, content_type)
                if response.status_code >= 500:
                    failures.append(f"POST {target} ({name}, {content_type}) as {role}: {response.status_code}")
    assert not failures, f"{len(failures)} server error(s):\n" + "\n".join(failures[:20])


@pytest.mark.parametrize("path,pairs", [
    ("/tableau-de-bord", [("suite", "%%%")]),
    ("/territoire/remontees", [("suite", "%%%")]),
    ("/territoire/remontees", [("du", "0001-01-01")]),
    ("/territoire/remontees", [("au", "9999-12-31")]),
    ("/territoire/rapport", [("trimestre", "9999-T4")]),
    ("/territoire/rapport", [("trimestre", "0001-T1")]),
    ("/territoire/rapport.csv", [("trimestre", "9999-T4")]),
    ("/territoire/61/affiches", [("suite", "%%%")]),
    ("/territoire/61/affiches", [("periode", "9999-T4")]),
    ("/resultats/affiche/61-mairie-bretoncelles", [("periode", "0001-T1")]),
])
def test_the_values_the_attack_found_get_a_french_answer(world, path, pairs):
    role = "agent" if path == "/tableau-de-bord" else "coordinator"
    response = get(world, role, path, pairs)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        page = response.body.decode()
        assert "<html" in page and "lang=\"fr\"" in page
        assert "valable" in page or "JJ/MM/AAAA" in page or "entre 2000" in page


def test_an_api_date_out_of_range_is_a_400(world):
    for since in ("0001-01-01", "9999-12-31"):
        body = matrix.expect(world.get("coordinator", "/api/feedback/61", since=since), 400)
        assert body["field"] == "since" and "2000" in body["message"]


def test_a_triage_form_whose_filters_hold_too_many_fields_is_not_a_server_error(world):
    filters = "&".join(f"n{i}=1" for i in range(11))
    response = post(world, "coordinator", "/territoire/remontees/61/f-inconnue",
                    urlencode({"csrf": CSRF, "status": "resolue", "answer": "ok", "filtres": filters}))
    assert response.status_code < 500 and response.status_code in (303, 400, 404, 409)
