"""`entraide barometer`: the barometer on the command line, as text, JSON or a PNG chart.

The same figures, suppressed the same way, as ``admin barometer`` (the JSON layout is
documented in docs/barometer.md). ``--until`` dates the view: the whole weeks before the week of
that day, for the barometer of imported history from the past.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

from bot.barometer.period import MAX_WEEKS
from bot.config import Config

MISSING_MATPLOTLIB = (
    "entraide barometer: cannot draw the chart: matplotlib is not installed (install entraide[charts])"
)
NO_CHART = "entraide barometer: cannot draw the chart (the text and --json work without it)"
NOTHING_TO_DRAW = (
    "entraide barometer: no chart: nothing in this period may be shown (too few people; the text says why)"
)


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    barometer = commands.add_parser(
        "barometer",
        parents=[common],
        help="the barometer of what teams need: aggregate figures of the past weeks",
        description="The needs of the past whole weeks, their outcomes, the skills most asked "
        "about and the gaps, as text (in the configured language), JSON or a PNG chart. "
        "Aggregates only: a figure about fewer than [barometer] min_group_size people is not shown.",
    )
    barometer.add_argument(
        "--weeks", type=_weeks, help=f"weeks covered, 1 to {MAX_WEEKS} (default: [barometer] weeks)"
    )
    barometer.add_argument("--json", action="store_true", help="print the figures as JSON")
    barometer.add_argument("--chart", metavar="FILE.png", help="also write the chart as a PNG file")
    barometer.add_argument(
        "--until",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the weeks before the week of this day (default: today)",
    )
    barometer.add_argument(
        "--language", choices=["en", "fr"], help="the text's language (default: the configured one)"
    )


def _weeks(word: str) -> int:
    if not word.isdigit() or not 1 <= int(word) <= MAX_WEEKS:
        raise argparse.ArgumentTypeError(f"a number of weeks from 1 to {MAX_WEEKS}, not {word!r}")
    return int(word)


def run(args: argparse.Namespace, config: Config) -> int:
    # Imported here, not at the top: every `entraide` command builds this parser, and the
    # barometer's modules take seconds to import (`entraide match` must start in a moment).
    from bot.barometer import chart
    from bot.barometer.export import as_json
    from bot.barometer.report import barometer_for, chart_data, text_for
    from bot.services import build_services
    from skills_db.storage.store import Store

    store = Store.open(config.database.url)
    try:
        services = build_services(config, store)
        now = datetime.combine(args.until, time(12), UTC) if args.until else datetime.now(UTC)
        barometer = barometer_for(services, now, args.weeks)
        language = args.language or config.barometer.language or config.bot.language
        png = None
        if args.chart:
            data = chart_data(services, barometer, language)
            if not (data.series and data.weeks) and not data.gaps:
                print(NOTHING_TO_DRAW, file=sys.stderr)
                return 2
            png = chart.render_png(data)
            if png is None:
                missing = importlib.util.find_spec("matplotlib") is None
                print(MISSING_MATPLOTLIB if missing else NO_CHART, file=sys.stderr)
                return 2
            Path(args.chart).write_bytes(png)
        if args.json:
            print(json.dumps(as_json(barometer), ensure_ascii=False, indent=2))
        else:
            print(text_for(services, barometer, language))
        return 0
    finally:
        store.close()
