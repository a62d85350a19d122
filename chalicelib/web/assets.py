"""/static/: the DSFR and Relais's own CSS, served by the Lambda itself (no CDN to trust).

Chalice has no greedy {proxy+} path parameter (its routes and `chalice local` match a fixed number
of segments), so each depth the DSFR needs has its route: dsfr/icons/system/x.svg is the deepest.

Fonts, PNG and ICO go out base64-encoded with isBase64Encoded, so their types are declared in
app.api.binary_types. Chalice answers 400 unless the request's Accept matches a binary type or is
*/* (browsers send */* among their types; a bare `curl` does too). Caveat for production: API
Gateway (REST) decodes the body back to bytes only when the request's FIRST Accept type matches a
binary media type; browsers put */* last (Firefox asks fonts with application/font-woff2 first),
so fonts and PNGs may reach them as base64 text. Before going live, check from a browser, and if
they break, serve /static/ from S3 behind CloudFront (the immutable ?v= URLs suit a CDN).
"""
from __future__ import annotations

from chalice import Blueprint, Response

from ..adapters import static_files

blueprint = Blueprint(__name__)
_NOSNIFF = {"X-Content-Type-Options": "nosniff"}
_IMMUTABLE = "public, max-age=31536000, immutable"
_SHORT = "public, max-age=3600"


def register(app) -> None:
    """Mount /static/ on the app and declare the binary types it answers with."""
    app.register_blueprint(blueprint)
    app.api.binary_types.extend(t for t in static_files.BINARY_TYPES if t not in app.api.binary_types)


@blueprint.route("/static/dsfr/{a}", methods=["GET"])
def static_dsfr_1(a):
    return serve("dsfr", a)


@blueprint.route("/static/dsfr/{a}/{b}", methods=["GET"])
def static_dsfr_2(a, b):
    return serve("dsfr", a, b)


@blueprint.route("/static/dsfr/{a}/{b}/{c}", methods=["GET"])
def static_dsfr_3(a, b, c):
    return serve("dsfr", a, b, c)


@blueprint.route("/static/relais/{name}", methods=["GET"])
def static_relais(name):
    return serve("relais", name)


def serve(namespace: str, *parts: str) -> Response:
    path = static_files.find(namespace, parts)
    if path is None:
        return Response(body="Fichier introuvable.\n", status_code=404, headers={
            **_NOSNIFF, "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"})
    data = path.read_bytes()
    # Cached for good only under the URL of this very content: static_url() puts it in ?v=.
    requested_version = (blueprint.current_request.query_params or {}).get("v")
    current = requested_version == static_files.version(namespace, "/".join(parts))
    return Response(body=data if static_files.is_binary(path) else data.decode("utf-8"),
                    status_code=200, headers={
                        **_NOSNIFF, "Content-Type": static_files.content_type(path),
                        "Cache-Control": _IMMUTABLE if current else _SHORT})
