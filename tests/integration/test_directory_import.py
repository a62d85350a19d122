"""The admin CSV import of the directory, through the service and through the HTTP API.

A file with any bad row writes nothing; a dry run writes nothing and reports what it would do.
Writes are checked in the table with Queries and GetItems (never a Scan).
"""
from __future__ import annotations

import json
from datetime import UTC

import pytest

from chalicelib.domain.authz import Principal
from chalicelib.domain.errors import InvalidInput, NotAllowed
from chalicelib.domain.models import Role
from chalicelib.services import directory
from devtools import stack
from tests.clock import TUESDAY_MORNING
from tests.conftest import count, login

pytestmark = pytest.mark.instant(TUESDAY_MORNING)

ADMIN = Principal(user_id="test-admin", role=Role.ADMIN)
POINTS_HEADER = "id;territory_code;name;kind;phone;address"
GROUPS_HEADER = "id;organisation_id;territory_code;name;member_emails;shared_mailbox;answer_days"
USERS_HEADER = "email;display_name;role;point_ids;territory_codes"
CAF_61 = "61-caf;caf;61;CAF de l'Orne;{members};sp-plus.61-caf@example.org;4"
CPAM_61 = "61-cpam;cpam;61;CPAM de l'Orne;{members};sp-plus.61-cpam@example.org;4"
REFERENT = "referent.61-caf@example.org"
REFERENT2 = "referent2.61-caf@example.org"
CPAM_REFERENT = "referent.61-cpam@example.org"


# --- helpers ------------------------------------------------------------------------------


def item(deps, pk: str, sk: str) -> dict | None:
    return deps.dynamodb.get_item(TableName=deps.settings.table_name, ConsistentRead=True,
                                  Key={"PK": {"S": pk}, "SK": {"S": sk}}).get("Item")


def audit_items(deps) -> int:
    return count(deps, f"AUDIT#{deps.now().astimezone(UTC).date().isoformat()}")


def snapshot(deps) -> dict[str, int]:
    """The directory's partitions, counted: what an import may touch."""
    return {"61": count(deps, "TERR#61", "GSI1"), "62": count(deps, "TERR#62", "GSI1"),
            "14": count(deps, "TERR#14", "GSI1"), "territories": count(deps, "TERRITORIES", "GSI1"),
            "organisations": count(deps, "ORGS", "GSI1"), "audit": audit_items(deps)}


def csv_headers(session: dict[str, str]) -> dict[str, str]:
    return {"Content-Type": "text/csv", "Cookie": session["Cookie"]}


def post_csv(client, session, kind: str, text: str | bytes, dry_run: bool = False):
    path = f"/api/admin/directory/{kind}" + ("?dry_run=true" if dry_run else "")
    body = text.encode("utf-8") if isinstance(text, str) else text
    return client.http.post(path, headers=csv_headers(session), body=body)


def csv_file(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def user_groups(deps, email: str) -> list[str]:
    return deps.repo.get_user_by_email(email).group_ids


@pytest.fixture
def admin(client):
    return login(client, "admin@example.org")


# --- the demo directory ----------------------------------------------------------------------

@pytest.mark.parametrize("code, name, points, groups", [
    ("61", "Orne", 8, 17),
    ("62", "Pas-de-Calais", 7, 12),
])
def test_the_demo_directory_is_read_through_the_api(client, admin, code, name, points, groups):
    response = client.http.get(f"/api/territories/{code}/directory", headers=admin)
    assert response.status_code == 200, response.body
    body = response.json_body
    assert body["territory"] == {"code": code, "name": name}
    assert len(body["contact_points"]) == points
    assert {p["territory_code"] for p in body["contact_points"]} == {code}
    assert len(body["referent_groups"]) == groups
    assert {g["territory_code"] for g in body["referent_groups"]} == {code}
    assert len(body["organisations"]) == 18
    caf = next(g for g in body["referent_groups"] if g["id"] == f"{code}-caf")
    assert caf["member_emails"], "admins see the referents' addresses"


def test_the_demo_import_made_15_points_29_groups_and_18_organisations(demo):
    deps = demo
    points_61, groups_61 = deps.repo.territory_directory("61")
    points_62, groups_62 = deps.repo.territory_directory("62")
    assert (len(points_61), len(points_62)) == (8, 7)
    assert (len(groups_61), len(groups_62)) == (17, 12)
    assert len(deps.repo.list_organisations()) == 18
    assert {t.code for t in deps.repo.list_territories()} == {"61", "62"}
    # Importing the demo files again would create nothing and update everything.
    for kind, rows in {"organisations": 18, "contact_points": 15, "referent_groups": 29,
                       "responder_teams": 3, "users": 21}.items():
        text = (stack.DEMO / f"{kind}.csv").read_text(encoding="utf-8")
        report = directory.import_csv(deps, ADMIN, kind, text, dry_run=True)
        assert (report.rows, report.created, report.updated, report.errors) == (rows, 0, rows, []), kind
        assert report.unchanged == rows, kind


def test_the_demo_referents_belong_to_their_groups(demo):
    assert user_groups(demo, REFERENT) == ["61-caf"]
    assert user_groups(demo, REFERENT2) == ["61-caf"]
    # users.csv names a referent already imported with their group, and keeps their groups
    named = demo.repo.get_user_by_email(REFERENT2)
    assert named.display_name == "Marie Durand" and named.role is Role.REFERENT
    assert demo.repo.get_user_by_email("admin@example.org").role is Role.ADMIN


# --- dry run ---------------------------------------------------------------------------------

def test_a_dry_run_reports_and_writes_nothing(client, deps, admin):
    text = csv_file(POINTS_HEADER,
                    "61-mairie-nouvelle;61;Mairie nouvelle;mairie;02 33 00 00 00;Nouvelle",
                    "61-mairie-berdhuis;61;Mairie de Berd'huis (renommée);mairie;;Berd'huis",
                    "14-mairie-caen;14;Mairie de Caen;mairie;;Caen")
    before = snapshot(deps)
    response = post_csv(client, admin, "contact_points", text, dry_run=True)
    assert response.status_code == 200, response.body
    report = response.json_body
    # Two points without a phone: a warning each (their SMS give no number), not an error.
    assert [(w["row"], w["field"]) for w in report.pop("warnings")] == [(3, "phone"), (4, "phone")]
    assert report == {"kind": "contact_points", "dry_run": True, "rows": 3,
                      "created": 2, "updated": 1, "unchanged": 0, "errors": []}
    assert snapshot(deps) == before
    assert item(deps, "POINT#61-mairie-nouvelle", "POINT") is None
    assert item(deps, "TERR#14", "TERRITORY") is None
    assert deps.repo.get_point("61-mairie-berdhuis").name == "Mairie de Berd'huis"


def test_a_dry_run_reports_bad_rows_without_refusing_and_writes_nothing(client, deps, admin):
    text = csv_file(POINTS_HEADER,
                    "61-mairie-nouvelle;61;Mairie nouvelle;mairie;;",
                    "61-mairie-fausse;61;Mairie fausse;chateau;;")
    before = snapshot(deps)
    response = post_csv(client, admin, "contact_points", text, dry_run=True)
    assert response.status_code == 200, response.body
    report = response.json_body
    assert (report["dry_run"], report["rows"], report["created"]) == (True, 2, 1)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, "kind")]
    assert snapshot(deps) == before
    assert item(deps, "POINT#61-mairie-nouvelle", "POINT") is None


def test_a_dry_run_of_a_group_leaves_its_members_alone(client, deps, admin):
    referent2 = login(client, REFERENT2)
    response = post_csv(client, admin, "referent_groups",
                        csv_file(GROUPS_HEADER, CAF_61.format(members=REFERENT)), dry_run=True)
    assert response.status_code == 200, response.body
    assert (response.json_body["created"], response.json_body["updated"]) == (0, 1)
    assert user_groups(deps, REFERENT2) == ["61-caf"]
    assert client.http.get("/api/escalations?group_id=61-caf", headers=referent2).status_code == 200


# --- a bad row: nothing is written --------------------------------------------------------------

GOOD_POINT = "61-mairie-nouvelle;61;Mairie nouvelle;mairie;02 33 00 00 00;Nouvelle"


@pytest.mark.parametrize("bad_row, field", [
    pytest.param("61-mairie-autre;99;Mairie autre;mairie;;", "territory_code", id="unknown-territory"),
    pytest.param("61-mairie-autre;61;Mairie autre;chateau;;", "kind", id="bad-kind"),
    pytest.param("61-mairie-autre;61;;mairie;;", "name", id="missing-name"),
    pytest.param("61-mairie-autre;61", "colonnes", id="short-row"),   # issue 23, point 14
    pytest.param("61 Mairie Autre;61;Mairie autre;mairie;;", "id", id="bad-id"),
    pytest.param("61-mairie-autre;61;Mairie autre;mairie;;Rue du Bourg;annexe", None,
                 id="row-with-an-extra-column"),
])
def test_one_bad_row_refuses_the_whole_file(client, deps, admin, bad_row, field):
    text = csv_file(POINTS_HEADER, GOOD_POINT, bad_row)
    before = snapshot(deps)
    response = post_csv(client, admin, "contact_points", text)
    assert response.status_code == 400, (response.status_code, response.body)
    body = json.loads(response.body)
    assert body["error"] == "invalid_input"
    assert body["field"] == "csv"
    assert "rien n'a été importé" in body["message"]
    assert body["errors"], body
    assert all(e["field"].startswith("ligne 3 : ") for e in body["errors"]), body
    if field:
        assert f"ligne 3 : {field}" in {e["field"] for e in body["errors"]}, body
    assert all(e["message"] for e in body["errors"])
    # Not even the good row of line 2.
    assert snapshot(deps) == before
    assert item(deps, "POINT#61-mairie-nouvelle", "POINT") is None


def test_the_service_refuses_a_bad_row_with_its_line(demo):
    deps = demo
    text = csv_file("id;name;short_name", "nouvel-org;Nouvel organisme;Nouvel", "Bad Id;Organisme;X")
    with pytest.raises(InvalidInput) as refused:
        directory.import_csv(deps, ADMIN, "organisations", text, dry_run=False)
    assert refused.value.field == "csv"
    assert [e["field"] for e in refused.value.errors] == ["ligne 3 : id"]
    assert item(deps, "ORG#nouvel-org", "ORG") is None
    assert len(deps.repo.list_organisations()) == 18


def test_a_line_number_is_right_after_an_earlier_bad_row_in_referent_groups(client, deps, admin):
    """Line 2 is bad, line 3 names an unknown organisation: line 3 is the one at fault."""
    text = csv_file(GROUPS_HEADER,
                    "61-nouveau;caf;99;Groupe mal placé;referent.nouveau@example.org;;4",
                    "61-inconnu;organisme-inconnu;61;Groupe inconnu;referent.inconnu@example.org;;4")
    response = post_csv(client, admin, "referent_groups", text)
    assert response.status_code == 400, response.body
    fields = {e["field"] for e in json.loads(response.body)["errors"]}
    assert fields == {"ligne 2 : territory_code", "ligne 3 : organisation_id"}, fields
    assert item(deps, "GROUP#61-inconnu", "GROUP") is None


def test_a_line_number_is_right_after_an_earlier_bad_row_in_users(client, deps, admin):
    """Line 2 has a bad address, line 3 is an agent without a point: line 3 is the one at fault."""
    text = csv_file(USERS_HEADER,
                    "pas-une-adresse;Quelqu'un;agent;61-mairie-berdhuis;",
                    "nouvel.agent@example.org;Nouvel Agent;agent;;")
    response = post_csv(client, admin, "users", text)
    assert response.status_code == 400, response.body
    fields = {e["field"] for e in json.loads(response.body)["errors"]}
    assert fields == {"ligne 2 : email", "ligne 3 : point_ids"}, fields
    assert deps.repo.get_user_by_email("nouvel.agent@example.org") is None


# --- file formats --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    pytest.param(csv_file("id,name,short_name", "nouvel-org,Nouvel organisme,Nouvel",
                          'autre-org,"Organisme, avec une virgule",Autre'), id="comma"),
    pytest.param(csv_file("id;name;short_name", "nouvel-org;Nouvel organisme;Nouvel",
                          "autre-org;Organisme, avec une virgule;Autre"), id="semicolon"),
    pytest.param(csv_file("id;name;short_name", "nouvel-org;Nouvel organisme;Nouvel",
                          "autre-org;Organisme, avec une virgule;Autre").replace("\n", "\r\n"),
                 id="semicolon-crlf"),
])
def test_comma_and_semicolon_files_both_import(client, deps, admin, text):
    response = post_csv(client, admin, "organisations", text)
    assert response.status_code == 200, response.body
    assert response.json_body == {"kind": "organisations", "dry_run": False, "rows": 2,
                                  "created": 2, "updated": 0, "unchanged": 0, "errors": []}
    organisations = {o["id"]: o for o in client.http.get(
        "/api/territories/61/directory", headers=admin).json_body["organisations"]}
    assert len(organisations) == 20
    assert organisations["nouvel-org"]["name"] == "Nouvel organisme"
    assert organisations["autre-org"]["name"] == "Organisme, avec une virgule"


def test_a_utf8_bom_is_accepted(client, deps, admin):
    raw = "\ufeff".encode("utf-8") + csv_file(
        POINTS_HEADER, "61-mairie-belleme;61;Mairie de Bellême;mairie;02 33 73 00 00;Bellême").encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbfid;")
    response = post_csv(client, admin, "contact_points", raw)
    assert response.status_code == 200, response.body
    assert (response.json_body["created"], response.json_body["errors"]) == (1, [])
    point = deps.repo.get_point("61-mairie-belleme")
    assert point is not None and point.name == "Mairie de Bellême"
    assert count(deps, "TERR#61", "GSI1") == 8 + 17 + 1


def test_a_windows_1252_file_is_read_as_windows_1252(client, deps, admin):
    """Spreadsheets on French Windows export CSV in Windows-1252: its accents, and its Œ and ’
    (which Latin-1 has not), are stored as typed."""
    names = {"61-prefecture-orne": ("Préfecture de l'Orne", "prefecture", "Alençon"),
             "62-mairie-bethune": ("Mairie de Béthune", "mairie", "Béthune"),
             "61-oeuvre-saint-vincent": ("Œuvre Saint-Vincent – l’accueil", "association", "Mortagne-au-Perche")}
    raw = csv_file(POINTS_HEADER, *(f"{point_id};{point_id[:2]};{name};{kind};;{address}"
                                    for point_id, (name, kind, address) in names.items())).encode("cp1252")
    assert b"\x8c" in raw and b"\x92" in raw and b"\xe9" in raw       # Œ, ’ and é, one byte each
    response = post_csv(client, admin, "contact_points", raw)
    assert response.status_code == 200, response.body
    assert (response.json_body["created"], response.json_body["errors"]) == (3, [])
    for point_id, (name, _, address) in names.items():
        point = deps.repo.get_point(point_id)
        assert (point.name, point.address) == (name, address)


def test_the_demo_files_import_over_http(client, deps, admin):
    for kind in ("organisations", "contact_points", "referent_groups", "users"):
        raw = (stack.DEMO / f"{kind}.csv").read_bytes()
        response = post_csv(client, admin, kind, raw)
        assert response.status_code == 200, (kind, response.body)
        assert response.json_body["created"] == 0 and response.json_body["errors"] == [], kind
    assert count(deps, "TERR#61", "GSI1") == 8 + 17
    assert count(deps, "TERR#62", "GSI1") == 7 + 12


# --- referent groups and their members ----------------------------------------------------------

def test_a_member_left_out_of_a_group_loses_its_queue(client, deps, admin):
    referent2 = login(client, REFERENT2)
    assert client.http.get("/api/escalations?group_id=61-caf", headers=referent2).status_code == 200

    response = post_csv(client, admin, "referent_groups",
                        csv_file(GROUPS_HEADER, CAF_61.format(members=REFERENT)))
    assert response.status_code == 200, response.body
    assert (response.json_body["created"], response.json_body["updated"]) == (0, 1)

    assert user_groups(deps, REFERENT2) == []
    assert user_groups(deps, REFERENT) == ["61-caf"]
    queue = client.http.get("/api/escalations?group_id=61-caf", headers=referent2)
    assert queue.status_code == 404, queue.body
    assert json.loads(queue.body)["error"] == "not_found"
    referent = login(client, REFERENT)
    assert client.http.get("/api/escalations?group_id=61-caf", headers=referent).status_code == 200
    caf = next(g for g in client.http.get("/api/territories/61/directory", headers=admin)
               .json_body["referent_groups"] if g["id"] == "61-caf")
    assert caf["member_emails"] == [REFERENT]


@pytest.fixture
def referent2_in_caf_and_cpam(client, deps, admin):
    """referent2 answers for both the CAF and the CPAM of the Orne."""
    response = post_csv(client, admin, "referent_groups", csv_file(
        GROUPS_HEADER, CAF_61.format(members=f"{REFERENT} {REFERENT2}"),
        CPAM_61.format(members=f"{CPAM_REFERENT} {REFERENT2}")))
    assert response.status_code == 200, response.body
    assert sorted(user_groups(deps, REFERENT2)) == ["61-caf", "61-cpam"]
    return login(client, REFERENT2)


def test_a_member_left_out_of_one_group_but_kept_in_another_loses_only_the_first(
        client, deps, admin, referent2_in_caf_and_cpam):
    referent2 = referent2_in_caf_and_cpam
    response = post_csv(client, admin, "referent_groups", csv_file(
        GROUPS_HEADER, CAF_61.format(members=REFERENT),
        CPAM_61.format(members=f"{CPAM_REFERENT} {REFERENT2}")))
    assert response.status_code == 200, response.body
    assert user_groups(deps, REFERENT2) == ["61-cpam"]
    assert client.http.get("/api/escalations?group_id=61-cpam", headers=referent2).status_code == 200
    assert client.http.get("/api/escalations?group_id=61-caf", headers=referent2).status_code == 404


def test_a_member_left_out_of_two_groups_loses_both(client, deps, admin, referent2_in_caf_and_cpam):
    referent2 = referent2_in_caf_and_cpam
    response = post_csv(client, admin, "referent_groups", csv_file(
        GROUPS_HEADER, CAF_61.format(members=REFERENT), CPAM_61.format(members=CPAM_REFERENT)))
    assert response.status_code == 200, response.body
    assert user_groups(deps, REFERENT2) == []
    assert client.http.get("/api/escalations?group_id=61-caf", headers=referent2).status_code == 404
    assert client.http.get("/api/escalations?group_id=61-cpam", headers=referent2).status_code == 404


# --- users -------------------------------------------------------------------------------------------

def test_an_agent_of_an_unknown_point_is_refused(client, deps, admin):
    text = csv_file(USERS_HEADER,
                    "agent.nouveau@example.org;Agent Nouveau;agent;61-mairie-berdhuis;",
                    "agent.perdu@example.org;Agent Perdu;agent;61-mairie-inexistante;")
    before = audit_items(deps)
    response = post_csv(client, admin, "users", text)
    assert response.status_code == 400, response.body
    body = json.loads(response.body)
    assert body["error"] == "invalid_input" and body["field"] == "csv"
    assert any("61-mairie-inexistante" in e["message"] and e["field"].endswith("point_ids")
               for e in body["errors"]), body
    for email in ("agent.nouveau@example.org", "agent.perdu@example.org"):
        assert deps.repo.get_user_by_email(email) is None
    assert audit_items(deps) == before


def test_an_unknown_point_is_reported_on_its_line(client, admin):
    text = csv_file(USERS_HEADER,
                    "agent.nouveau@example.org;Agent Nouveau;agent;61-mairie-berdhuis;",
                    "agent.perdu@example.org;Agent Perdu;agent;61-mairie-inexistante;")
    response = post_csv(client, admin, "users", text)
    assert response.status_code == 400, response.body
    fields = [e["field"] for e in json.loads(response.body)["errors"]]
    assert fields == ["ligne 3 : point_ids"], fields


def test_a_referent_cannot_be_imported_as_a_user(client, deps, admin):
    response = post_csv(client, admin, "users",
                        csv_file(USERS_HEADER, "referent.nouveau@example.org;R;referent;;"))
    assert response.status_code == 400, response.body
    assert [e["field"] for e in json.loads(response.body)["errors"]] == ["ligne 2 : role"]
    assert deps.repo.get_user_by_email("referent.nouveau@example.org") is None


# --- the route itself --------------------------------------------------------------------------------

def test_an_unknown_kind_is_a_404_in_french(client, deps, admin):
    before = snapshot(deps)
    response = post_csv(client, admin, "bogus", csv_file("id;name;short_name", "x-org;X;X"))
    assert response.status_code == 404, response.body
    body = json.loads(response.body)
    assert body["error"] == "not_found"
    assert "Ce type d'import n'existe pas" in body["message"]
    assert snapshot(deps) == before


def test_an_empty_file_is_refused(client, deps, admin):
    before = snapshot(deps)
    response = post_csv(client, admin, "organisations", "\ufeff  \n")
    assert response.status_code == 400, response.body
    body = json.loads(response.body)
    assert (body["error"], body["field"]) == ("invalid_input", "csv")
    assert "vide" in body["message"]
    assert snapshot(deps) == before


def test_only_admins_import(client, deps):
    agent = login(client, "agent.bretoncelles@example.org")
    before = snapshot(deps)
    response = post_csv(client, agent, "organisations", csv_file("id;name;short_name", "x-org;X;X"))
    assert response.status_code == 403, response.body
    assert json.loads(response.body)["error"] == "not_allowed"
    assert snapshot(deps) == before


def test_a_users_file_cannot_turn_a_referent_into_an_agent(client, deps):
    headers = {**login(client, "admin@example.org"), "Content-Type": "text/csv"}
    response = client.http.post("/api/admin/directory/users", headers=headers, body=(
        "email;display_name;role;point_ids;territory_codes\n"
        "referent.61-caf@example.org;Quelqu'un;agent;61-mairie-bretoncelles;\n"))
    assert response.status_code == 400
    assert [e["field"] for e in response.json_body["errors"]] == ["ligne 2 : email"]
    assert deps.repo.get_user_by_email("referent.61-caf@example.org").group_ids == ["61-caf"]


# --- issue 23, point 14: the columns, binary and short files, the counts, what is loaded ---------

def refusal(deps, kind: str, data: str | bytes) -> str:
    """The service's refusal of a file, after checking it wrote nothing."""
    before = snapshot(deps)
    with pytest.raises(InvalidInput) as refused:
        directory.import_csv(deps, ADMIN, kind, data, dry_run=True)
    assert snapshot(deps) == before
    assert refused.value.field == "csv"
    return refused.value.message


def test_a_users_file_imported_as_points_names_the_expected_columns(demo):
    users = (stack.DEMO / "users.csv").read_text(encoding="utf-8")
    message = refusal(demo, "contact_points", users)
    assert "Colonnes attendues : id;territory_code;name;kind;phone;address" in message
    assert "il manque : id, territory_code, name, kind" in message


def test_a_points_file_imported_as_organisations_is_refused_for_its_foreign_columns(demo):
    points = (stack.DEMO / "contact_points.csv").read_text(encoding="utf-8")
    message = refusal(demo, "organisations", points)
    assert "d'un autre type de fichier : territory_code, kind, phone, address" in message
    assert "Colonnes attendues : id;name;short_name" in message


def test_a_file_without_an_optional_column_still_imports_and_an_unknown_one_is_a_warning(demo):
    older = csv_file(GROUPS_HEADER, CAF_61.format(members=REFERENT))   # no manager_email column
    report = directory.import_csv(demo, ADMIN, "referent_groups", older, dry_run=True)
    assert (report.errors, report.updated) == ([], 1)
    noted = csv_file("id;name;short_name;remarque", "caf;Caisse d'allocations familiales;CAF;à revoir")
    report = directory.import_csv(demo, ADMIN, "organisations", noted, dry_run=True)
    assert report.errors == [] and report.warnings[0]["message"] == "Colonnes inconnues, ignorées : remarque."


@pytest.mark.parametrize("data", [
    pytest.param(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml", id="xlsx"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="png"),
    pytest.param("id;name\x00;short_name\ncaf;CAF;CAF\n", id="nul-in-text"),
])
def test_a_binary_file_is_refused(demo, data):
    assert "n'est pas un fichier CSV" in refusal(demo, "organisations", data)


@pytest.mark.parametrize("text", ["", "\ufeff \r\n", "id;name;short_name\n"])
def test_an_empty_or_header_only_file_is_refused(demo, text):
    assert "vide" in refusal(demo, "organisations", text) or "en-tête" in refusal(demo, "organisations", text)


def test_a_short_row_is_an_error_on_its_line(demo):
    text = csv_file(POINTS_HEADER, "61-mairie-a;61;Mairie A;mairie;02 33 00 00 01;A",
                    "61-mairie-b;61;Mairie B;mairie", "61-mairie-c;61;Mairie C;mairie;02 33 00 00 03;C")
    report = directory.import_csv(demo, ADMIN, "contact_points", text, dry_run=True)
    assert [(e["row"], e["field"]) for e in report.errors] == [(3, "colonnes")]
    assert "n'a que 4 colonnes" in report.errors[0]["message"]
    with pytest.raises(InvalidInput):
        directory.import_csv(demo, ADMIN, "contact_points", text, dry_run=False)
    assert demo.repo.get_point("61-mairie-a") is None


def test_the_counts_tell_created_changed_and_unchanged(demo):
    text = csv_file("id;name;short_name", "caf;Caisse d'allocations familiales;CAF",
                    "cpam;Caisse primaire d'assurance maladie (renommée);CPAM", "nouvel-org;Nouvel;Nouvel")
    report = directory.import_csv(demo, ADMIN, "organisations", text, dry_run=False)
    assert (report.created, report.updated, report.unchanged) == (1, 2, 1)


def test_admins_list_the_loaded_directory_a_bounded_page_at_a_time(demo, monkeypatch):
    monkeypatch.setattr(directory, "LOADED_PAGE", 7)
    kinds = directory.DirectoryKind
    seen, cursor, pages = [], None, 0
    while True:
        users, cursor = directory.loaded_page(demo, ADMIN, kinds.USERS, "", cursor)
        assert len(users) <= 7
        seen += users
        pages += 1
        if cursor is None:
            break
    assert pages > 2 and len({u.id for u in seen}) == len(seen)
    by_email = {u.email: u for u in seen}
    assert by_email["coordination.61@example.org"].territory_codes == ["61"]
    assert by_email[REFERENT].group_ids == ["61-caf"]
    assert by_email["agent.bretoncelles@example.org"].point_ids == ["61-mairie-bretoncelles"]
    points, cursor = directory.loaded_page(demo, ADMIN, kinds.CONTACT_POINTS, "62", None)
    more, _ = directory.loaded_page(demo, ADMIN, kinds.CONTACT_POINTS, "62", cursor)
    assert len(points) == 7 and cursor and more == []
    groups, _ = directory.loaded_page(demo, ADMIN, kinds.REFERENT_GROUPS, "61", None)
    assert len(groups) == 7 and all(g.territory_code == "61" for g in groups)
    coordinator = Principal(user_id="c", role=Role.COORDINATOR, territory_codes=frozenset({"61"}))
    with pytest.raises(NotAllowed):
        directory.loaded_page(demo, coordinator, kinds.USERS, "", None)


# --- responder teams (Services Publics+ experiences) ------------------------------------------

TEAMS = ("id;organisation_id;level;area;name;member_emails\n"
         "msa-28;msa;regional;28;MSA en Normandie;reponses.msa@example.org\n")


def test_a_responder_team_imports_its_route_and_its_members_sign_in_as_responders(demo):
    directory.import_csv(demo, ADMIN, "responder_teams", TEAMS, dry_run=False)
    team = demo.repo.get_team("msa-28")
    assert team.level.value == "regional" and team.area == "28"
    assert demo.repo.route("msa", [("regional", "28")]) == {("regional", "28"): "msa-28"}
    member = demo.repo.get_user_by_email("reponses.msa@example.org")
    assert member.role is Role.RESPONDER and member.group_ids == ["msa-28"]


@pytest.mark.parametrize(("row", "field"), [
    ("msa-x;msa;local;999;MSA;a@example.org", "area"),             # no such département
    ("msa-x;msa;regional;61;MSA;a@example.org", "area"),           # 61 is a département
    ("msa-x;msa;national;61;MSA;a@example.org", "area"),
    ("msa-x;msa;cantonal;61;MSA;a@example.org", "level"),
    ("msa-x;inconnu;local;61;MSA;a@example.org", "organisation_id"),
    ("msa-x;msa;local;61;MSA;referent.61-caf@example.org", "member_emails"),   # a referent already
])
def test_a_bad_responder_team_row_is_refused_and_nothing_is_written(demo, row, field):
    text = "id;organisation_id;level;area;name;member_emails\n" + row + "\n"
    report = directory.import_csv(demo, ADMIN, "responder_teams", text, dry_run=True)
    assert field in {e["field"] for e in report.errors}, report.errors
    with pytest.raises(InvalidInput):
        directory.import_csv(demo, ADMIN, "responder_teams", text, dry_run=False)
    assert demo.repo.get_team("msa-x") is None


def test_two_teams_for_one_organisation_level_and_area_are_refused(demo):
    text = TEAMS + "msa-28-bis;msa;regional;28;MSA bis;autre@example.org\n"
    report = directory.import_csv(demo, ADMIN, "responder_teams", text, dry_run=True)
    assert [e["row"] for e in report.errors if e["field"] == "area"] == [3]
