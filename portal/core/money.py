"""Money as the portal holds it: integer pence, shown as people read it."""

from __future__ import annotations

# The largest amount a week any cost, allocation or limit may be: £1,000,000.
MAX_WEEKLY_PENCE = 100_000_000


def format_pounds(pence: int) -> str:
    """Show pence as people read money: £1,234.56, or -£12.00 for a shortfall."""
    sign = "-" if pence < 0 else ""
    pounds, remainder = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{remainder:02d}"
