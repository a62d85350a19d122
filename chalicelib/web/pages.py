"""HTML pages: rendering, form parsing, the login landing with its double-submit CSRF token."""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from ..adapters.templates import render
from ..api.http import SECURITY_HEADERS

CSRF_COOKIE = "relais_csrf"
PAGE_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Type": "text/html; charset=utf-8",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'self'",
}


def _with_cookies(headers: dict, cookies: list[str] | None) -> dict:
    if cookies:  # Chalice sends a list as several Set-Cookie headers
        headers["Set-Cookie"] = cookies if len(cookies) > 1 else cookies[0]
    return headers


def page(template: str, status: int = 200, cookies: list[str] | None = None, **context):
    from chalice import Response

    return Response(body=render(f"pages/{template}", **context), status_code=status,
                    headers=_with_cookies(dict(PAGE_HEADERS), cookies))


def redirect(location: str, cookies: list[str] | None = None):
    from chalice import Response

    return Response(body="", status_code=303,
                    headers=_with_cookies({"Location": location, "Cache-Control": "no-store"}, cookies))


def form_fields(raw_body: bytes | None) -> dict[str, str]:
    parsed = parse_qs((raw_body or b"").decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_cookie(token: str, secure: bool) -> str:
    return "; ".join([f"{CSRF_COOKIE}={token}", "Path=/", "HttpOnly", "SameSite=Strict",
                      "Max-Age=3600"] + (["Secure"] if secure else []))


def csrf_ok(cookie_value: str | None, form_value: str | None) -> bool:
    return bool(cookie_value and form_value and hmac.compare_digest(cookie_value, form_value))
