"""The barometer as a PNG: weekly needs by top skills, and the skill gaps (matplotlib, Agg).

matplotlib is an optional extra (``pip install 'entraide[charts]'``): it is imported only when a
chart is drawn, and :func:`render_png` returns None without it, which callers treat as "no
chart" (the text barometer, with its Unicode bars, is always there).

The output is reproducible: a fixed size and resolution, matplotlib's default style whatever the
local matplotlibrc says, and no date or version in the file. The chart's figures travel inside
the PNG as JSON in a text chunk (:data:`DATA_KEY`), so what a picture shows can be read back from
the file itself (a test, or someone checking a chart they were sent).
"""

from __future__ import annotations

import io
import json
import threading
from typing import Any

from bot.barometer.model import ChartData

DATA_KEY = "entraide:data"  # the PNG text chunk holding the chart's data as JSON
WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 6.0, 100  # 800 × 600 pixels
# matplotlib's style context swaps its global rcParams: two charts drawn at once by the database
# worker threads would see each other's settings, or restore the wrong ones. One at a time.
_DRAWING = threading.Lock()
MAX_WEEK_LABELS = 12  # more weeks than this: every other label (or fewer), so they stay readable


def chart_json(data: ChartData) -> str:
    """The chart's data as JSON (ASCII only, so it fits a PNG tEXt chunk as is)."""
    return json.dumps(
        {
            "title": data.title,
            "weeks": list(data.weeks),
            "series": [[name, list(counts)] for name, counts in data.series],
            "gaps": [list(gap) for gap in data.gaps],
            "needs_label": data.needs_label,
            "helpers_label": data.helpers_label,
            "gaps_title": data.gaps_title,
            "fewer_than": data.fewer_than,
        },
        ensure_ascii=True,
        separators=(",", ":"),
    )


def chart_from_json(text: str) -> ChartData:
    """The :class:`ChartData` that :func:`chart_json` wrote."""
    raw = json.loads(text)
    return ChartData(
        title=str(raw["title"]),
        weeks=tuple(str(week) for week in raw["weeks"]),
        series=tuple((str(name), tuple(int(n) for n in counts)) for name, counts in raw["series"]),
        gaps=tuple((str(skill), int(needs), int(helpers)) for skill, needs, helpers in raw["gaps"]),
        needs_label=str(raw["needs_label"]),
        helpers_label=str(raw["helpers_label"]),
        gaps_title=str(raw["gaps_title"]),
        fewer_than=int(raw.get("fewer_than", 5)),
    )


def render_png(data: ChartData) -> bytes | None:
    """The chart as PNG bytes; None when it cannot be drawn (matplotlib is not installed) or
    there is nothing to draw (no series with weeks, and no gaps)."""
    panels = int(bool(data.series and data.weeks)) + int(bool(data.gaps))
    if not panels:
        return None
    try:
        # Only the object-oriented API with the Agg canvas: no pyplot, so no global figure
        # registry and no GUI backend (and one chart at a time, see _DRAWING). Pillow comes
        # with matplotlib (it is one of its dependencies).
        import matplotlib.style
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
        from PIL import Image, PngImagePlugin
    except ImportError:
        return None
    # The same picture whatever the local matplotlibrc; labels are text, never math ("$" in a
    # skill's name stays a dollar sign).
    with _DRAWING, matplotlib.style.context(["default", {"text.parse_math": False}]):
        figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
        canvas = FigureCanvasAgg(figure)
        figure.suptitle(data.title, fontsize=14, fontweight="bold")
        axes = figure.subplots(panels, 1, squeeze=False)[:, 0]
        index = 0
        if data.series and data.weeks:
            _weekly(axes[index], data, MaxNLocator)
            index += 1
        if data.gaps:
            _gaps(axes[index], data, MaxNLocator)
        raw = io.BytesIO()
        figure.savefig(raw, format="rgba", dpi=DPI)
        pixels = Image.frombytes("RGBA", canvas.get_width_height(), raw.getvalue())
    # A chart has few colours: a 256-colour palette looks the same at a third of the size
    # (about 20 KB instead of 70), which chat clients load faster. Written by Pillow rather
    # than savefig for that reason; no software name, no date: the same data, the same bytes.
    info = PngImagePlugin.PngInfo()
    info.add_text(DATA_KEY, chart_json(data), zip=True)
    out = io.BytesIO()
    pixels.convert("RGB").quantize(256).save(out, "PNG", pnginfo=info, optimize=True, dpi=(DPI, DPI))
    return out.getvalue()


def _weekly(axes: Any, data: ChartData, locator: Any) -> None:
    """Needs per week, one line per top skill."""
    positions = list(range(len(data.weeks)))
    lines = [
        axes.plot(positions[: len(counts)], counts[: len(positions)], marker="o", linewidth=2)[0]
        for _, counts in data.series
    ]
    step = max(1, -(-len(positions) // MAX_WEEK_LABELS))
    axes.set_xticks(positions[::step], _week_labels(data.weeks[::step]))
    axes.set_xlim(-0.3, max(positions) + 0.3)
    # Headroom above the highest point, for the legend.
    top = max((max(counts) for _, counts in data.series if counts), default=0)
    axes.set_ylim(0, max(1.0, top * 1.3 + 0.5))
    axes.yaxis.set_major_locator(locator(integer=True))
    axes.set_ylabel(data.needs_label)
    axes.grid(axis="y", alpha=0.3)
    # Labels given with their lines: matplotlib would drop, unasked, a name starting with "_".
    names = [name for name, _ in data.series]
    axes.legend(lines, names, loc="upper left", fontsize=8, frameon=False, ncols=min(len(names), 3))


def _gaps(axes: Any, data: ChartData, locator: Any) -> None:
    """Needs beside helpers for each gap skill, in the order given (the first on top)."""
    labels = [skill for skill, _, _ in data.gaps]
    rows = list(range(len(labels)))
    height = 0.38
    needs = axes.barh(
        [r - height / 2 for r in rows], [n for _, n, _ in data.gaps], height, label=data.needs_label
    )
    # Fewer helpers than the minimum group size (-1) is never a number: no bar, "<5" beside it.
    counts = [max(h, 0) for _, _, h in data.gaps]
    helpers = axes.barh([r + height / 2 for r in rows], counts, height)
    axes.bar_label(needs, padding=2, fontsize=8)
    shown = [str(h) if h >= 0 else f"<{data.fewer_than}" for _, _, h in data.gaps]
    axes.bar_label(helpers, labels=shown, padding=2, fontsize=8)
    axes.set_yticks(rows, labels)
    # The first gap at the top, as a list reads; room for three rows at least, so that one gap
    # is not drawn as a slab.
    axes.set_ylim(max(len(rows), 3) - 0.5, -0.5)
    axes.xaxis.set_major_locator(locator(integer=True))
    axes.margins(x=0.1)
    axes.set_title(data.gaps_title, fontsize=11, loc="left")
    axes.legend(
        [needs, helpers], [data.needs_label, data.helpers_label], loc="best", fontsize=8, frameon=False
    )


def _week_labels(weeks: tuple[str, ...]) -> list[str]:
    """ "2026-W49" → "W49", with the year below the first week and wherever it changes: the
    axis has room for short labels only, and the year still reads once per year shown."""
    labels, last_year = [], ""
    for week in weeks:
        year, separator, number = week.partition("-W")
        if not separator or not year.isdigit():
            labels.append(week)
            continue
        labels.append(f"W{number}" if year == last_year else f"W{number}\n{year}")
        last_year = year
    return labels
