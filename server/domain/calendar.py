"""The Tadawul calendar: time zone and trading weeks."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

RIYADH = ZoneInfo("Asia/Riyadh")


def trading_week_start(day: date) -> date:
    """The Sunday that opens the Tadawul trading week (Sunday–Thursday) containing `day`.

    Friday and Saturday belong to the week that began the Sunday before them.
    """
    days_since_sunday = (day.weekday() + 1) % 7  # Monday=0 … Sunday=6
    return day - timedelta(days=days_since_sunday)


def month_start(day: date) -> date:
    return day.replace(day=1)
