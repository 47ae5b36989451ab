"""The barometer as a PNG (matplotlib, Agg backend, an optional extra).

Interface only for now: :func:`render_png` returns None, which callers treat as "no chart"
(the text barometer, with Unicode bars, is always there). The chart itself is being built.
"""

from __future__ import annotations

from bot.barometer.model import ChartData


def render_png(data: ChartData) -> bytes | None:
    """The chart as PNG bytes, or None when it cannot be drawn (matplotlib not installed)."""
    return None
