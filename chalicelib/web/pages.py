"""HTML pages: rendering, form parsing, the login landing with its double-submit CSRF token."""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from ..adapters.templates import render

CSRF_COOKIE = "relais_csrf"
PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'self'",
}


def page(template: str, status: int = 200, cookies: list[str] | None = None, **context):
    from chalice import Response

    headers: dict = dict(PAGE_HEADERS)
    if cookies:
        headers["Set-Cookie"] = cookies if len(cookies) > 1 else cookies[0]
    return Response(body=render(f"pages/{template}", **context), status_code=status,
                    headers=headers)


def redirect(location: str, cookies: list[str] | None = None):
    from chalice import Response

    headers = {"Location": location, "Cache-Control": "no-store"}
    if cookies:
        headers["Set-Cookie"] = cookies if len(cookies) > 1 else cookies[0]
    return Response(body="", status_code=303, headers=headers)


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
