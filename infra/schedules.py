"""EventBridge schedule expressions read as fire times, and the window a job's heartbeat alarm
watches (infra/observability.py): a schedule changed in chalicelib/routes/schedules.py moves
its alarm in the same package.

A tiny evaluator of cron(min hour day-of-month month day-of-week year), UTC: `*`, `?`, lists,
ranges, steps and names; L, W and # are not used by Relais and are refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

MONTH_NAMES = {name: n for n, name in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
DAY_NAMES = {name: n for n, name in enumerate("SUN MON TUE WED THU FRI SAT".split(), 1)}   # EventBridge: SUN = 1
# Two whole years, a leap year included: every gap a schedule has comes back within them.
SPAN = (date(2027, 1, 1), date(2028, 12, 31))
HOUR, DAY, WEEK = 3600, 86400, 7 * 86400
# An alarm's period times its evaluation periods: at most 7 days (CloudWatch's PutMetricAlarm).
LONGEST_WINDOW = WEEK
# The periods CloudWatch aligns to the clock (WallClockWindow), UTC: hour, midnight, week.
WALL_CLOCK_PERIODS = (HOUR, DAY, WEEK)
MARGIN = 600          # a run fires, plans and flushes its metric within 10 minutes


def values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """The numbers a field allows: `*`, `?`, lists, ranges and steps."""
    if re.search(r"[LW#]", field):
        raise NotImplementedError(field)

    def number(text: str) -> int:
        return (names or {}).get(text.upper()) or int(text)

    found: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span in ("*", "?"):
            first, last = low, high
        elif "-" in span:
            first, last = map(number, span.split("-"))
        else:
            first = number(span)
            last = high if step else first
        found |= set(range(first, last + 1, int(step or 1)))
    if not found or min(found) < low or max(found) > high:
        raise ValueError(field)
    return found


def cron_times(expression: str, start: date = SPAN[0], end: date = SPAN[1]) -> list[datetime]:
    """Every time (UTC) a cron(...) expression fires on the days from start to end."""
    match = re.fullmatch(r"cron\((.+)\)", expression)
    fields = match.group(1).split() if match else []
    if len(fields) != 6:
        raise ValueError(expression)
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError(f"EventBridge wants ? in exactly one day field: {expression}")
    minute_list, hour_list = sorted(values(minutes, 0, 59)), sorted(values(hours, 0, 23))
    doms, months = values(day_of_month, 1, 31), values(month, 1, 12, MONTH_NAMES)
    dows, years = values(day_of_week, 1, 7, DAY_NAMES), values(year, 1970, 2199)
    times, day = [], start
    while day <= end:
        if (day.year in years and day.month in months and day.day in doms
                and day.isoweekday() % 7 + 1 in dows):
            times += [datetime(day.year, day.month, day.day, h, m, tzinfo=UTC) for h in hour_list for m in minute_list]
        day += timedelta(days=1)
    return times


def rate_interval(expression: str) -> timedelta:
    match = re.fullmatch(r"rate\((\d+) (minutes?|hours?|days?)\)", expression)
    if not match:
        raise ValueError(expression)
    count, unit = match.groups()
    return timedelta(**{unit.rstrip("s") + "s": int(count)})


@dataclass(frozen=True)
class Window:
    """What a heartbeat alarm sums: `period` seconds, aligned to the clock (UTC) or sliding."""

    period: int
    wall_clock: bool


def heartbeat_window(expression: str) -> Window | None:
    """The shortest window that always holds a run of a healthy schedule, or None when no
    CloudWatch alarm window can (a run less often than weekly: the quarterly report).

    - A regular cron whose gap is an hour, a day or a week, and whose runs stay MARGIN away from
      the clock's boundaries: that clock period, aligned (every hour, day or week holds one run;
      calendar weeks start on a day boundary, which the runs keep away from).
    - Otherwise (a rate, whose runs fall at an offset from the rule's creation, or an irregular
      cron): a sliding window of the longest gap and a margin, whole minutes, if it is at most 7 days.
    """
    if expression.startswith("rate("):
        gap = int(rate_interval(expression).total_seconds())
        # Twice the interval: a run's offset within its interval moves by seconds between runs.
        return _sliding(2 * gap)
    times = cron_times(expression)
    gaps = {int((b - a).total_seconds()) for a, b in pairwise(times)}
    if len(gaps) == 1 and (gap := gaps.pop()) in WALL_CLOCK_PERIODS:
        boundary = HOUR if gap == HOUR else DAY
        offsets = {int((t - t.replace(hour=0, minute=0)).total_seconds()) % boundary for t in times}
        if all(MARGIN <= offset <= boundary - MARGIN for offset in offsets):
            return Window(gap, wall_clock=True)
        gaps = {gap}
    return _sliding(max(gaps) + MARGIN) if gaps else None


def _sliding(seconds: int) -> Window | None:
    period = -(-seconds // 60) * 60
    return Window(period, wall_clock=False) if period <= LONGEST_WINDOW else None
