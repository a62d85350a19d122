"""`chalice local` with API Gateway's greedy path variable.

In AWS, a route "/{proxy+}" (chalicelib/routes/errors.py) catches every path no other route
matches, however many segments it has, and names the rest of the path `proxy`. `chalice local`
and `chalice.test.Client` (the same local gateway) match a fixed number of segments only, and
would answer /a/b/c with their JSON 403 "Missing Authentication Token". install() teaches their
route matcher the greedy variable: other routes first, then the greedy ones, as API Gateway does.

    python -m devtools.local_gateway local --host 127.0.0.1 ...   (devtools/stack.py)
"""
from __future__ import annotations

import sys
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

from chalice import local

_fixed_match = local.RouteMatcher.match_route


def _greedy(route: str) -> tuple[str, str] | None:
    """("/prefix", "name") of a route ending in a greedy variable ("/{proxy+}": ("", "proxy"))."""
    prefix, _, last = route.rpartition("/")
    return (prefix, last[1:-2]) if last.startswith("{") and last.endswith("+}") else None


def match_route(self, url: str) -> local.MatchResult:
    fixed = SimpleNamespace(route_urls=[r for r in self.route_urls if _greedy(r) is None])
    try:
        return _fixed_match(fixed, url)
    except ValueError:
        parsed = urlparse(url)
        # Longest prefix first: "/static/{proxy+}" before "/{proxy+}".
        for route in sorted(self.route_urls, key=len, reverse=True):
            greedy = _greedy(route)
            if greedy and parsed.path.startswith(f"{greedy[0]}/") and parsed.path[len(greedy[0]) + 1:]:
                return local.MatchResult(route, {greedy[1]: parsed.path[len(greedy[0]) + 1:]},
                                         parse_qs(parsed.query, keep_blank_values=True))
        raise


def install() -> None:
    local.RouteMatcher.match_route = match_route       # type: ignore[method-assign]


if __name__ == "__main__":
    install()
    from chalice.cli import main

    sys.exit(main())
