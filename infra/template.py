"""The CloudFormation resources merged into Chalice's package (`chalice package --merge-template`).

Today: the table, from table.json. The deployment issue adds buckets, topics, queues, alarms.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from infra.table import cloudformation_resource


def template() -> dict:
    return {"Resources": {"RelaisTable": cloudformation_resource()}}


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/infra.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(template(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")
