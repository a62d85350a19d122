"""The login pages in a real browser: accessibility, keyboard only, CSP, cookie, no address leaked."""
import re

from tests.browser.conftest import check_accessibility, login_link, outbox_emails, sign_in, signed_out, tab_to

AGENT = "agent.perche-en-noce@example.org"  # its own agent: 5 login links per quarter hour
REFERENT = "referent.61-caf@example.org"
SESSION_COOKIE = "relais_session"


def whoami(page, base_url: str) -> dict:
    response = page.request.get(f"{base_url}/api/me")
    assert response.ok, f"/api/me answered {response.status}: {response.text()}"
    return response.json()


def test_login_page_has_no_accessibility_violation(page, stack_url):
    page.goto(f"{stack_url}/connexion")
    check_accessibility(page, "connexion")


def test_keyboard_only_sign_in(page, stack_url):
    seen = len(outbox_emails(stack_url, AGENT))
    page.goto(f"{stack_url}/connexion")
    field = tab_to(page, "Adresse e-mail professionnelle")
    assert field["tag"] == "input"
    page.keyboard.type(AGENT)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    page.goto(login_link(stack_url, AGENT, seen))
    button = tab_to(page, re.compile(r"connect|connexion", re.IGNORECASE))
    assert button["role"] == "button", button
    page.keyboard.press("Enter")
    page.wait_for_url(signed_out)

    assert whoami(page, stack_url)["email"] == AGENT


def test_pages_have_a_content_security_policy_without_inline_scripts(page, stack_url):
    for path in ("/connexion", "/"):
        response = page.goto(f"{stack_url}{path}")
        policy = response.headers.get("content-security-policy")
        assert policy, f"{path}: no Content-Security-Policy header"
        directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
        scripts = directives.get("script-src", directives.get("default-src"))
        assert scripts, f"{path}: the CSP restricts no script source: {policy}"
        assert "'unsafe-inline'" not in scripts, f"{path}: {policy}"


def test_session_cookie_is_http_only(page, stack_url):
    sign_in(page, stack_url, REFERENT)

    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert SESSION_COOKIE in cookies, sorted(cookies)
    assert cookies[SESSION_COOKIE]["httpOnly"] is True
    assert page.evaluate("document.cookie").find(SESSION_COOKIE) == -1
    assert whoami(page, stack_url)["email"] == REFERENT


def test_no_email_address_in_urls_or_titles(page, stack_url):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    titles: list[str] = []
    seen = len(outbox_emails(stack_url, AGENT))

    page.goto(f"{stack_url}/connexion")
    titles.append(page.title())
    page.get_by_label("Adresse e-mail professionnelle").fill(AGENT)
    with page.expect_navigation():
        page.get_by_role("button", name="Recevoir un lien de connexion").click()
    titles.append(page.title())
    page.goto(login_link(stack_url, AGENT, seen))
    titles.append(page.title())
    page.get_by_role("main").get_by_role("button").click()
    page.wait_for_url(signed_out)
    titles.append(page.title())

    address = re.compile(r"[\w.+-]+(@|%40)[\w-]+\.[\w.]+", re.IGNORECASE)
    leaks = [url for url in requested if address.search(url)] + [t for t in titles if address.search(t)]
    assert not leaks, leaks
    assert len(requested) >= 4 and all(titles), (requested, titles)
