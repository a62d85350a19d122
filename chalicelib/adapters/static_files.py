"""Static files on disk: the DSFR (État design system, npm @gouvfr/dsfr) and Relais's own CSS.

The deployment package carries copies under chalicelib/static/ (devtools/package.py puts them
there); the source tree keeps them in node_modules/@gouvfr/dsfr/dist/ and static/. URLs under
/static/dsfr/ mirror dist/, because the DSFR CSS reaches its fonts and icons by relative url().
"""
from __future__ import annotations

import hashlib
import re
from functools import cache, lru_cache
from pathlib import Path, PurePosixPath

_PACKAGE = Path(__file__).resolve().parents[1]
_SOURCE = _PACKAGE.parent
DSFR_DIST = _SOURCE / "node_modules" / "@gouvfr" / "dsfr" / "dist"
RELAIS_STATIC = _SOURCE / "static"
# Where each namespace's files are looked for: the package's copy first, then the source tree.
ROOTS: dict[str, tuple[Path, ...]] = {
    "dsfr": (_PACKAGE / "static" / "dsfr", DSFR_DIST),
    "relais": (_PACKAGE / "static" / "relais", RELAIS_STATIC),
}
# The part of dist/ that is served and shipped (files, and folders ending with "/"): the same
# set locally and in the package, so nothing works here that would be missing in production.
DSFR_SHIPPED = ("dsfr.min.css", "dsfr.module.min.js", "dsfr.nomodule.min.js", "fonts/", "icons/",
                "utility/icons/icons.min.css", "favicon/")
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
}
BINARY_TYPES = ("font/woff2", "font/woff", "image/png", "image/x-icon")
# One path segment: letters, digits, dot, dash, underscore, never a leading dot (no "..", no dotfile).
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_DSFR_BANNER = re.compile(rb"DSFR v(\d+\.\d+\.\d+)")


def find(namespace: str, parts: tuple[str, ...] | list[str]) -> Path | None:
    """The file a /static/<namespace>/<parts...> URL names, or None: unknown, not shipped,
    a type we do not serve, or a path that would leave its root."""
    if namespace not in ROOTS or not parts or not all(_SEGMENT.fullmatch(part) for part in parts):
        return None
    relative = "/".join(parts)
    if PurePosixPath(relative).suffix not in CONTENT_TYPES:
        return None
    if namespace == "dsfr" and not is_dsfr_shipped(relative):
        return None
    for root in ROOTS[namespace]:
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root.resolve()) and candidate.is_file():
            return candidate
    return None


def is_dsfr_shipped(relative: str) -> bool:
    return any(relative == entry or (entry.endswith("/") and relative.startswith(entry))
               for entry in DSFR_SHIPPED)


def content_type(path: Path) -> str:
    return CONTENT_TYPES[path.suffix]


def is_binary(path: Path) -> bool:
    return content_type(path) in BINARY_TYPES


@cache
def version(namespace: str, relative: str) -> str:
    """The ?v= of a file: the DSFR's release for dsfr/, a short content hash for Relais's files."""
    path = find(namespace, relative.split("/"))
    if path is None:
        raise FileNotFoundError(f"no static file {namespace}/{relative}")
    if namespace == "dsfr":
        return dsfr_version()
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


@lru_cache(maxsize=1)
def dsfr_version() -> str:
    """Read from the banner of dsfr.min.css, present both in node_modules and in the package."""
    css = find("dsfr", ["dsfr.min.css"])
    if css is None:
        raise FileNotFoundError("dsfr.min.css is missing: run `make install` (npm ci)")
    head = css.read_bytes()[:512]
    match = _DSFR_BANNER.search(head)
    return match.group(1).decode("ascii") if match else hashlib.sha256(css.read_bytes()).hexdigest()[:10]


def url(path: str) -> str:
    """/static/<path>?v=<version>, for templates: `static_url('dsfr/dsfr.min.css')`. Raises for a
    file that does not exist, so a typo fails the render instead of linking a 404."""
    namespace, _, relative = path.partition("/")
    return f"/static/{namespace}/{relative}?v={version(namespace, relative)}"
