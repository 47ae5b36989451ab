"""The data commands of `entraide`: import-history, import-profiles, match."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from datetime import UTC, datetime

from bot.chat.context import Services
from bot.cli.progress import ProgressBar
from bot.config import Config
from bot.matching import snapshot
from bot.matching.batch import BatchMatcher, Query, read_stream
from bot.services import build_services
from skills_db.importers.model import HistoryFileError
from skills_db.storage.store import Store


def run(args: argparse.Namespace, config: Config) -> int:
    store = Store.open(config.database.url)
    try:
        services = build_services(config, store)
        if args.command not in ("import-history", "import-profiles"):
            return _match(args, services)
        # Imported here, not for match (whose start-up is measured): the chat layer takes a
        # tenth of a second to import, the importers some 40 ms more.
        from bot.chat.actions import Actions
        from skills_db.importers.collector import collector_paused
        from skills_db.importers.history import import_history
        from skills_db.importers.profiles import import_profiles, read_profiles
        from skills_db.importers.read import read_history

        # Each import is one action: one unit of work, all of it or nothing (no messages).
        actions = Actions(services, workers=1)
        salt = config.privacy.erasure_salt
        if args.command == "import-history":
            from bot.commands.import_report import left_out  # the commands package: not for match

            # One pause of the collector for all of it: read, written, indexed (see its module).
            with collector_paused():
                archive = read_history(args.path)
                bar = ProgressBar(sys.stderr)
                try:
                    report, learned = actions.transaction(
                        lambda: import_history(
                            store, archive, services.taxonomy, args.platform, erasure_salt=salt, progress=bar
                        ),
                        f"cli:import-history:{args.path}",
                    )
                finally:
                    bar.close()
                # The next process starts from the indexes as they are now (read once, here).
                path = snapshot.path_for(services.matcher, config.database.url)
                snapshot.restore(services.matcher, store, path)
                snapshot.keep(services.matcher, store, path)
            print(
                f"{args.path}: {report.threads} threads imported ({report.skipped_threads} already there), "
                f"{report.replies} replies, {report.solved_threads} solved, {report.people} new people, "
                f"{report.claims} skill claims, {report.thanks} thanks, {len(learned)} terms learned"
                + _erased(report.erased)
            )
            for line in left_out(archive, services.catalog, "en"):  # what was read but not kept
                print(line)
            return 0
        profiles = read_profiles(args.path, services.taxonomy.canonical)
        count, erased = actions.transaction(
            lambda: import_profiles(store, profiles, args.platform, erasure_salt=salt),
            f"cli:import-profiles:{args.path}",
        )
        print(f"{args.path}: {count} profiles imported" + _erased(erased))
        return 0
    except HistoryFileError as error:
        print(f"entraide: {error} (nothing was imported)", file=sys.stderr)
        return 1
    finally:
        store.close()


def _erased(count: int) -> str:
    """Said of people skipped because they asked to be forgotten: how many, never who."""
    if not count:
        return ""
    people = "person" if count == 1 else "people"
    return f"; {count} {people} skipped: they asked to be forgotten"


def _match(args: argparse.Namespace, services: Services) -> int:
    if not args.batch and not args.text:  # said before the indexes are loaded: that can take long
        print("entraide match: give the need as TEXT, or --batch FILE", file=sys.stderr)
        return 2
    path = snapshot.path_for(services.matcher, services.config.database.url)
    loaded = snapshot.restore(services.matcher, services.store, path)
    at = snapshot.positions(services.matcher) if loaded else None
    # The indexes are brought up to date first, as `entraide run` does before its first need:
    # each need's elapsed_ms is then its own cost, not the start-up's. Then, as `entraide run`
    # does, their millions of long-lived objects are kept out of the collector's full passes,
    # which would otherwise stall one need in twenty by 50–200 ms.
    services.matcher.refresh()
    if args.batch:  # each need's elapsed_ms its own cost: none pays for the process's warm-up
        services.matcher.warm_up()
    gc.freeze()
    try:
        return _match_with(args, services)
    finally:  # saved again only when it read something new
        snapshot.keep(services.matcher, services.store, path, unless_at=at)


def _match_with(args: argparse.Namespace, services: Services) -> int:
    matcher = BatchMatcher(services, limit=max(args.limit, 1), features=args.features)
    if args.batch:
        for line in matcher.run(read_stream(args.batch)):
            print(json.dumps(line, ensure_ascii=False))
        return 0
    result = matcher.match(Query("cli", args.text, None, datetime.now(UTC)), live=False)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"skills: {', '.join(result['skills']) or '—'}")
    for rank, candidate in enumerate(result["candidates"], 1):
        reasons = "; ".join(candidate["reasons"])
        print(f"{rank:>2}. {candidate['name']:<24} {candidate['score']:>6.3f}  {reasons}")
    print(f"would ask: {', '.join(result['route']) or 'nobody'}   ({result['elapsed_ms']} ms)")
    return 0
