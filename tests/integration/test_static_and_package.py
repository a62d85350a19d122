"""The DSFR and Relais's CSS served by the Lambda itself, and the deployment package that carries
them: templates and static files inside chalicelib/, pages rendered from the unzipped package."""
from __future__ import annotations

import importlib.util
import json
import platform
import re
import subprocess
import sys
import zipfile
from posixpath import dirname, normpath

import pytest

from chalicelib.adapters import static_files

DIST = static_files.DSFR_DIST
DSFR_VERSION = json.loads((DIST.parent / "package.json").read_text(encoding="utf-8"))["version"]
FONT = "fonts/Marianne-Regular.woff2"
ICON = "icons/system/close-line.svg"
# Chalice answers a binary Content-Type only to an Accept that matches; browsers send */*.
ACCEPT_ANY = {"Accept": "*/*"}


def test_dsfr_stylesheet_with_a_short_cache_unless_versioned(client):
    response = client.http.get("/static/dsfr/dsfr.min.css")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.body == (DIST / "dsfr.min.css").read_bytes()

    versioned = client.http.get(f"/static/dsfr/dsfr.min.css?v={DSFR_VERSION}")
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = client.http.get("/static/dsfr/dsfr.min.css?v=0.0.1")
    assert stale.headers["Cache-Control"] == "public, max-age=3600"


def test_font_comes_back_byte_for_byte(client):
    response = client.http.get(f"/static/dsfr/{FONT}", headers=ACCEPT_ANY)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "font/woff2"
    assert response.body == (DIST / FONT).read_bytes()


def test_icon_script_and_favicon(client):
    icon = client.http.get(f"/static/dsfr/{ICON}")
    assert (icon.status_code, icon.headers["Content-Type"]) == (200, "image/svg+xml")
    assert icon.body == (DIST / ICON).read_bytes()
    script = client.http.get("/static/dsfr/dsfr.module.min.js")
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    favicon = client.http.get("/static/dsfr/favicon/favicon.ico", headers=ACCEPT_ANY)
    assert favicon.body == (DIST / "favicon" / "favicon.ico").read_bytes()


def test_relais_stylesheet_versioned_by_its_content(client):
    url = static_files.url("relais/relais.css")
    assert re.fullmatch(r"/static/relais/relais\.css\?v=[0-9a-f]{10}", url)
    response = client.http.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.body == (static_files.RELAIS_STATIC / "relais.css").read_bytes()


@pytest.mark.parametrize("path", [
    "/static/dsfr/../../app.py",
    "/static/dsfr/%2e%2e/%2e%2e/app.py",
    "/static/dsfr/fonts/..%2f..%2f..%2fapp.py",
    "/static/dsfr/fonts/%2e%2e/dsfr.min.css",
    "/static/relais/..",
    "/static/relais/.gitignore",
    "/static/dsfr/.bin/x.js",
    "/static/dsfr/dsfr.min.css.map",          # in dist/, neither served nor shipped
    "/static/dsfr/utility/icons/icons.css",   # same
    "/static/relais/absent.css",
])
def test_traversal_dotfiles_and_unknown_files_are_404(client, path):
    response = client.http.get(path, headers=ACCEPT_ANY)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_dotfiles_and_links_out_of_the_root_are_never_found(tmp_path, monkeypatch):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "ok.css").write_text("a{}")
    (root / ".secret.css").write_text("a{}")
    (outside / "leak.css").write_text("a{}")
    (root / "link.css").symlink_to(outside / "leak.css")
    monkeypatch.setitem(static_files.ROOTS, "relais", (root,))
    assert static_files.find("relais", ["ok.css"]) == (root / "ok.css").resolve()
    for parts in ([".secret.css"], ["link.css"], ["..", "outside", "leak.css"], ["ok.css/"], [""]):
        assert static_files.find("relais", parts) is None


def test_every_url_in_the_dsfr_css_is_served():
    """The CSS reaches fonts and icons by relative url(): /static/dsfr/ must mirror dist/."""
    for stylesheet in ("dsfr.min.css", "utility/icons/icons.min.css"):
        css = (DIST / stylesheet).read_text(encoding="utf-8")
        targets = {normpath(f"{dirname(stylesheet)}/{url}".lstrip("/"))
                   for url in re.findall(r"url\(([^)\"':]+)\)", css)}
        assert targets, stylesheet
        missing = [t for t in targets if static_files.find("dsfr", t.split("/")) is None]
        assert not missing, f"{stylesheet} points at files /static/dsfr/ does not serve: {missing[:5]}"


def test_static_url_refuses_a_missing_file():
    assert static_files.url("dsfr/dsfr.min.css") == f"/static/dsfr/dsfr.min.css?v={DSFR_VERSION}"
    with pytest.raises(FileNotFoundError):
        static_files.url("dsfr/dsfr.css")


# Run by the base interpreter with -I -S: no venv, no site-packages, no cwd; only the package.
RENDER_FROM_PACKAGE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import jinja2, pydantic_core
from chalicelib.web import pages
template = "login.html"
try:
    response = pages.page(template, csrf="x", sent=False, email=None, error=None)
except jinja2.UndefinedError:  # the login page's context changed: any page has the layout
    template = "case_missing.html"
    response = pages.page(template)
from chalicelib.adapters import templates
print(json.dumps({"template": template, "html": response.body,
                  "loader": type(templates.environment().loader).__name__,
                  "modules": [jinja2.__file__, pydantic_core.__file__, pages.__file__]}))
"""


@pytest.mark.package
def test_package_carries_templates_and_static_files_and_renders_pages(tmp_path):
    if sys.platform != "linux" or platform.machine() != "x86_64":
        pytest.skip(f"the package holds manylinux x86_64 wheels for Lambda; they cannot load on "
                    f"{sys.platform} {platform.machine()}")
    from devtools import package

    deployment = package.build(tmp_path / "out")
    unpacked = tmp_path / "lambda"
    with zipfile.ZipFile(deployment) as archive:
        names = set(archive.namelist())
        archive.extractall(unpacked)
    for shipped in ("chalicelib/templates/pages/base.html", "chalicelib/templates/email/login.html",
                    "chalicelib/static/dsfr/dsfr.min.css", f"chalicelib/static/dsfr/{FONT}",
                    f"chalicelib/static/dsfr/{ICON}", "chalicelib/static/dsfr/utility/icons/icons.min.css",
                    "chalicelib/static/relais/relais.css"):
        assert shipped in names
    assert not [n for n in names if n.endswith(".map") or "/component/" in n]
    assert not [n for n in names if n.startswith("chalicelib/dev/")]        # the local emulation stays out
    # Every module compiled, for the runtime's Python, checked against nothing at import.
    sources = [n for n in names if n.endswith(".py") and (n == "app.py" or n.startswith(("chalicelib/", "jinja2/")))]
    assert sources and all(importlib.util.cache_from_source(n) in names for n in sources)
    header = (unpacked / importlib.util.cache_from_source("chalicelib/web/pages.py")).read_bytes()[:8]
    assert header[:4] == importlib.util.MAGIC_NUMBER and int.from_bytes(header[4:8], "little") == 0b01

    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}-x86_64-linux-gnu"
    if not any(tag in n for n in names if n.startswith("pydantic_core/")):
        pytest.skip(f"the package's compiled wheels are not for this interpreter ({tag})")
    base_python = getattr(sys, "_base_executable", sys.executable)
    # A source changed after the build is not read again: the .pyc runs (unchecked hash).
    with (unpacked / "chalicelib" / "web" / "pages.py").open("a", encoding="utf-8") as source:
        source.write("\nraise SystemExit('compiled again at import')\n")
    # The same for the templates: each is a compiled module, its source is never parsed again.
    compiled = [n for n in names if n.startswith("chalicelib/templates_compiled/tmpl_")]
    assert compiled and all(importlib.util.cache_from_source(n) in names for n in compiled)
    for source_template in (unpacked / "chalicelib" / "templates").rglob("*.html"):
        source_template.write_text("{% if never closed %}", encoding="utf-8")
    for path in unpacked.rglob("*"):                         # read-only, as Lambda's code directory
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        result = subprocess.run([base_python, "-I", "-S", "-X", "importtime", "-c", RENDER_FROM_PACKAGE,
                                 str(unpacked)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    finally:
        for path in unpacked.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)
    assert result.returncode == 0, result.stderr
    rendered = json.loads(result.stdout)
    assert rendered["loader"] == "ModuleLoader"
    assert "chalicelib.dev" not in result.stderr               # -X importtime: no import of the emulation
    assert all(module.startswith(str(unpacked)) for module in rendered["modules"]), rendered["modules"]
    assert f'<link rel="stylesheet" href="/static/dsfr/dsfr.min.css?v={DSFR_VERSION}">' in rendered["html"]


@pytest.mark.package
def test_the_packaged_template_wires_every_source_and_passes_cfn_lint(tmp_path):
    from devtools import package
    from infra.functions import functions

    sam = package.build(tmp_path / "out").with_name("sam.json")
    package.lint(sam)                                        # raises on any cfn-lint error
    resources = json.loads(sam.read_text(encoding="utf-8"))["Resources"]
    for function in functions():
        events = resources[function.logical_id]["Properties"].get("Events", {})
        for event in events.values():
            source = event["Properties"]
            wired = source.get("Stream") or source.get("Queue") or source.get("Topic")
            assert wired is None or isinstance(wired, dict) and len(wired) == 1, (function, wired)
            assert "000000000000" not in json.dumps(source)          # no placeholder survives
        role = resources[f"{''.join(p.title() for p in function.name.split('_'))}Role"]
        assert [p["PolicyName"] for p in role["Properties"]["Policies"]] == ["RelaisLeastPrivilege"]
    # SAM's transform of it, as CloudFormation runs it (package.lint wrote it and linted it): one
    # stage, chalice's "api"; no implicit "Stage" (a deployment with a StageName makes one); each
    # function's role holds its own policy and no other.
    from infra import iam

    transformed = json.loads(sam.with_name("transformed.json").read_text(encoding="utf-8"))["Resources"]
    stages = [r["Properties"]["StageName"] for r in transformed.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stages == ["api"]
    assert not any("StageName" in r["Properties"] for r in transformed.values()
                   if r["Type"] == "AWS::ApiGateway::Deployment")
    for function in functions():
        role = transformed[f"{''.join(p.title() for p in function.name.split('_'))}Role"]["Properties"]
        assert role["Policies"] == [{"PolicyName": "RelaisLeastPrivilege", "PolicyDocument": iam.policy("prod", function.name)}]
        assert not role.get("ManagedPolicyArns")
    broken = json.loads(sam.read_text(encoding="utf-8"))
    broken["Resources"]["SmsDeadLetterAlarm"]["Properties"]["ComparisonOperator"] = "Bigger"
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(subprocess.CalledProcessError):
        package.lint(tmp_path / "broken.json")
