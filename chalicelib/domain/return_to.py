"""Where a signed-out visitor goes back to once signed in: a path of this site, or nowhere.

The page asked for travels through the login form and the login link (`?suite=`), so it is
checked at each step: only a relative path of this site, never another site ("//evil.example",
"https://…", "/\\evil.example"), never a login page (a loop), nothing but printable ASCII (no
control character, space or look-alike). The site's paths carry no personal data (a case's
reference at most): the names and phones a search carries go in POST bodies.
"""
from __future__ import annotations

from urllib.parse import urlsplit

MAX_LENGTH = 300
_LOGIN_PATHS = ("/connexion", "/deconnexion")


def safe_return_path(text: str | None) -> str | None:
    """The path to go back to after signing in, or None when it is not one of this site's pages."""
    if not text or len(text) > MAX_LENGTH or not text.startswith("/") or text.startswith("//"):
        return None
    if "\\" in text or any(not "!" <= ch <= "~" for ch in text):
        return None
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or parts.path == "/":
        return None
    if any(parts.path == login or parts.path.startswith(f"{login}/") for login in _LOGIN_PATHS):
        return None
    return text
