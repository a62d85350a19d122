"""The pages every French public site has, public (no sign-in), linked from every page's footer:
the accessibility statement, the legal notice, personal data, and help.

The personal data page states the retention periods Relais applies from the very settings and
constants the retention code reads, so the page cannot say one thing while the code does another.
"""
from __future__ import annotations

from . import pages
from .session import current, handler

ACCESSIBILITY_STATEMENT_DATE = "3 décembre 2026"
REGIONS = {"eu-west-3": "Europe (Paris), en France"}


def _view(deps, request, template: str, **context):
    signed = current(deps, request)
    settings = deps.settings
    return pages.view(request, template, user=signed[1] if signed else None,
                      contact_email=settings.contact_email, privacy_email=settings.privacy_email,
                      site_url=settings.base_url, **context)


@handler
def accessibility(deps, request):
    return _view(deps, request, "accessibility.html", status_label=pages.ACCESSIBILITY_STATUS,
                 statement_date=ACCESSIBILITY_STATEMENT_DATE)


@handler
def legal_notice(deps, request):
    region = deps.settings.region
    return _view(deps, request, "legal_notice.html", region=region, region_label=REGIONS.get(region, region))


def retention_periods(settings) -> dict[str, int]:
    """How long Relais keeps each kind of personal data: what services/retention.py and
    services/auth.py apply."""
    from ..services import auth

    return {"case_months": settings.retention_months,
            "feedback_months": settings.feedback_retention_months,
            "login_link_minutes": settings.login_token_minutes,
            "session_hours": settings.session_hours,
            "login_request_hours": auth.LOGIN_NOTICE_HOURS}


@handler
def personal_data(deps, request):
    region = deps.settings.region
    return _view(deps, request, "personal_data.html", periods=retention_periods(deps.settings),
                 region_label=REGIONS.get(region, region))


@handler
def help_page(deps, request):
    from ..domain.models import ReferentGroup

    return _view(deps, request, "help.html",
                 answer_days=ReferentGroup.model_fields["answer_days"].default)
