"""Login by magic link: single use, short-lived, stored hashed; sessions in a cookie."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from aws_lambda_powertools import Logger

from ..adapters.email import OutgoingEmail
from ..adapters.templates import render
from ..bootstrap import Deps
from ..domain.authz import Principal
from ..domain.errors import NotAuthenticated, TokenInvalid
from ..domain.events import EventCode
from ..domain.models import Notification, NotificationKind, Secret, User
from ..domain.return_to import safe_return_path
from .common import event

logger = Logger(service="relais", child=True)
# A mailbox cannot be flooded with links (nor SES billed for it): 5 links per quarter hour.
MAX_LINKS_PER_WINDOW = 5
LOGIN_NOTICE_HOURS = 1        # the queued request's item expires by TTL
LINK_EXPIRED = "Ce lien de connexion n'est plus valable : il a déjà servi ou il a expiré. Demandez-en un nouveau."


def new_user_id() -> str:
    """Random: an id derived from the address would let anyone link logs to a person."""
    return "u-" + secrets.token_hex(8)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def request_login(deps: Deps, email: str, return_to: str | None = None) -> None:
    """Queue a login link for this address; say nothing either way to the caller. return_to:
    the page of this site the link leads back to once signed in (domain/return_to.py).

    The request writes one item, the same for a known, an unknown or a rate-limited address:
    neither its answer nor its time tells whether the address has an account. The table's
    stream (services/notifications.py) then looks the address up, applies the rate limit and
    sends the link (login_recipient, login_email)."""
    now = deps.now()
    notice = Notification(id=f"login-{secrets.token_hex(16)}", case_ref="",
                          kind=NotificationKind.LOGIN_LINK,
                          data={"email": email.strip().lower(),
                                **({"return_to": path} if (path := safe_return_path(return_to)) else {})},
                          created_at=now)
    with deps.uow() as uow:
        uow.outbox.add_uncased(notice, now + timedelta(hours=LOGIN_NOTICE_HOURS))
        uow.commit()
    logger.info("login link asked for")


def login_recipient(deps: Deps, email: str, asked_at: datetime) -> User | None:
    """The user a login link asked for at that time goes to, or None: an unknown address, or
    too many links asked for in the same quarter hour."""
    user = deps.repo.get_user_by_email(email) if email else None
    if user is None:
        logger.info("login requested for an unknown address")
        return None
    window = asked_at.replace(minute=asked_at.minute - asked_at.minute % 15, second=0, microsecond=0)
    if deps.repo.count_login_request(user.id, window.isoformat(), window + timedelta(hours=1)) > MAX_LINKS_PER_WINDOW:
        logger.warning("login link refused: too many requests", extra={"user_id": user.id})
        return None
    return user


def login_email(deps: Deps, user: User, return_to: str | None = None) -> OutgoingEmail:
    """A fresh single-use login link for the user, stored hashed, in its email; it leads back
    to return_to, a page of this site, once signed in."""
    minutes = deps.settings.login_token_minutes
    token = secrets.token_urlsafe(32)
    deps.repo.put_secret(Secret.LOGIN, _digest(token), user.id, deps.now() + timedelta(minutes=minutes))
    link = f"{deps.settings.base_url}/connexion/{token}"
    if path := safe_return_path(return_to):
        link += "?" + urlencode({"suite": path})
    context = {"user": user, "link": link, "minutes": minutes}
    logger.info("login link made", extra={"user_id": user.id})
    return OutgoingEmail(
        to=[user.email], subject="Votre lien de connexion à Relais",
        text=render("email/login.txt", **context), html=render("email/login.html", **context))


def open_session(deps: Deps, token: str) -> tuple[User, str]:
    """Exchange a login token (once) for a session token."""
    now = deps.now()
    user_id = deps.repo.take_secret(Secret.LOGIN, _digest(token), now)
    user = deps.repo.get_user(user_id) if user_id else None
    if user is None:
        raise TokenInvalid(LINK_EXPIRED, field="token")
    session_token = secrets.token_urlsafe(32)
    deps.repo.put_secret(Secret.SESSION, _digest(session_token), user.id,
                         now + timedelta(hours=deps.settings.session_hours))
    deps.repo.add_event(event(EventCode.LOGIN, user.id, now))
    return user, session_token


def principal_for(deps: Deps, session_token: str | None) -> tuple[Principal, User]:
    if not session_token:
        raise NotAuthenticated("Connectez-vous pour continuer.")
    user_id = deps.repo.read_secret(Secret.SESSION, _digest(session_token), deps.now())
    user = deps.repo.get_user(user_id) if user_id else None
    if user is None:
        raise NotAuthenticated("Votre session a expiré. Connectez-vous à nouveau.")
    return Principal.of(user), user


def close_session(deps: Deps, session_token: str | None) -> None:
    if session_token:
        deps.repo.delete_secret(Secret.SESSION, _digest(session_token))
