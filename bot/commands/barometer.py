"""``admin barometer [weeks]`` and ``admin export [weeks]``: what teams need, for community
managers, answered privately. Aggregates only (see :mod:`bot.barometer.privacy`)."""

from __future__ import annotations

from dataclasses import replace

from bot.barometer.export import as_csv
from bot.barometer.period import MAX_WEEKS
from bot.barometer.report import barometer_for, chart_attachment, text_for
from bot.barometer.text import day_text
from bot.chat.context import Context
from bot.chat.events import Attachment
from bot.commands.registry import Arguments, UsageError

CSV_FILE = "barometer.csv"
# The console shows no files: there, the export is the message itself.
TEXT_ONLY_PLATFORMS = ("console",)


def _weeks(ctx: Context, args: Arguments, command: str) -> int:
    word = args.text("weeks")
    if not word:
        return ctx.config.barometer.weeks
    if not word.isdigit() or not 1 <= int(word) <= MAX_WEEKS:
        from bot.commands.admin import admin_registry

        raise UsageError(admin_registry().get(command), "barometer.bad_weeks", word=word[:20], most=MAX_WEEKS)
    return int(word)


def _say(ctx: Context, text: str, attachment: Attachment | None) -> None:
    """Say ``text`` privately, with ``attachment`` where the platform can show files."""
    ctx.say_segments((text,), private=True)
    if attachment is not None and ctx.platform not in TEXT_ONLY_PLATFORMS:
        last = ctx.outgoing[-1]
        ctx.outgoing[-1] = replace(last, reply=replace(last.reply, attachment=attachment))


def cmd_admin_barometer(ctx: Context, args: Arguments) -> None:
    barometer = barometer_for(ctx.services, ctx.now(), _weeks(ctx, args, "admin-barometer"))
    text = text_for(ctx.services, barometer, ctx.language)
    chart = (
        None
        if ctx.platform in TEXT_ONLY_PLATFORMS
        else chart_attachment(ctx.services, barometer, ctx.language)
    )
    _say(ctx, text, chart)


def cmd_admin_export(ctx: Context, args: Arguments) -> None:
    barometer = barometer_for(ctx.services, ctx.now(), _weeks(ctx, args, "admin-export"))
    data = as_csv(barometer)
    period, catalog = barometer.period, ctx.services.catalog
    first = day_text(catalog, ctx.language, period.first_day)
    last = day_text(catalog, ctx.language, period.last_day)
    if ctx.platform in TEXT_ONLY_PLATFORMS:
        ctx.say(
            "barometer.export_console",
            private=True,
            csv=data.rstrip("\n"),
            weeks=period.length,
            first=first,
            last=last,
        )
        return
    text = ctx.text("barometer.export_done", weeks=period.length, first=first, last=last)
    _say(ctx, text, Attachment(CSV_FILE, "text/csv", data.encode("utf-8"), CSV_FILE))
