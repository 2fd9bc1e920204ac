"""England's clock: times are stored in UTC and days fall in England."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

ENGLAND = ZoneInfo("Europe/London")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today in England, where review dates fall."""
    return now().astimezone(ENGLAND).date()
