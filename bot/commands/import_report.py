"""What an import read but did not keep, and why: said at the end of `entraide import-history`
and of the admin's `admin import-history`, in the reader's language. Never silent: a message
that is in no imported thread is counted under one reason (docs/import-formats.md)."""

from __future__ import annotations

from bot.i18n import Catalog
from skills_db.importers.model import HistoryArchive


def number(value: int, language: str | None) -> str:
    """1,025 in English, 1 025 (narrow no-break space) in French."""
    text = f"{value:,}"
    return text.replace(",", "\u202f") if language == "fr" else text


def left_out(archive: HistoryArchive, catalog: Catalog, language: str | None) -> list[str]:
    """One line on the conversations rebuilt from channel flow (if any message was outside a
    thread before its channel used threads), one on everything else left out (if anything)."""
    lines: list[str] = []
    flow = archive.flow
    if flow.messages:
        lines.append(
            catalog.text(
                language,
                "import_report.flow",
                count=flow.channels,
                channels=number(flow.channels, language),
                messages=number(flow.messages, language),
                conversations=number(flow.conversations, language),
                grouped=number(flow.grouped, language),
                unanswered=number(flow.unanswered, language),
            )
        )
    skipped = archive.skipped
    reasons = (
        ("outside", archive.standalone_messages - flow.unanswered),
        ("events", skipped.events),
        ("bots", skipped.bots),
        ("empty", skipped.empty),
        ("duplicates", skipped.duplicates),
        ("orphans", archive.orphan_replies),
    )
    items = [
        catalog.text(language, f"import_report.{reason}", count=count, n=number(count, language))
        for reason, count in reasons
        if count > 0
    ]
    if items:
        separator = catalog.text(language, "import_report.separator")
        lines.append(catalog.text(language, "import_report.left_out", items=separator.join(items)))
    return lines
