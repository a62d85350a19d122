"""Browser tests: Playwright drives Debian's chromium against the local stack; axe-core checks pages.

Chromium is /usr/bin/chromium (`make install` installs it with apt): Playwright's own browser
download is not used. axe-core comes from npm (package.json). Every test here is marked `browser`.

Helpers for the tests: sign_in(), check_accessibility(), tab_to().
"""
from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import requests

from devtools import stack
from tests.clock import STACK_INSTANT

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
# The network is closed: without the background flags chromium keeps calling Google's services.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = stack.ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = stack.ROOT / "test-artifacts" / "screenshots"
LOGIN_LINK = re.compile(r"/connexion/[\w-]+")
# Older chromium says "Refused to execute inline script because it violates the following Content
# Security Policy directive"; chromium 156 says "Executing inline script violates the following...".
CSP_VIOLATION = re.compile(r"Refused to|Content Security Policy", re.IGNORECASE)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


# -- the stack and the browser ------------------------------------------------------------------

STACK_TABLE = "relais-browser"
STACK_DYNAMODB: dict[str, str] = {}


@pytest.fixture(scope="session")
def stack_url(tmp_path_factory):
    """The local stack with demo data, as `make run` starts it, its clock at STACK_INSTANT."""
    at = datetime.fromisoformat(STACK_INSTANT)
    ddb_port = stack.free_port()
    STACK_DYNAMODB["endpoint"] = f"http://127.0.0.1:{ddb_port}"
    with stack.running(STACK_TABLE, tmp_path_factory.mktemp("browser-stack"), at=at,
                       ddb_port=ddb_port) as url:
        yield url


@pytest.fixture(scope="session")
def stack_dynamodb(stack_url) -> str:
    """The stack's DynamoDB Local endpoint (its table: STACK_TABLE), for data dated in the past."""
    return STACK_DYNAMODB["endpoint"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make install` (it installs chromium with apt).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class ConsoleWatch:
    """What the page said on its console, and its uncaught errors."""

    def __init__(self, page):
        self.page = page
        self.messages: list[str] = []
        self.page_errors: list[str] = []
        page.on("console", lambda message: self.messages.append(
            f"[{message.type}] {message.text} (on {page.url})"))
        page.on("pageerror", lambda error: self.page_errors.append(
            f"{error.message} on {page.url}\n{error.stack or ''}".strip()))

    def problems(self) -> list[str]:
        """Content-Security-Policy violations and JavaScript errors."""
        return ([m for m in self.messages if CSP_VIOLATION.search(m)]
                + [f"[pageerror] {error}" for error in self.page_errors])

    def take_problems(self) -> list[str]:
        """The problems so far, then forgotten: for a test that provokes one on purpose."""
        found = self.problems()
        self.messages.clear()
        self.page_errors.clear()
        return found


@pytest.fixture
def console(browser):
    """A page in a fresh context, French, 1280x900, and what its console shows."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    yield ConsoleWatch(context.new_page())
    context.close()


@pytest.fixture
def page(console):
    """The test fails if the console shows a CSP violation (see CSP_VIOLATION) or a JS error."""
    yield console.page
    problems = console.problems()
    if problems:
        pytest.fail("The browser console reported:\n  " + "\n  ".join(problems), pytrace=False)


# -- helpers ------------------------------------------------------------------------------------

def outbox_emails(base_url: str, address: str) -> list[dict]:
    """Emails to that address in /_dev/outbox, oldest first."""
    response = requests.get(f"{base_url}/_dev/outbox", timeout=10)
    response.raise_for_status()
    return [m for m in response.json() if m.get("channel", "email") == "email" and address in m["to"]]


def login_link(base_url: str, address: str, seen: int = 0, timeout: float = 10) -> str:
    """The /connexion/<token> link of the newest email to that address, once there are more than `seen`."""
    deadline = time.monotonic() + timeout
    while len(emails := outbox_emails(base_url, address)) <= seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"no new email to {address} in /_dev/outbox after {timeout:.0f} s")
        time.sleep(0.2)
    newest = emails[-1]
    match = LOGIN_LINK.search(newest["text"] or "")
    assert match, f"no /connexion/<token> link in the email {newest['subject']!r}:\n{newest['text']}"
    return urljoin(base_url, match.group(0))


def api_sign_in(base_url: str, email: str) -> requests.Session:
    """A session signed in through the JSON API, with the magic link read from the outbox."""
    session = requests.Session()
    assert session.post(f"{base_url}/api/auth/magic-link", json={"email": email}, timeout=10).status_code == 202
    token = LOGIN_LINK.search(outbox_emails(base_url, email)[-1]["text"]).group(0).rsplit("/", 1)[1]
    response = session.post(f"{base_url}/api/auth/session", json={"token": token}, timeout=10)
    assert response.status_code == 200, response.text
    assert session.cookies.get("relais_session")
    return session


def signed_out(url: str) -> bool:
    return not urlparse(url).path.startswith("/connexion")


def sign_in(page, base_url: str, email: str) -> None:
    """Ask for a link on /connexion, open it from the outbox, click the button: signed in."""
    seen = len(outbox_emails(base_url, email))
    page.goto(f"{base_url}/connexion")
    page.get_by_label("Adresse e-mail professionnelle").fill(email)
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    link = login_link(base_url, email, seen)
    page.wait_for_load_state()
    page.goto(link)
    page.get_by_role("main").get_by_role("button").click()
    page.wait_for_url(signed_out)


def check_accessibility(page, name: str) -> None:
    """Screenshot to test-artifacts/screenshots/<name>.png, then axe-core (WCAG 2.1 A and AA): no violation.

    axe is injected with page.evaluate, which runs through the DevTools protocol and is not subject
    to the page's Content-Security-Policy (script-src 'self'), unlike add_script_tag.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret makes Playwright inject a <style>, which the pages' CSP
    # (style-src 'self') rightly blocks, and the console watch would report it as the page's fault.
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, caret="initial")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    violations = results["violations"]
    assert not violations, f"axe: {len(violations)} accessibility violation(s) on {name} ({page.url}):\n" \
        + axe_report(violations)


def axe_report(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [json.dumps(node["target"], ensure_ascii=False) for node in violation["nodes"][:3]]
        more = len(violation["nodes"]) - len(targets)
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
                     f"    {', '.join(targets)}{f' and {more} more' if more > 0 else ''}\n"
                     f"    {violation['helpUrl']}")
    return "\n".join(lines)


# The focused element as a keyboard user meets it: its tag, and the texts it may be known by.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const clean = (text) => (text || '').replace(/\\s+/g, ' ').trim();
  const labels = el.labels ? Array.from(el.labels).map(label => label.textContent) : [];
  return {tag: el.tagName.toLowerCase(),
          texts: [...labels, el.getAttribute('aria-label'), el.innerText, el.value,
                  el.getAttribute('title'), el.getAttribute('placeholder')].map(clean).filter(Boolean)};
}"""


def focused_element(page, cdp) -> dict | None:
    """The focused element: tag, role and accessible name as chromium computes them, other texts."""
    focused = page.evaluate(FOCUSED)
    if focused is None:
        return None
    handle = cdp.send("Runtime.evaluate", {"expression": "document.activeElement"})["result"]
    nodes = cdp.send("Accessibility.getPartialAXTree",
                     {"objectId": handle["objectId"], "fetchRelatives": False})["nodes"]
    node = nodes[0] if nodes else {}
    focused["role"] = node.get("role", {}).get("value")
    focused["name"] = " ".join(str(node.get("name", {}).get("value", "")).split())
    return focused


def tab_to(page, accessible_name: str | re.Pattern, max_tabs: int = 60) -> dict:
    """Press Tab until the focused element's accessible name (or label, text, value) matches.

    Returns the element as {"tag", "role", "name", "texts"}. A string matches as Playwright's
    get_by_label does: contained in the name, case and spacing aside (a DSFR label also holds
    "obligatoire" and its hint); a compiled pattern is searched in the name.
    """
    def matches(text: str) -> bool:
        if isinstance(accessible_name, re.Pattern):
            return bool(accessible_name.search(text))
        return " ".join(accessible_name.split()).casefold() in text.casefold()

    cdp = page.context.new_cdp_session(page)
    visited: list[str] = []
    try:
        for _ in range(max_tabs):
            page.keyboard.press("Tab")
            focused = focused_element(page, cdp)
            if focused and any(matches(text) for text in [focused["name"], *focused["texts"]]):
                return focused
            seen = f"<{focused['tag']}> {focused['role']} {focused['name']!r}" if focused else "(the page)"
            if visited and seen == visited[0]:
                visited.append("... and round again")
                break
            visited.append(seen)
    finally:
        cdp.detach()
    raise AssertionError(f"{accessible_name!r} not reached by Tab on {page.url}; "
                         "focus went through:\n  " + "\n  ".join(visited))
