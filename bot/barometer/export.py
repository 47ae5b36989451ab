"""The barometer as data: JSON (``entraide barometer --json``) and CSV (``admin export``).

Both carry exactly what the text shows, suppressed the same way: a figure not shown has no
value, only the reason ("few": about fewer than ``min_group_size`` people; "comparison":
comparing it with another figure or period would single someone out). Skills are canonical
names. The layout is documented in docs/barometer.md; ``format`` changes if it ever does.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.barometer.figures import Barometer, SkillFigures
from bot.barometer.period import Period
from bot.barometer.privacy import Figure

FORMAT = "entraide-barometer/1"
CSV_COLUMNS = ("section", "skill", "week", "figure", "value", "suppressed")

# The figures of the whole period, in the order the text gives them.
FIGURES = (
    "needs",
    "needs_previous",
    "needs_trend",
    "imported",
    "asked",
    "accepted",
    "answered",
    "solved",
    "time_to_offer",
    "time_to_resolution",
    "open_nobody",
    "askers",
    "helpers",
    "top_share",
)


def _value(figure: Figure) -> float | int | str | None:
    if figure.value is None:
        return None
    if float(figure.value).is_integer():
        return int(figure.value)
    return round(figure.value, 4)


def figure_json(figure: Figure) -> dict[str, Any]:
    return {"value": _value(figure), "suppressed": None if figure.hidden is None else str(figure.hidden)}


def _period(period: Period) -> dict[str, Any]:
    return {
        "weeks": period.length,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "iso_weeks": list(period.weeks),
    }


def _skill(skill: SkillFigures, *fields: str) -> dict[str, Any]:
    found: dict[str, Any] = {"skill": skill.skill}
    for name in fields:
        value = getattr(skill, name)
        found[name] = list(value) if name == "weekly" else figure_json(value)
    return found


def as_json(barometer: Barometer) -> dict[str, Any]:
    b = barometer
    return {
        "format": FORMAT,
        "min_group_size": b.min_group_size,
        "period": _period(b.period),
        "previous": _period(b.previous),
        "figures": {name: figure_json(getattr(b, name)) for name in FIGURES},
        "weekly_needs": [
            {"week": week, **figure_json(figure)}
            for week, figure in zip(b.period.weeks, b.weekly, strict=True)
        ],
        "top_skills": [_skill(s, "needs", "trend", "weekly") for s in b.top_skills],
        "gaps": [_skill(s, "needs", "helpers") for s in b.gaps],
        "focus": [_skill(s, "needs", "trend", "helpers", "learners") for s in b.focus],
    }


def as_csv(barometer: Barometer) -> str:
    """One row per figure: section, skill, ISO week, figure, value, suppressed."""
    b = barometer
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)

    def row(section: str, skill: str, week: str, name: str, figure: Figure) -> None:
        value = _value(figure)
        writer.writerow((section, skill, week, name, "" if value is None else value, figure.hidden or ""))

    writer.writerow(("period", "", "", "start", b.period.start.isoformat(), ""))
    writer.writerow(("period", "", "", "end", b.period.end.isoformat(), ""))
    writer.writerow(("period", "", "", "weeks", b.period.length, ""))
    writer.writerow(("period", "", "", "min_group_size", b.min_group_size, ""))
    for name in FIGURES:
        row("figures", "", "", name, getattr(b, name))
    for week, figure in zip(b.period.weeks, b.weekly, strict=True):
        row("weekly", "", week, "needs", figure)
    for skill in b.top_skills:
        row("top_skills", skill.skill, "", "needs", skill.needs)
        row("top_skills", skill.skill, "", "trend", skill.trend)
        for week, count in zip(b.period.weeks, skill.weekly, strict=True):
            row("top_skills", skill.skill, week, "needs", Figure(count))
    for skill in b.gaps:
        row("gaps", skill.skill, "", "needs", skill.needs)
        row("gaps", skill.skill, "", "helpers", skill.helpers)
    for skill in b.focus:
        for name in ("needs", "trend", "helpers", "learners"):
            row("focus", skill.skill, "", name, getattr(skill, name))
    return out.getvalue()
