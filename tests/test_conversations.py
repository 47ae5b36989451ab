"""Conversations rebuilt from channel flow: history without threads (issue #13, part 5)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from adapters.console import ConsoleAdapter
from bench.shared import DEV_DATA
from bot.app import run_adapters
from bot.jobs import MovableClock
from skills_db.importers.conversations import looks_like_question, rebuild_conversations
from skills_db.importers.history import import_archive
from skills_db.importers.model import HistoryMessage, HistoryThread
from skills_db.importers.read import read_history
from skills_db.storage.models import HelpReply, HelpThread, Identity, Person, SkillClaim
from skills_db.storage.store import Store
from tests.support import make_services

START = datetime(2015, 6, 10, 15, 0, tzinfo=UTC)
DAY = 24 * 60
NAMES = {
    "UA": "Ana", "UB": "Bob", "UC": "Cyd", "UE": "Eve", "UF": "Fay", "UG": "Gus", "UH": "Hugo",
    "UI": "Ines", "UJ": "Jo", "UK": "Kim", "UL": "Lou", "UM": "Max",
}  # fmt: skip

# A houstondatavis-style channel: top-level messages only. (minutes from START, author, text)
CHANNEL = [
    (0, "UA", "Does anybody know how to plot a large time series in d3?"),
    (1, "UA", "about 100k points, svg gets slow"),
    (4, "UB", "Use canvas instead of SVG past 10k points"),
    (9, "UC", "and downsample first, largest triangle three buckets works well"),
    (12, "UA", "thanks both!"),
    (180, "UE", "Nice weather for the meetup today"),  # unrelated chatter, nobody answers
    (400, "UF", "<@UA> late to this, but vega-lite handles it too"),  # a mention reply, hours later
    (DAY, "UG", "How do I join two CSV files in pandas?"),
    (DAY + 5, "UB", "pd.merge(a, b, on='id')"),
    (DAY + 7, "UH", "Quelqu'un sait à quelle heure commence le meetup ce soir"),  # someone else's question
    (DAY + 10, "UI", "19h, au TXRX"),
    (2 * DAY, "UJ", "is the d3 v4 upgrade worth it for a small dashboard?"),
    (2 * DAY + 10, "UK", "not yet, most plugins are still on v3"),
    (2 * DAY + 90, "UJ", "which plugins break?"),  # two people in turn, slower than the window
    (2 * DAY + 180, "UK", "d3-tip and the old brush"),
    (2 * DAY + 600, "UL", "&gt; is the d3 v4 upgrade worth it for a small dashboard\nyes, do it"),  # a quote
    (3 * DAY, "UM", "Anyone used observable plot"),  # a question nobody answers
    (3 * DAY + 2, "UM", "asking for a friend"),
]
# The conversations the rules must find: (root author, repliers in order).
EXPECTED = [
    ("UA", ["UB", "UC", "UA", "UF"]),
    ("UG", ["UB"]),
    ("UH", ["UI"]),
    ("UJ", ["UK", "UJ", "UK", "UL"]),
]


def ts(minutes: float) -> str:
    return f"{(START + timedelta(minutes=minutes)).timestamp():.6f}"


def history_message(minutes: float, author: str, text: str) -> HistoryMessage:
    mentions = tuple(h for h in NAMES if f"<@{h}>" in text)
    for handle in mentions:
        text = text.replace(f"<@{handle}>", f"@{NAMES[handle]}")
    return HistoryMessage(
        ts=ts(minutes),
        author=author,
        text=text.replace("&gt;", ">"),
        mentions=mentions,
        posted_at=START + timedelta(minutes=minutes),
        reactions=(),
    )


def shape(threads: tuple[HistoryThread, ...]) -> list[tuple[str, list[str]]]:
    return [(t.root.author, [r.author for r in t.replies]) for t in threads]


def test_a_channel_without_threads_yields_its_conversations() -> None:
    messages = [history_message(*row) for row in CHANNEL]
    flow = rebuild_conversations(reversed(messages), channel="general", channel_id="C1")
    assert shape(flow.threads) == EXPECTED
    first = flow.threads[0]
    # The asker's lines before the first answer are the question; ids are stable per root
    question = "Does anybody know how to plot a large time series in d3?\nabout 100k points, svg gets slow"
    assert first.root.text == question
    assert first.thread_id == f"flow:C1:{ts(0)}"
    assert first.replies[-1].text == "@Ana late to this, but vega-lite handles it too"
    assert (first.channel, first.source, first.public) == ("general", "slack-export", True)
    # The chatter and the unanswered question (two lines) are left out
    assert (flow.messages, flow.grouped, flow.unanswered) == (18, 15, 3)
    again = rebuild_conversations(messages, channel="general", channel_id="C1")
    assert again == flow


def test_a_silence_longer_than_the_window_ends_a_conversation() -> None:
    rows = [(0, "UA", "How do I rotate the cert?"), (50, "UB", "cert-manager renews it"), (52, "UA", "ok")]
    flow = rebuild_conversations([history_message(*r) for r in rows], channel="g", channel_id="C1")
    # Bob spoke 50 minutes after the question: a burst of its own, answered by Ana
    assert shape(flow.threads) == [("UB", ["UA"])]
    assert flow.unanswered == 1


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Is there a R package equivalent to Python's Mechanize", True),
        ("@Bob how do you deploy it", True),
        ("anyone tried vega?", True),
        ("Est-ce que le meetup a lieu ce soir", True),
        ("Comment on exporte en SVG", True),
        ("je cherche un tuto sur d3", True),
        ("Will be my first event.", False),
        ("see https://www.smbc-comics.com/?id=3047", False),  # the ? of a link asks nothing
        ("Great post!", False),
    ],
)
def test_what_looks_like_a_question(text: str, asks: bool) -> None:
    assert looks_like_question(text) is asks


# --------------------------------------------------------------------------- a whole export


def slack_message(minutes: float, user: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": user, "text": text, "ts": ts(minutes), **extra}


def write_export(path: Path) -> Path:
    users = [{"id": h, "name": n.lower(), "profile": {"display_name": n}} for h, n in NAMES.items()]
    users.append({"id": "UBOT", "name": "meetupbot", "is_bot": True, "profile": {}})
    channels = [{"id": "C1", "name": "general"}, {"id": "C2", "name": "help"}]
    general = [slack_message(*row) for row in CHANNEL]
    general += [
        slack_message(2, "UM", "<@UM> has joined the channel", subtype="channel_join"),
        {"type": "message", "subtype": "bot_message", "bot_id": "B1", "text": "New event!", "ts": ts(3)},
        slack_message(5, "UBOT", "Reminder: meetup tonight"),
    ]
    root = ts(60)
    help_channel = [
        slack_message(0, "UB", "morning all"),  # before the channel's first thread: its flow
        slack_message(60, "UC", "How do I install R kernels in Jupyter?", thread_ts=root),
        slack_message(70, "UB", "conda install -c r r-irkernel", thread_ts=root),
        slack_message(DAY, "UE", "Anyone going tonight?"),  # after it: threads are how people answer here
    ]
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("users.json", json.dumps(users))
        zf.writestr("channels.json", json.dumps(channels))
        for name, messages in (("general", general), ("help", help_channel)):
            by_day: dict[str, list[dict[str, Any]]] = {}
            for message in messages:
                day = datetime.fromtimestamp(float(message["ts"]), UTC).date().isoformat()
                by_day.setdefault(day, []).append(message)
            for day, content in by_day.items():
                zf.writestr(f"{name}/{day}.json", json.dumps(content))
    return path


REPORT = [
    "19 messages outside threads in 2 channels: 4 conversations rebuilt from the channel flow "
    "(15 messages; rules: docs/import-formats.md); 4 left out, answered by no one else.",
    "Left out as well: one message outside threads in a channel that uses threads, one channel event "
    "(a join, a leave, a topic…), 2 messages by bots or integrations.",
]
TABLES = (Person, Identity, HelpThread, HelpReply, SkillClaim)


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.__name__: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in TABLES
        }


def repliers(store: Store) -> dict[str, list[str]]:
    """Each stored thread's external id -> the handles of the people credited with a reply."""
    with Session(store.engine) as session:
        handles = {i.person_id: i.handle for i in session.exec(select(Identity))}
        out: dict[str, list[str]] = {}
        for thread in session.exec(select(HelpThread)):
            rows = session.exec(select(HelpReply).where(HelpReply.thread_id == thread.id)).all()
            out[thread.external_id] = [handles[r.person_id] for r in sorted(rows, key=lambda r: r.created_at)]
    return out


def run_cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "ENTRAIDE_DATABASE_URL": url},
    )


def test_an_export_without_threads_imports_its_conversations_and_says_what_it_left_out(
    tmp_path: Path, database_url: str
) -> None:
    export = write_export(tmp_path / "old-export.zip")
    first = run_cli("import-history", str(export), url=database_url)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith(f"{export}: 5 threads imported (0 already there), 9 replies")
    assert lines[1:] == REPORT
    store = Store.open(database_url)
    try:
        stored = repliers(store)
        assert stored == {
            f"flow:C1:{ts(0)}": ["UB", "UC", "UF"],  # Ana's own "thanks both!" is no help given
            f"flow:C1:{ts(DAY)}": ["UB"],
            f"flow:C1:{ts(DAY + 7)}": ["UI"],
            f"flow:C1:{ts(2 * DAY)}": ["UK", "UK", "UL"],
            f"C2:{ts(60)}": ["UB"],  # the channel's real thread, as before
        }
        before = counts(store)
        again = run_cli("import-history", str(export), url=database_url)
        assert again.returncode == 0, again.stderr
        assert again.stdout.splitlines()[0].startswith(f"{export}: 0 threads imported (5 already there)")
        assert again.stdout.splitlines()[1:] == REPORT  # what the file holds is said again
        assert counts(store) == before
    finally:
        store.close()


def test_the_houstondatavis_export_imports_conversations(database_url: str) -> None:
    archive = read_history(DEV_DATA / "slack-houstondatavis.zip")
    assert archive.flow.messages == 1025  # every top-level message a person wrote
    services = make_services(database_url)
    report = import_archive(services.store, archive, services.matcher.recognise)
    assert report.threads == archive.flow.conversations > 50
    assert report.replies > report.threads
    assert archive.flow.grouped + archive.flow.unanswered == 1025
    assert archive.skipped.events > 300  # the joins, mostly
    again = import_archive(services.store, read_history(archive.source_path), services.matcher.recognise)
    assert (again.threads, again.skipped_threads, again.replies) == (0, report.threads, 0)
    services.store.close()


async def test_the_admin_import_in_chat_says_what_it_left_out_in_both_languages(
    tmp_path: Path, database_url: str
) -> None:
    export = write_export(tmp_path / "old-export.zip")
    clock = MovableClock(datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    services = make_services(database_url, clock.now, bot={"admins": ["console:cam"], "log_format": "text"})
    script = ["/as cam", f"admin import-history {export}", "/time +1m", "language fr"]
    script += [f"admin import-history {export}", "/time +2m"]
    out = io.StringIO()
    adapter = ConsoleAdapter(script=script, output=out)
    assert await asyncio.wait_for(run_adapters(services, [adapter], clock=clock), timeout=120)
    said = out.getvalue()
    assert f"entraide: {export}: {REPORT[0]}\n" in said  # one message, after the import's summary
    assert f" {REPORT[1]}\n" in said
    assert f"{export}\u202f: 19 messages hors fil dans 2 canaux\u202f: 4 conversations reconstituées" in said
    assert (
        "Laissés de côté aussi\u202f: un message hors fil dans un canal qui utilise les fils, "
        "un événement de canal (une arrivée, un départ, un sujet…), 2 messages de robots ou d'intégrations."
        in said
    )
    with Session(services.store.engine) as session:
        assert len(session.exec(select(HelpThread)).all()) == 5
    services.store.close()
