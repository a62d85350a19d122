"""The JSON API of the directory: territories, a territory's directory, the admin's CSV import
and the export of a usager's data."""
from __future__ import annotations

from chalice import Blueprint

from .. import views
from ..bootstrap import deps
from ..domain import commands
from ..domain.models import Territory
from . import common

bp = Blueprint(__name__)
api = common.api.on(bp)


@api.route("/api/territories", "GET", summary="Les territoires", response=list[Territory])
def territories(principal):
    from ..services import directory

    return directory.list_territories(deps())


@api.route("/api/territories/{code}/directory", "GET", summary="L'annuaire d'un territoire",
           response=views.DirectoryView)
def territory_directory(code, principal):
    from ..services import directory

    return directory.read_directory(deps(), principal, code)


@api.route("/api/admin/usager-export", "POST", summary="Exporter les données d'un usager (droit d'accès)",
           body=commands.UsagerExportRequest)
def usager_export(principal, body):
    from ..services import export

    return export.usager_export(deps(), principal, body.phone, body.ref)


@api.route("/api/admin/directory/{kind}", "POST", summary="Importer l'annuaire (CSV)",
           query=commands.ImportQuery, response=views.ImportReport, content_type="text/csv")
def import_directory(kind, principal, query):
    from ..services import directory

    return directory.import_csv(deps(), principal, kind, bp.current_request.raw_body or b"",
                                query.dry_run)
