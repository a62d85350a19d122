"""The published results: the public page and its data, the posters, the territory's report."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps

bp = Blueprint(__name__)


@bp.route("/resultats", methods=["GET"])
def results_page():
    from ..web import results as results_pages

    return results_pages.public(deps(), bp.current_request)


@bp.route("/resultats/donnees.csv", methods=["GET"])
def results_csv():
    from ..web import results as results_pages

    return results_pages.export(deps(), bp.current_request, "csv")


@bp.route("/resultats/donnees.json", methods=["GET"])
def results_json():
    from ..web import results as results_pages

    return results_pages.export(deps(), bp.current_request, "json")


@bp.route("/territoire/rapport", methods=["GET"])
def report_page():
    from ..web import results as results_pages

    return results_pages.report(deps(), bp.current_request)


@bp.route("/territoire/rapport.csv", methods=["GET"])
def report_csv():
    from ..web import results as results_pages

    return results_pages.report_csv(deps(), bp.current_request)


@bp.route("/resultats/affiche/{point}", methods=["GET"])
def poster_page(point):
    from ..web import posters

    return posters.point_poster(deps(), bp.current_request, point)


@bp.route("/territoire/{code}/affiches", methods=["GET"])
def territory_posters_page(code):
    from ..web import posters

    return posters.territory_posters(deps(), bp.current_request, code)
