"""Weekly check of the published results: recompute every cell from the cases and escalations
and compare with what the stream kept. Differences are logged and counted in
results_cells_drifted (emitted at every run, 0 included, for a CloudWatch alarm to watch), then
the drifted cells are put right: rebuilt ones written whole, stale ones deleted."""
from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger

from ..observability import count
from ..services import results
from . import job

logger = Logger(service="relais", child=True)


@job("results")
def check_results(deps, now: datetime) -> dict:
    rebuilt = results.rebuild(deps)
    periods = {cell[0] for cell in rebuilt}
    stored = {}
    for period in periods:
        stored |= results.stored(deps, period)
    drifted = sorted({cell for cell in set(rebuilt) | set(stored) if rebuilt.get(cell) != stored.get(cell)})
    if drifted:
        logger.warning("results drifted from the source data: rebuilt", extra={
            "cells": len(drifted), "first": ["/".join(cell) for cell in drifted[:5]]})
        deps.repo.replace_results({cell: rebuilt[cell] for cell in drifted if cell in rebuilt},
                                  stale=[cell for cell in drifted if cell not in rebuilt])
    count("results_cells_drifted", len(drifted), zero_too=True)     # 0: checked, nothing drifted
    return {"cells": len(rebuilt), "drifted": len(drifted)}
