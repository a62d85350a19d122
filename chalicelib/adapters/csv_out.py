"""The one way Relais writes a CSV: every CSV response (open data, quarterly report) goes
through `render` and `response`, never through `csv.writer` directly (a test checks it).

The variant is the one French spreadsheets open without the import wizard: `;` between cells,
a decimal comma (87,5), UTF-8 with a byte order mark (Excel reads UTF-8 only with it), CRLF
line ends, every cell between double quotes (an embedded `;`, `,`, tab, quote or line break
stays inside its cell, even for a program that guesses another separator).

Formula injection (OWASP "CSV Injection"): a text cell that begins with `=`, `+`, `-`, `@`, a
tab, a carriage return or a line feed (or their full-width forms, or any of them after leading
spaces) is prefixed with a single quote, so that a spreadsheet shows it as text and never runs
it. Only text is neutralised: an `int` or a `float` is a figure Relais computed, written as a
number (a negative net satisfaction stays -20,5, a number the spreadsheet can sum). Anything
that came from a person or from the directory must reach here as `str`, never as a number.
"""
from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from typing import Any

DELIMITER = ";"
BOM = "\ufeff"
# OWASP's list, the line feed, and the full-width forms some spreadsheets also read as formulas.
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def cell(value: Any) -> str:
    """One cell as written: numbers as numbers (decimal comma), None as empty, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        return str(value).replace(".", ",")
    text = str(value)
    if text[:1] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def render(rows: Iterable[Iterable[Any]]) -> str:
    """The whole file, BOM first; the HTTP layer encodes it as UTF-8."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=DELIMITER, quotechar='"', doublequote=True,
                        quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return buffer.getvalue()


def filename(name: str) -> str:
    """A download name that cannot break out of the Content-Disposition header."""
    safe = _FILENAME_UNSAFE.sub("_", name).strip("._") or "relais"
    return f"{safe[:100]}.csv"


def response(rows: Iterable[Iterable[Any]], name: str, headers: dict[str, str]):
    """A CSV download. `headers` carries the caching policy: public for open data, no-store
    for anything behind a login."""
    from chalice import Response

    return Response(body=render(rows), status_code=200, headers={
        **headers, "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename(name)}"'})
