"""Jinja2 rendering of emails and pages, autoescaped, built once on first use."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import static_files

_PACKAGE = Path(__file__).resolve().parents[1]
# The deployment package carries a copy under chalicelib/; the source tree keeps templates/.
SEARCH_PATH = [_PACKAGE / "templates", _PACKAGE.parent / "templates"]
# The package also carries every template compiled to a Python module (devtools/package.py,
# compile_into): Lambda then imports a template's .pyc instead of parsing and compiling its
# source at each cold start (about a third of a first page's time, measured in the package).
COMPILED = _PACKAGE / "templates_compiled"


@lru_cache(maxsize=1)
def environment():
    import jinja2  # imported on first render, not at cold start

    if COMPILED.is_dir():
        return _configured(jinja2.ModuleLoader(str(COMPILED)))
    return _configured(jinja2.FileSystemLoader([str(p) for p in SEARCH_PATH if p.is_dir()]))


def _configured(loader):
    """The one Environment: the same options and filters whether it reads sources or the
    compiled modules (autoescaping, trimming and the filters' names are settled at compile time)."""
    import jinja2

    environment = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True)
    environment.filters["nl2br"] = _nl2br
    environment.filters["phone"] = _phone
    environment.filters["fr"] = fr_number
    environment.filters["sort_fr"] = sort_french
    environment.filters["local"] = local_time
    environment.filters["zone_label"] = _zone_label
    # {{ static_url('dsfr/dsfr.min.css') }} -> /static/dsfr/dsfr.min.css?v=<DSFR release>
    environment.globals["static_url"] = static_files.url
    return environment


def compile_into(sources: Path, target: Path) -> int:
    """Compile every template under `sources` into modules in `target`, for the package; returns
    how many. A template that does not compile fails the build."""
    import jinja2

    compiled: list[str] = []
    _configured(jinja2.FileSystemLoader(str(sources))).compile_templates(
        str(target), zip=None, ignore_errors=False, log_function=compiled.append)
    return sum(1 for line in compiled if line.startswith("Compiled"))


def _nl2br(text) -> str:
    """Each line escaped, joined by <br>: a message's line breaks, and never its markup."""
    from markupsafe import Markup, escape

    return Markup("<br>\n").join(escape(line) for line in str(text).splitlines())


def local_time(moment, territory_code: str | None = None, pattern: str = "%d/%m/%Y") -> str:
    """A moment as the reader's clock shows it: stored in UTC, shown in the zone of the territory
    the page is about (Paris for metropolitan France, Martinique time for a point in
    Fort-de-France). A case opened at 23:30 UTC on the 1st was opened on the 2nd in France."""
    from ..domain import zones

    if getattr(moment, "tzinfo", None) is not None:
        moment = moment.astimezone(zones.zone_of(territory_code))
    return moment.strftime(pattern)


def _zone_label(territory_code: str | None) -> str:
    from ..domain import zones

    return zones.label(territory_code)


def fr_number(value, unit: str = ""):
    """A figure as it is written in French, the one format of every page, chart and email:
    1 234 (a narrow no-break space between thousands) and 87,5 (a decimal comma); with
    unit="%", 87,5 % (a no-break space before the sign, so it never starts a line)."""
    from markupsafe import Markup

    if isinstance(value, float):
        whole, _, decimals = f"{value:,.1f}".partition(".")
        text = whole.replace(",", "\u202f") + "," + decimals
    elif isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}".replace(",", "\u202f")
    else:
        text = str(value)
    if unit == "%":
        return Markup("{}&nbsp;%").format(text)
    return text + unit


def sort_french(items, attribute: str):
    """{{ points | sort_fr("name") }}: in French alphabetical order (domain/collation.py),
    « Ardèche » before « Ardennes », whatever the locale."""
    from ..domain.collation import french_sorted

    return french_sorted(items, lambda item: getattr(item, attribute))


def _phone(e164) -> str:
    """+33612345678 as a French agent reads it out: 06 12 34 56 78 (overseas: its national form)."""
    import phonenumbers

    try:
        return phonenumbers.format_number(phonenumbers.parse(str(e164)), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return str(e164)


def render(name: str, **context) -> str:
    return environment().get_template(name).render(**context)


def render_email(name: str, **context) -> tuple[str, str]:
    """The plain-text and HTML parts of email/<name>; the HTML gets its CSS inlined, as
    Outlook and most webmails ignore <style> blocks."""
    import css_inline

    text = render(f"email/{name}.txt", **context)
    html = css_inline.inline(render(f"email/{name}.html", **context))
    return text, html
