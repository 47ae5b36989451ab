"""What the barometer's parts hand each other: the chart's data (figures → chart, text)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartData:
    """What a barometer chart shows, already suppressed where too few people are behind a figure.

    ``weeks`` are ISO weeks ("2026-W49"), oldest first; each series gives one skill's needs per
    week, in that order; ``gaps`` are skills with demand but few people who demonstrably help:
    (skill label, needs in the period, helpers). Labels are in the reader's language.
    A gap's helpers is -1 when fewer than ``fewer_than`` people helped: that number is never
    shown, so the chart says "fewer than 5" there instead of drawing a bar.
    """

    title: str
    weeks: tuple[str, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]
    gaps: tuple[tuple[str, int, int], ...]
    needs_label: str = "needs"  # axis and legend words, in the reader's language
    helpers_label: str = "helpers"
    gaps_title: str = "skill gaps"
    fewer_than: int = 5  # the minimum group size: what a helpers count of -1 is fewer than
