"""The barometer as text, in the reader's language: what the console shows, and what Slack and
Matrix show beside the chart. Top skills get Unicode bars (█▌), weekly needs a sparkline
(▁▂▃▄▅▆▇█); a figure not shown reads "fewer than 5" or "hidden" (see
:mod:`bot.barometer.privacy`), never a number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.barometer.figures import Barometer, SkillFigures
from bot.barometer.numbers import change, number, percent
from bot.barometer.privacy import Figure, Hidden
from bot.i18n import Catalog

BAR_CELLS = 10  # the longest bar, in full blocks
SPARKS = "▁▂▃▄▅▆▇█"
HIDDEN_WEEK = "·"
WEEKS_LISTED = 8  # up to this many weeks, the sparkline is followed by each week's number

Label = Callable[[str], str]  # a canonical skill name in the reader's language


class Writer:
    def __init__(self, catalog: Catalog, language: str, barometer: Barometer, label: Label) -> None:
        self.catalog, self.language, self.b, self.label = catalog, language, barometer, label

    def t(self, key: str, **values: object) -> str:
        return self.catalog.text(self.language, f"barometer.{key}", **values)

    # -- figures -----------------------------------------------------------------------------

    def hidden(self, figure: Figure, *, people: bool = False) -> str | None:
        """Why a figure is not shown; ``people``: it counts people ("fewer than 5"), else it is
        about fewer people than that ("not shown: fewer than 5 people"), whatever it counts."""
        if figure.hidden is Hidden.FEW:
            return self.t("few_people" if people else "few", k=self.b.min_group_size)
        if figure.hidden is Hidden.COMPARISON:
            return self.t("hidden")
        return None if figure.shown else "—"

    def count(self, figure: Figure, *, people: bool = False) -> str:
        return self.hidden(figure, people=people) or number(figure.number, self.language)

    def share(self, figure: Figure) -> str:
        return self.hidden(figure) or percent(figure.number, self.language)

    def hours(self, figure: Figure) -> str:
        said = self.hidden(figure)
        if said is not None:
            return said
        hours = figure.number
        if hours < 1:
            return self.t("minutes", n=number(max(round(hours * 60), 1), self.language))
        if hours < 48:
            return self.t("hours", n=number(hours, self.language, 1))
        return self.t("days", n=number(hours / 24, self.language, 1))

    def trend(self, figure: Figure) -> str:
        """The trend in words, " (+12% on the 4 weeks before)", or "" when it cannot be said."""
        if not figure.shown:
            return ""
        return self.t("trend", change=change(figure.number, self.language), count=self.b.period.length)

    def day(self, day: date) -> str:
        return day_text(self.catalog, self.language, day)

    # -- the text ----------------------------------------------------------------------------

    def text(self) -> str:
        b = self.b
        period = b.period
        weeks = period.weeks[0] if period.length == 1 else f"{period.weeks[0]} – {period.weeks[-1]}"
        lines = [
            self.t(
                "title",
                count=period.length,
                first=self.day(period.first_day),
                last=self.day(period.last_day),
                weeks=weeks,
            ),
            self.needs_line(),
            self.t("weekly", spark=self.sparkline(), numbers=self.weekly_numbers()),
            self.solved_line(),
        ]
        if b.has_live:
            lines.append(
                self.t(
                    "live",
                    asked=self.share(b.asked),
                    accepted=self.share(b.accepted),
                    open=self.count(b.open_nobody),
                )
            )
        lines += [
            self.t("times", offer=self.hours(b.time_to_offer), resolution=self.hours(b.time_to_resolution)),
            self.participation(),
            *self.top_skills(),
            *self.gaps(),
            *self.focus(),
            self.t("legend", k=b.min_group_size),
        ]
        return "\n".join(lines)

    def needs_line(self) -> str:
        b = self.b
        line = self.t("needs", count=self.count(b.needs), trend=self.trend(b.needs_trend))
        if b.has_history:
            line += self.t("needs_imported", count=self.count(b.imported))
        return line

    def solved_line(self) -> str:
        line = self.t("solved", solved=self.share(self.b.solved))
        if self.b.has_history:
            line += self.t("answered", answered=self.share(self.b.answered))
        return line

    def sparkline(self) -> str:
        shown = [f.number for f in self.b.weekly if f.shown]
        top = max(shown, default=0)
        marks = []
        for figure in self.b.weekly:
            if not figure.shown:
                marks.append(HIDDEN_WEEK)
            elif not figure.number or not top:
                marks.append(SPARKS[0])
            else:  # a week with needs is never drawn as one without
                marks.append(SPARKS[1 + round(figure.number / top * (len(SPARKS) - 2))])
        return "".join(marks)

    def weekly_numbers(self) -> str:
        if len(self.b.weekly) > WEEKS_LISTED:
            return ""
        # A week not shown is a dot here too: the legend says why.
        shown = (number(f.number, self.language) if f.shown else HIDDEN_WEEK for f in self.b.weekly)
        return " (" + ", ".join(shown) + ")"

    def participation(self) -> str:
        b = self.b
        askers, helpers = self.count(b.askers, people=True), self.count(b.helpers, people=True)
        line = self.t("participation", askers=askers, helpers=helpers)
        return line + self.t("top_share", share=self.share(b.top_share))

    def top_skills(self) -> list[str]:
        skills = self.b.top_skills
        if not skills:
            return [self.t("top_none", k=self.b.min_group_size)]
        top = max(s.needs.number for s in skills)
        labels = [self.label(s.skill) for s in skills]
        width = max(len(label) for label in labels)
        counts = [self.count(s.needs) for s in skills]
        count_width = max(len(c) for c in counts)
        lines = [self.t("top")]
        for skill, label, count in zip(skills, labels, counts, strict=True):
            bar = _bar(skill.needs.number / top if top else 0)
            trend = self.short_trend(skill)
            line = f"  {label:<{width}}  {bar:<{BAR_CELLS}} {count:>{count_width}}"
            lines.append(f"{line}  {trend}".rstrip())
        return lines

    def short_trend(self, skill: SkillFigures) -> str:
        if not skill.trend.shown:
            return ""
        return change(skill.trend.number, self.language)

    def gaps(self) -> list[str]:
        if not self.b.gaps:
            return []
        lines = [self.t("gaps")]
        for skill in self.b.gaps:
            lines.append(
                self.t(
                    "gap",
                    skill=self.label(skill.skill),
                    needs=self.count(skill.needs),
                    helpers=self.count(skill.helpers, people=True),
                )
            )
        return lines

    def focus(self) -> list[str]:
        if not self.b.focus:
            return []
        lines = [self.t("focus")]
        for skill in self.b.focus:
            trend = self.short_trend(skill)
            lines.append(
                self.t(
                    "focus_line",
                    skill=self.label(skill.skill),
                    needs=self.count(skill.needs),
                    trend=f" ({trend})" if trend else "",
                    helpers=self.count(skill.helpers, people=True),
                    learners=self.count(skill.learners, people=True),
                )
            )
        return lines


def _bar(fraction: float) -> str:
    """A bar of up to BAR_CELLS full blocks, in half-block steps; never empty for a non-zero value."""
    halves = max(round(fraction * BAR_CELLS * 2), 1 if fraction > 0 else 0)
    return "█" * (halves // 2) + ("▌" if halves % 2 else "")


def day_text(catalog: Catalog, language: str, day: date) -> str:
    """ "2 November 2026", "2 novembre 2026"."""
    months = catalog.text(language, "calendar.months").split(",")
    return catalog.text(language, "barometer.date", day=day.day, month=months[day.month - 1], year=day.year)


def barometer_text(barometer: Barometer, catalog: Catalog, language: str, label: Label) -> str:
    return Writer(catalog, language, barometer, label).text()
