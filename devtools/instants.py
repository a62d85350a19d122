"""The time-sensitive tests at awkward wall-clock instants: `make instants`.

CI runs the suite at whatever hour a change is submitted. Each test names its own instant
(tests/clock.py), so the wall clock must change nothing: this runs the modules that deal with
time under libfaketime (pytest and the DynamoDB Local it starts both see the awkward instant,
ticking) with TZ set far from Paris, once per instant, and prints a line for each.

    python -m devtools.instants                          # every instant below
    python -m devtools.instants --at "2027-03-28 01:30"  # one instant, Paris time
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from devtools.stack import LIBFAKETIME, ROOT

PARIS = ZoneInfo("Europe/Paris")

# (what makes it awkward, the instant in Paris time, the machine's time zone for that run)
INSTANTS = [
    ("a weekday before 08:00 Paris (SMS quiet hours)", "2026-12-02 06:40:00", "America/Los_Angeles"),
    ("a Sunday night", "2026-11-29 23:30:00", "Asia/Kolkata"),
    ("25 December", "2026-12-25 10:00:00", "Pacific/Auckland"),
    ("the night the clocks go forward (02:00 -> 03:00)", "2027-03-28 01:55:00", "America/Cayenne"),
    ("the night the clocks go back (03:00 -> 02:00)", "2026-10-25 02:55:00", "Pacific/Kiritimati"),
    ("New Year's Eve, ticking into the new year", "2026-12-31 23:58:00", "America/New_York"),
    ("the first day of a quarter", "2027-04-01 00:10:00", "UTC"),
]

# The modules that deal with deadlines, quiet hours, periods, expiries and schedules.
MODULES = [
    "tests/unit",
    "tests/integration/test_reminders.py",
    "tests/integration/test_sms.py",
    "tests/integration/test_replay.py",
    "tests/integration/test_faults.py",
    "tests/integration/test_results.py",
    "tests/integration/test_retention.py",
    "tests/integration/test_feedback.py",
    "tests/integration/test_auth_and_dev_routes.py",
    "tests/integration/test_answer_days.py",
    "tests/integration/test_settings.py",
]


def environment(paris_time: str, zone: str) -> dict[str, str]:
    """libfaketime starts the clock at that instant, written in the run's own time zone."""
    moment = datetime.fromisoformat(paris_time).replace(tzinfo=PARIS)
    local = moment.astimezone(ZoneInfo(zone))
    return {**os.environ, "TZ": zone, "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME": local.strftime("@%Y-%m-%d %H:%M:%S")}


def run(label: str, paris_time: str, zone: str, workers: int) -> bool:
    modules = [m for m in MODULES if (ROOT / m).exists()]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(workers),
               "--dist", "loadfile", *modules]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=environment(paris_time, zone),
                            capture_output=True, text=True)
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"{'ok ' if result.returncode == 0 else 'RED'} {paris_time} Paris, TZ={zone:<20} "
          f"{label}: {summary} ({time.monotonic() - started:.0f} s)", flush=True)
    if result.returncode != 0:
        print(result.stdout[-6000:], result.stderr[-2000:], sep="\n", flush=True)
    return result.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--at", help="one instant, Paris time (YYYY-MM-DD HH:MM[:SS])")
    parser.add_argument("--tz", default="America/Los_Angeles", help="the machine's time zone with --at")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not LIBFAKETIME.exists():
        raise SystemExit(f"{LIBFAKETIME} is missing: run `make install` (it installs faketime with apt).")
    instants = [("chosen", args.at, args.tz)] if args.at else INSTANTS
    results = [run(label, moment, zone, args.workers) for label, moment, zone in instants]
    print(f"{sum(results)} of {len(results)} instants green")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
