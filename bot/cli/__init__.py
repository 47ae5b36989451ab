"""The `entraide` command."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.config import Config, ConfigError, load_config
from bot.logs import setup_logging

DESCRIPTION = """Entraide: peer help and expertise discovery for Slack, Matrix and the terminal.
Start with `entraide demo` to try it in your terminal with demo colleagues."""


def build_parser() -> argparse.ArgumentParser:
    from importlib import metadata

    try:
        version = metadata.version("entraide")
    except metadata.PackageNotFoundError:
        version = "unknown"

    def add_global_options(target: argparse.ArgumentParser, default: object) -> None:
        target.add_argument(
            "--config",
            metavar="FILE",
            default=default,
            help="TOML configuration (default: ./entraide.toml if present, else built-in defaults)",
        )
        target.add_argument(
            "--log-level",
            choices=["DEBUG", "INFO", "WARNING", "ERROR"],
            default=default,
            help="override [bot] log_level",
        )

    parser = argparse.ArgumentParser(prog="entraide", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version}")
    add_global_options(parser, None)
    # The same options after any subcommand. SUPPRESS keeps an option the subcommand was not
    # given from overwriting the top-level value, so `entraide --config A run --config B` uses B.
    common = argparse.ArgumentParser(add_help=False)
    add_global_options(common, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser(
        "run",
        parents=[common],
        help="start every adapter enabled in the config (the console when none is)",
        description="Apply migrations, start the enabled adapters, and stop cleanly on SIGTERM/SIGINT.",
    )
    run.add_argument(
        "--clock-start",
        metavar="ISO8601",
        type=clock_start,
        help="start the bot's clock at this instant, with a zone (2026-12-07T09:59:30+00:00), then "
        "let it run at real speed: to rehearse scheduled posts on a test workspace (and for tests); "
        "never needed in production",
    )
    console = commands.add_parser(
        "console",
        parents=[common],
        help="chat with the bot in this terminal, on the configured database",
        description="An interactive terminal chat; /as NAME acts as another colleague.",
    )
    console.add_argument(
        "--script",
        metavar="FILE",
        help="feed FILE's lines as if typed, print every reply, then exit; run again after a "
        "crash, it resumes: the lines already handled are skipped",
    )
    console.add_argument(
        "--clock-at",
        metavar="ISO8601",
        type=clock_start,
        help="the bot's clock stands at this instant and moves only with /time: a script then "
        "gives the same records at every run, and resumes after a crash exactly (for tests)",
    )
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="the console on a fresh database seeded with a dozen demo colleagues",
        description="A fresh SQLite database with demo colleagues, skills, past help and thanks.",
    )
    demo.add_argument(
        "--script",
        metavar="FILE",
        help="feed FILE's lines as if typed, print every reply, then exit",
    )
    demo.add_argument(
        "--database",
        metavar="URL",
        help="use this database instead of a fresh temporary SQLite file",
    )

    history = commands.add_parser(
        "import-history",
        parents=[common],
        help="import past help threads from a Slack export (.zip or folder) or a JSONL file",
        description="Import threads (who asked, who answered, which reply solved it) as evidence of "
        "help given. Importing the same file twice changes nothing; a broken file is reported "
        "with its path and record, and nothing of it is saved.",
    )
    history.add_argument("path", help="Slack export .zip or folder, or a .jsonl thread file")
    history.add_argument("--platform", default="slack", help="whose handles the file uses (default: slack)")
    profiles = commands.add_parser(
        "import-profiles",
        parents=[common],
        help="import people from CSV or JSONL: handle, name, skills, languages, timezone",
        description="Create or update people from a directory export; their skills count as declared.",
    )
    profiles.add_argument("path", help="a .csv or .jsonl file")
    profiles.add_argument("--platform", default="slack", help="whose handles the file uses (default: slack)")
    match = commands.add_parser(
        "match",
        parents=[common],
        help="rank the colleagues who could help with a need, and say whom it would ask",
        description="Rank colleagues for TEXT, or with --batch replay a JSONL file of needs "
        '({"id", "text", "asker", "created", "channel" optional; "type": "need" optional) and of '
        "replies in their "
        'threads ({"type": "reply", "need", "author", "text", "created", "solved"}) in time order, '
        "as if they arrived live: each reply is evidence for the needs after it.",
    )
    match.add_argument("text", nargs="?", help="the need, in free text")
    match.add_argument(
        "--batch", metavar="FILE", help="one JSON need or reply per line; prints one JSON line per need"
    )
    match.add_argument("--json", action="store_true", help="print JSON instead of a table")
    match.add_argument(
        "--features", action="store_true", help="give each candidate's features (bot.matching.model)"
    )
    match.add_argument("--limit", type=int, default=10, help="candidates to show (default 10)")

    from bot.cli.barometer import add_parser as add_barometer

    add_barometer(commands, common)

    db = commands.add_parser(
        "db", parents=[common], help="database maintenance", description="Database maintenance."
    )
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser(
        "upgrade",
        parents=[common],
        help="apply pending migrations",
        description="Apply pending Alembic migrations.",
    )
    db_commands.add_parser(
        "current",
        parents=[common],
        help="print the schema revision",
        description="Print the current and latest schema revisions.",
    )
    return parser


def clock_start(text: str) -> datetime:
    """``--clock-start``: an ISO 8601 instant with its zone (a naive time would be a guess)."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date and time (e.g. 2026-12-07T09:59:30+00:00)"
        ) from None
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no time zone: add one (2026-12-07T09:59:30+00:00, or Z for UTC)"
        )
    return when


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"entraide: configuration error: {error}", file=sys.stderr)
        return 2
    quiet = args.command in ("console", "demo") and not args.log_level
    setup_logging("WARNING" if quiet else (args.log_level or config.bot.log_level), config.bot.log_format)
    try:
        if args.command == "db":
            return _db(config, args.db_command)
        if args.command == "demo":
            return _demo(config, args.script, args.database)
        if args.command == "console":
            return _console(config, args.script, clock_at=args.clock_at)
        if args.command == "barometer":
            from bot.cli import barometer

            return barometer.run(args, config)
        if args.command in ("import-history", "import-profiles", "match"):
            from bot.cli import data as cli_data

            return cli_data.run(args, config)
        return _run(config, args.clock_start)
    except FileNotFoundError as error:
        print(f"entraide: {error.filename}: file not found", file=sys.stderr)
        return 2
    except ConfigError as error:  # found while starting: a vocabulary file, say
        print(f"entraide: configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _db(config: Config, action: str) -> int:
    from skills_db.storage import migrate
    from skills_db.storage.database import make_engine

    engine = make_engine(config.database.url)
    if action == "upgrade":
        migrate.upgrade(engine)
    print(f"schema revision: {migrate.current_revision(engine)} (latest: {migrate.head_revision()})")
    engine.dispose()
    return 0


def _console(
    config: Config, script: str | None, *, seed: bool = False, clock_at: datetime | None = None
) -> int:
    from adapters.console import ConsoleAdapter, script_id, store_handled, store_names
    from bot.app import build_services, run_adapters
    from bot.cli.demo import COLLEAGUES, MANAGER, seed_demo
    from bot.jobs import MovableClock
    from skills_db.storage.store import Store

    store = Store.open(config.database.url)
    # Real time until `/time +3d` moves it; or standing at --clock-at, moved only by /time.
    clock = MovableClock(frozen_at=clock_at)
    try:
        services = build_services(config, store, clock.now)
        banner = None
        if seed:
            seed_demo(store, services.taxonomy, clock.now())
            names = ", ".join(c.name for c in COLLEAGUES)
            banner = (
                f"Entraide demo — you are {config.console.user}; your colleagues: {names}.\n"
                f"{MANAGER} is the community manager: `/as {MANAGER}` then `stats`.\n"
                "Try: need help with terraform state locking · profile @alice · /as Alice · help · "
                "/time +3d · /quit"
            )
        content = Path(script).read_bytes() if script else None
        lines = content.decode("utf-8").splitlines() if content is not None else None
        adapter = ConsoleAdapter(
            user=config.console.user,
            conversation=config.console.conversation,
            script=lines,
            banner=banner,
            names=store_names(store),
            script_id=script_id(content) if content is not None else None,
            handled=store_handled(store),
        )
        import asyncio  # here: the data commands and `match` never need it

        asyncio.run(run_adapters(services, [adapter], clock=clock, replay=clock_at is not None))
    finally:
        store.close()
    return 0


def _demo(config: Config, script: str | None, database: str | None) -> int:
    from bot.cli.demo import demo_config

    with tempfile.TemporaryDirectory(prefix="entraide-demo-") as folder:
        url = database or f"sqlite:///{folder}/demo.db"
        return _console(demo_config(config, url), script, seed=True)


def _run(config: Config, clock_start: datetime | None = None) -> int:
    import asyncio

    from adapters import enabled_adapters
    from bot.app import build_services, run_adapters
    from bot.jobs import MovableClock
    from bot.matching.snapshot import snapshot_path
    from skills_db.storage.store import Store

    clock = None
    if clock_start is not None:
        clock = MovableClock()  # set before the migrations: from the process's start, at real speed
        clock.set(clock_start)
        # Said loudly: a bot whose clock is not the real one must not go unnoticed in production.
        logging.getLogger("entraide").warning(
            "rehearsal clock: the bot's time starts at %s", clock.now().isoformat()
        )
    store = Store.open(config.database.url)
    try:
        services = build_services(config, store, clock.now if clock else None)
        adapters = enabled_adapters(services)
        index = snapshot_path(config.database.url, config.matching.index_cache)
        succeeded = asyncio.run(run_adapters(services, adapters, clock=clock, index_snapshot=index))
    finally:
        store.close()
    return 0 if succeeded else 1
