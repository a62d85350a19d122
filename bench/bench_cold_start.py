"""Cold start, measured side by side in one run against the floor any boto3 Chalice function
pays: `import boto3, chalice` and the creation of one client.

Like for like (the goal, at most 1.2 x the floor): the deployment package that `make package`
builds, unzipped read-only as Lambda's code directory, in fresh base interpreters that see
only the package (-I -S), with the prod stage's environment; the app's first request (its
import, its first client, its first route: GET /connexion) against the floor in the same
package, each timed from the spawn to its response (Lambda never waits for an interpreter's
exit), with the variables Lambda's runtime sets. Medians of PACKAGE_RUNS, interleaved. Also
printed: "the stack's floor", the floor plus the libraries the design card fixes (pydantic,
Jinja2, Powertools), and the first request against it: what is above it is Relais's own.

Also printed, not targeted: the same in the working tree's venv (`import app`, plus the first
client, plus the X-Ray SDK), medians of RUNS.
"""
from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from harness import figure, record  # noqa: E402

RUNS = 15
TARGET = 1.2

CANDIDATES = {
    "floor: import boto3, chalice + one client": "import boto3, chalice; boto3.client('dynamodb')",
    "import app": "import app",
    "import app + first client": "import app; from chalicelib.bootstrap import deps; deps().dynamodb",
    "import app + X-Ray SDK (first traced invocation)": "import app; from aws_lambda_powertools import Tracer; Tracer()",
}


def timed(code: str, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


# --- like for like: the deployment package, as Lambda runs it -----------------------------------

PACKAGE_RUNS = 9
# A function's first request, in the unzipped package: its import, its first client, and its
# first route (GET /connexion renders a page; no session, so no table read), with the prod
# stage's environment (.chalice/config.json) and Powertools as it runs in Lambda.
FIRST_REQUEST = r"""
import app
from chalicelib.bootstrap import deps
deps().dynamodb
event = {"httpMethod": "GET", "path": "/connexion", "resource": "/connexion", "headers": {"Host": "x"},
         "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"httpMethod": "GET", "resourcePath": "/connexion", "path": "/connexion",
                            "stage": "api", "requestId": "bench", "identity": {"sourceIp": "127.0.0.1"}}}
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "relais-prod-APIHandler", 256, "bench"
    invoked_function_arn = "arn:aws:lambda:eu-west-3:123456789012:function:relais-prod-APIHandler"
    def get_remaining_time_in_millis(self):
        return 30000
response = app.app(event, Context())
assert response["statusCode"] == 200, response
"""
DONE = "\nimport os; os.write({fd}, b'done')\n"
PACKAGE_CANDIDATES = {
    "floor in the package: import boto3, chalice + one client":
        "import boto3, chalice; boto3.client('dynamodb')",
    "first request in the package: import app, first client, GET /connexion": FIRST_REQUEST,
    # Not a goal: the floor plus the libraries the design card fixes (pydantic, Jinja2, Powertools'
    # logger and metrics), which any first page of this stack imports. What the first request
    # costs above it is Relais's own.
    "the stack's floor: the floor + import pydantic, jinja2, Powertools' Logger and Metrics":
        "import boto3, chalice, pydantic, jinja2; from aws_lambda_powertools import Logger, Metrics; "
        "boto3.client('dynamodb')",
}


def unpacked_package() -> Path:
    """`make package`'s zip (devtools/package.py), unzipped read-only like Lambda's code directory."""
    import shutil
    import zipfile

    from devtools import package

    out = ROOT / "build" / "bench" / "package"
    shutil.rmtree(out, ignore_errors=True)
    with contextlib.redirect_stdout(sys.stderr):
        deployment = package.build(out)
    target = out / "lambda"
    with zipfile.ZipFile(deployment) as archive:
        archive.extractall(target)
    for path in target.rglob("*"):
        path.chmod(path.stat().st_mode & ~0o222)
    return target


def package_env(directory: Path) -> dict:
    """The variables Lambda's Python runtime sets (the X-Ray SDK, for one, reads LAMBDA_TASK_ROOT
    to know it runs in Lambda, where it takes its sampling decision from the invocation and
    creates no X-Ray client), and the prod stage's own."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return {"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-3",
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "LAMBDA_TASK_ROOT": str(directory), "LAMBDA_RUNTIME_DIR": str(directory),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11", "_HANDLER": "app.app",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_NAME": "relais-prod-APIHandler", "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
            **config.get("environment_variables", {}), **config["stages"]["prod"].get("environment_variables", {})}


def package_figures() -> list[dict]:
    """Each candidate in a fresh base interpreter (-I -S: no venv, no site-packages), with only
    the package on its path, interleaved; medians of PACKAGE_RUNS."""
    directory = unpacked_package()
    env = package_env(directory)
    base_python = getattr(sys, "_base_executable", sys.executable)
    prefix = f"import sys; sys.path.insert(0, {str(directory)!r})\n"

    def run(code: str) -> float:
        """From the spawn to the end of the work (the response built), as Lambda bills an init
        and a first invocation: the interpreter's exit, which Lambda never waits for, is not
        timed. The child says it is done on a pipe of its own (its stdout carries the EMF lines)."""
        read_end, write_end = os.pipe()
        started = time.perf_counter()
        child = subprocess.Popen([base_python, "-I", "-S", "-c", prefix + code + DONE.format(fd=write_end)],
                                 cwd=directory, env=env, pass_fds=(write_end,),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as signal:
            done = signal.read(4)
        elapsed = time.perf_counter() - started
        _, errors = child.communicate()
        if child.returncode or done != b"done":
            raise RuntimeError(f"the cold start candidate failed: {errors.decode()[-2000:]}")
        return elapsed

    for code in PACKAGE_CANDIDATES.values():                # warm the OS file cache once
        run(code)
    samples: dict[str, list[float]] = {label: [] for label in PACKAGE_CANDIDATES}
    for _ in range(PACKAGE_RUNS):
        for label, code in PACKAGE_CANDIDATES.items():
            samples[label].append(run(code))
    medians = {label: statistics.median(values) for label, values in samples.items()}
    floor, first, stack = medians.values()
    print(f"cold start in the deployment package (median of {PACKAGE_RUNS}, interleaved)")
    figures = [figure(f"{label} (median of {PACKAGE_RUNS})", f"{median * 1000:.0f} ms")
               for label, median in medians.items()]
    figures.append(figure("first request / floor, in the package", f"{first / floor:.2f}x", f"<= {TARGET}x",
                          first / floor <= TARGET))
    figures.append(figure("the stack's floor / floor, in the package", f"{stack / floor:.2f}x"))
    figures.append(figure("first request / the stack's floor, in the package", f"{first / stack:.2f}x"))
    return figures


def main() -> None:
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "PYTHONDONTWRITEBYTECODE": "1"}
    for code in CANDIDATES.values():            # warm the OS file cache and the .pyc files once
        timed(code, env)
    samples: dict[str, list[float]] = {label: [] for label in CANDIDATES}
    for _ in range(RUNS):
        for label, code in CANDIDATES.items():
            samples[label].append(timed(code, env))
    medians = {label: statistics.median(values) for label, values in samples.items()}
    floor = medians[next(iter(CANDIDATES))]
    print(f"cold start (median of {RUNS} fresh interpreters each, interleaved)")
    for label, median in medians.items():
        print(f"  {label:<52} {median * 1000:7.0f} ms  {median / floor:5.2f} x floor")
    ratio = medians["import app"] / floor
    figures = [figure(f"{label} (median of {RUNS})", f"{median * 1000:.0f} ms, {median / floor:.2f}x the floor")
               for label, median in medians.items()]
    figures.append(figure("import app / floor, in the working tree", f"{ratio:.2f}x"))
    record("cold_start", [*package_figures(), *figures])


if __name__ == "__main__":
    main()
