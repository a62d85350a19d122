"""The harness itself: what the console watch catches, and why axe is injected with evaluate."""
import pytest
from playwright.sync_api import Error

from tests.browser.conftest import AXE


def test_the_csp_refuses_an_injected_script_tag_and_the_console_watch_sees_it(page, console, stack_url):
    page.goto(f"{stack_url}/connexion")
    with pytest.raises(Error, match="Content Security Policy"):
        page.add_script_tag(content="window.injected = true;")
    assert page.evaluate("window.injected") is None
    page.wait_for_function("true")  # one more round trip: the console message is in
    problems = console.take_problems()
    assert any("Content Security Policy directive 'script-src 'self''" in p for p in problems), problems


def test_evaluate_is_not_subject_to_the_csp(page, console, stack_url):
    page.goto(f"{stack_url}/connexion")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    assert page.evaluate("typeof axe.run") == "function"
    assert console.problems() == []
