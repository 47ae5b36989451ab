"""The barometer for the bot's services: figures with the configured rules, then the text, the
chart and the attachment that commands, the weekly post and the command line share."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.barometer import chart
from bot.barometer.figures import Barometer, compute
from bot.barometer.model import ChartData
from bot.barometer.text import Label, barometer_text
from bot.chat.context import Services
from bot.chat.events import Attachment

CHART_FILE = "barometer.png"


def barometer_for(services: Services, now: datetime, weeks: int | None = None) -> Barometer:
    config = services.config
    return compute(
        services.store,
        now,
        weeks or config.barometer.weeks,
        min_group_size=config.barometer.min_group_size,
        tz=ZoneInfo(config.barometer.timezone),
        recognise=services.matcher.recognise,
        close_after=timedelta(days=config.routing.close_after_days),
    )


def label_for(services: Services, language: str) -> Label:
    return lambda name: services.taxonomy.label(name, language)


def text_for(services: Services, barometer: Barometer, language: str) -> str:
    return barometer_text(barometer, services.catalog, language, label_for(services, language))


def chart_data(services: Services, barometer: Barometer, language: str) -> ChartData:
    """What the chart shows: weekly needs of the top skills, and the gaps (suppressed helpers: -1)."""
    label = label_for(services, language)

    def t(key: str) -> str:
        return services.catalog.text(language, f"barometer.{key}")

    # All needs first, when every week of it may be shown: a chart even where no skill may be.
    weekly = barometer.weekly
    total = (
        ((t("chart_all_needs"), tuple(int(f.number) for f in weekly)),)
        if weekly and all(f.shown for f in weekly)
        else ()
    )
    return ChartData(
        title=t("chart_title"),
        weeks=barometer.period.weeks,
        series=total + tuple((label(s.skill), s.weekly) for s in barometer.top_skills if s.weekly),
        gaps=tuple(
            (label(s.skill), int(s.needs.number), int(s.helpers.number) if s.helpers.shown else -1)
            for s in barometer.gaps
            if s.needs.shown
        ),
        needs_label=t("chart_needs"),
        helpers_label=t("chart_helpers"),
        gaps_title=t("chart_gaps"),
        fewer_than=barometer.min_group_size,
    )


def chart_attachment(services: Services, barometer: Barometer, language: str) -> Attachment | None:
    """The chart as a PNG attachment, or None when it cannot be drawn (the text says it all)."""
    data = chart.render_png(chart_data(services, barometer, language))
    if data is None:
        return None
    alt = services.catalog.text(language, "barometer.chart_alt")
    return Attachment(CHART_FILE, "image/png", data, alt)
