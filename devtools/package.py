"""Build the Lambda deployment package: `make package`, or `python -m devtools.package [outdir]`.

Chalice ships app.py, chalicelib/ and vendor/ only, so the templates and the static files (the
DSFR's shipped subset, static/) are copied under chalicelib/ first. That happens in a staging
copy of the project, never in the working tree: a chalicelib/templates/ left there by an
interrupted build would shadow templates/ for the local stack and the tests.

`make install` fetches the Lambda wheels of requirements.txt (manylinux, x86_64, CPython 3.11)
into .wheelhouse/ (`--fetch`, the only step that needs the network); `make package` then runs
offline: chalice's pip finds every wheel there, and PIP_NO_INDEX forbids it to look further.
The packaged template (sam.json) is checked with cfn-lint, and so is SAM's transform of it
(transformed.json, what CloudFormation runs: aws-sam-translator, the transform's own code).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from chalicelib.adapters import templates
from chalicelib.adapters.static_files import DSFR_DIST, DSFR_SHIPPED, RELAIS_STATIC
from infra.template import template

ROOT = Path(__file__).resolve().parents[1]
REGION = "eu-west-3"
WHEELHOUSE = ROOT / ".wheelhouse"
LAMBDA_PLATFORM = ["--platform", "manylinux2014_x86_64", "--implementation", "cp",
                   "--python-version", "3.11", "--abi", "cp311", "--only-binary=:all:"]
_NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


def copy_assets(chalicelib: Path) -> None:
    """templates/ -> chalicelib/templates/; the DSFR subset and static/ -> chalicelib/static/."""
    shutil.copytree(ROOT / "templates", chalicelib / "templates", ignore=_NOT_SHIPPED)
    shutil.copytree(RELAIS_STATIC, chalicelib / "static" / "relais", ignore=_NOT_SHIPPED)
    dsfr = chalicelib / "static" / "dsfr"
    for entry in DSFR_SHIPPED:
        source, target = DSFR_DIST / entry, dsfr / entry
        if not source.exists():
            raise SystemExit(f"{source} is missing: run `make install` (npm ci) first.")
        if entry.endswith("/"):
            shutil.copytree(source, target, ignore=_NOT_SHIPPED)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def stage(project: Path, stage_name: str = "prod") -> None:
    """What Chalice reads, copied from the working tree, plus the assets under chalicelib/."""
    shutil.copy2(ROOT / "app.py", project / "app.py")
    shutil.copy2(ROOT / "requirements.txt", project / "requirements.txt")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=_NOT_SHIPPED)
    if (ROOT / "vendor").is_dir():
        shutil.copytree(ROOT / "vendor", project / "vendor", ignore=_NOT_SHIPPED)
    (project / ".chalice").mkdir()
    for config in (ROOT / ".chalice").glob("*.json"):  # config.json and the IAM policies
        shutil.copy2(config, project / ".chalice" / config.name)
    copy_assets(project / "chalicelib")
    (project / "infra.json").write_text(json.dumps(template(stage_name), indent=2), encoding="utf-8")


def fetch_wheels() -> None:
    """The Lambda wheels of requirements.txt into .wheelhouse/ (network)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                    "-r", str(ROOT / "requirements.txt"), "--dest", str(WHEELHOUSE), *LAMBDA_PLATFORM],
                   check=True)


def build(outdir: Path, stage_name: str = "prod") -> Path:
    """Run `chalice package` on a staged copy, offline; returns the deployment.zip in outdir."""
    outdir = outdir.resolve()
    chalice = Path(sys.executable).with_name("chalice")
    if not any(WHEELHOUSE.glob("*.whl")):
        raise SystemExit(f"{WHEELHOUSE} is empty: run `make install` first (it fetches the Lambda wheels).")
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", REGION),
           "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    with tempfile.TemporaryDirectory(prefix="relais-package-") as staging:
        project = Path(staging) / "relais"
        project.mkdir()
        stage(project, stage_name)
        subprocess.run([str(chalice), "--project-dir", str(project), "package", "--stage", stage_name,
                        "--merge-template", str(project / "infra.json"), str(outdir)],
                       check=True, env=env)
    package = outdir / "deployment.zip"
    for_lambda(package)
    return package


NOT_IN_PRODUCTION = ("chalicelib/dev/",)     # the local emulation: the dev stage only (bootstrap.py)
LAMBDA_PYTHON = (3, 11)                      # the functions' runtime (.chalice/config.json)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)             # every entry's date: the zip is the same byte for byte


def for_lambda(package: Path) -> None:
    """The zip as Lambda runs it: without the local emulation (NOT_IN_PRODUCTION), with every
    template compiled to a module (adapters/templates.py), and with every module compiled. Lambda's code directory is read-only, so a zip without .pyc compiles every
    module again at each cold start. The .pyc are checked against nothing at import
    (`--invalidation-mode unchecked-hash`: no timestamp, which a zip does not keep anyway), are
    compiled by the runtime's Python version, and are the same at each build (PYTHONHASHSEED=0),
    like the zip's entries (sorted, dated ZIP_TIME)."""
    if sys.version_info[:2] != LAMBDA_PYTHON:
        raise SystemExit(f"the package is compiled by Python {'.'.join(map(str, LAMBDA_PYTHON))}, "
                         f"the functions' runtime, not {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="relais-zip-") as unpacked:
        root = Path(unpacked)
        with zipfile.ZipFile(package) as source:
            modes = {info.filename: info.external_attr for info in source.infolist()}
            for info in source.infolist():
                if not info.filename.startswith(NOT_IN_PRODUCTION):
                    source.extract(info, root)
        templates.compile_into(root / "chalicelib" / "templates", root / templates.COMPILED.relative_to(ROOT))
        subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode",
                        "unchecked-hash", str(root)], check=True, env={**os.environ, "PYTHONHASHSEED": "0"},
                       stdout=subprocess.DEVNULL)
        with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as target:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                name = path.relative_to(root).as_posix()
                info = zipfile.ZipInfo(name, ZIP_TIME)
                info.external_attr = modes.get(name, 0o100644 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(info, path.read_bytes())


def transform(sam: Path) -> Path:
    """The template as CloudFormation runs it: SAM's own transform (aws-sam-translator, the code
    behind AWS::Serverless-2016-10-31), written next to it as transformed.json. Offline: the
    template names no managed policy (each role's policy is inline, infra/iam.py), so the
    transform has no ARN to ask IAM for."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    from devtools.deploy import with_code_in_s3

    # The code's address as make deploy writes it (SAM wants an S3 URI there).
    template = with_code_in_s3(json.loads(sam.read_text(encoding="utf-8")), "artefacts", "deployment.zip")
    transformed = Translator(None, Parser(), boto_session=boto3.Session(region_name=REGION)).translate(
        template, parameter_values={}, get_managed_policy_map=dict)
    target = sam.with_name("transformed.json")
    target.write_text(json.dumps(transformed, indent=1, sort_keys=True), encoding="utf-8")
    return target


def lint(template: Path) -> None:
    """cfn-lint on the packaged template, as SAM (cfn-lint reads SAM's resources by SAM's schemas
    and does not transform them), then on SAM's transform of it: fails on any error of either."""
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    subprocess.run([cfn_lint, "--", str(template)], check=True)
    subprocess.run([cfn_lint, "--", str(transform(template))], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", type=Path, default=ROOT / "build" / "package")
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--fetch", action="store_true", help="only fetch the Lambda wheels (network)")
    args = parser.parse_args()
    if args.fetch:
        fetch_wheels()
        return
    started = time.monotonic()
    package = build(args.outdir, args.stage)
    lint(package.with_name("sam.json"))
    print(f"{package}: {package.stat().st_size / 1e6:.1f} MB "
          f"(Lambda's limit: 50 MB zipped), built in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
