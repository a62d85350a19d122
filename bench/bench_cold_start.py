"""Cold start: importing app.py against the floor, measured side by side in one run.

The floor is what any boto3 Chalice function pays: `import boto3, chalice` and the creation
of one client. Each figure is a fresh interpreter (`python -c`), the runs interleaved so that
both see the same machine; medians of RUNS. Target: app.py at most 1.2 x the floor.

Also printed, not targeted: app.py plus the first client (what the first request pays before
its own work), and app.py plus the X-Ray SDK (Tracer loads on the first invocation in Lambda).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
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
    figures.append(figure("import app / floor", f"{ratio:.2f}x", f"<= {TARGET}x", ratio <= TARGET))
    record("cold_start", figures)


if __name__ == "__main__":
    main()
