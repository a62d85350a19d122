"""Memory: peak RSS while serving the demo flow (goal: the app runs in a 256 MB Lambda).

A fresh interpreter runs bench/flow.py's lifecycle three times through the app (each request,
its stream records and SMS queue messages included), then renders the pages people open: the
agent's dashboard and case, the referent's queue and case, the public results and the
quarterly report. DynamoDB Local and moto's server run in processes of their own, so the
peak (ru_maxrss) is the app's alone, as in Lambda. Printed beside it: the same figure for
`import boto3, chalice` and one client, the floor of any such function.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from harness import figure, record  # noqa: E402

LAMBDA_MB = 256
FLOOR = "import boto3, chalice; boto3.client('dynamodb')"
SERVE = f"""
import sys; sys.path.insert(0, {str(HERE)!r})
import flow
from harness import local_aws, session_cookie
with local_aws():
    from chalice.test import Client
    import app as relais
    with Client(relais.app, stage_name="dev") as client:
        agent = session_cookie(flow.AGENT)
        refs = [flow.lifecycle(client, agent) for _ in range(3)]
        pages = [(agent, "/tableau-de-bord"), (agent, f"/dossiers/{{refs[0]}}"),
                 (session_cookie(flow.REFERENT), "/file"), (session_cookie(flow.REFERENT), f"/dossiers/{{refs[1]}}"),
                 ({{}}, "/resultats"), (session_cookie("coordination.61@example.org"), "/territoire/rapport")]
        for headers, path in pages:
            page = client.http.get(path, headers=headers)
            assert page.status_code == 200, (path, page.status_code, page.body[-2000:])
"""
PEAK = "\nimport resource; print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def peak_mb(code: str) -> float:
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench"}
    result = subprocess.run([sys.executable, "-c", code + PEAK], capture_output=True, text=True,
                            cwd=HERE.parent, env=env)
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    kilobytes = next(line for line in result.stdout.splitlines() if line.startswith("PEAK"))
    return int(kilobytes.split()[1]) / 1024


def main() -> None:
    floor, serving = peak_mb(FLOOR), peak_mb(SERVE)
    print("memory, peak RSS of a fresh interpreter:")
    figures = [
        figure("floor: import boto3, chalice + one client", f"{floor:.0f} MB"),
        figure("serving the demo flow (3 lifecycles and 6 pages)", f"{serving:.0f} MB",
               f"fits a {LAMBDA_MB} MB Lambda", serving < LAMBDA_MB),
    ]
    record("memory", figures, data={"peak_mb": serving})


if __name__ == "__main__":
    main()
