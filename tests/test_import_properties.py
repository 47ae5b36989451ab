"""Properties: importers and the command parser take arbitrary input without crashing.

Slack exports (zipped and unpacked) with arbitrary JSON or bytes in users.json, channels.json and
the daily files; JSONL history; CSV and JSONL profiles; any text after any command word. Each
import either succeeds or raises HistoryFileError naming the file (and the record, when one is
at fault), never another exception, and after an error every table is as it was. Hypothesis
runs derandomized with bounded examples: the same inputs every run, a few seconds each.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel

from bot.chat.actions import Actions
from bot.commands import registry
from bot.commands.admin import admin_registry
from bot.commands.registry import ParsedCommand, Registry, UsageError
from skills_db.importers.history import import_history
from skills_db.importers.model import HistoryFileError
from skills_db.importers.profiles import import_profiles, read_profiles
from skills_db.importers.read import read_history
from skills_db.storage.store import Store
from tests.support import make_services


def fixed(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,  # the same examples every run: a failure is reproducible, never flaky
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: equal snapshots mean nothing was written."""
    with store.engine.connect() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(sa.select(table))), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }


# --------------------------------------------------------------------------- strategies

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
# Text with what hurts a database or a terminal: NUL, lone surrogates, controls, RTL marks.
NASTY = ["a", "é", " ", "\x00", "\ud800", "\udfff", "\n", "\u202e", "<@U1>", "&lt;", "🎉", "\\"]
nasty_text = st.lists(st.sampled_from(NASTY), max_size=12).map("".join) | st.text(max_size=12)
handles = st.sampled_from(["U1", "U2", "U3", "", "USLACKBOT"]) | nasty_text


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a value of ``strategy``, sometimes any JSON value."""
    return st.one_of(strategy, strategy, json_values)


TS = [f"17000{n:05d}.{n:06d}" for n in range(0, 60, 7)]
slack_ts = st.sampled_from(TS)
user_ids = st.sampled_from(["U1", "U2", "U3", "USLACKBOT"])

# A well-formed export first, with hostile texts; then at most one mutation puts arbitrary JSON
# or bytes in place of a member, a record or a field: so both imports and refusals are common.
good_messages = st.fixed_dictionaries(
    {"ts": slack_ts, "user": user_ids, "text": nasty_text},
    optional={
        "thread_ts": slack_ts,
        "subtype": st.sampled_from(["channel_join", "thread_broadcast", "bot_message"]),
        "reactions": st.lists(
            st.fixed_dictionaries(
                {"name": st.just("white_check_mark"), "users": st.lists(user_ids, max_size=2)}
            ),
            max_size=1,
        ),
    },
)
good_users = st.fixed_dictionaries(
    {"id": user_ids},
    optional={
        "name": nasty_text,
        "tz": st.sampled_from(["Europe/Paris", "Mars/Olympus", "", "a" * 300]),
        "is_bot": st.booleans(),
        "profile": st.fixed_dictionaries({}, optional={"title": nasty_text, "display_name": nasty_text}),
    },
)
DAYS = ("general/2023-11-14.json", "general/2023-11-15.json")
exports = st.fixed_dictionaries(
    {
        "users.json": st.lists(good_users, min_size=1, max_size=4),
        "channels.json": st.just([{"id": "C1", "name": "general"}]),
        DAYS[0]: st.lists(good_messages, max_size=6),
        DAYS[1]: st.lists(good_messages, max_size=6),
    }
)
junk_bytes = st.binary(max_size=64)
MEMBERS = ("users.json", "channels.json", *DAYS)
mutations = st.one_of(
    st.none(),
    st.tuples(st.just("member"), st.sampled_from(MEMBERS), json_values | junk_bytes | st.just(None)),
    st.tuples(st.just("record"), st.sampled_from(MEMBERS), st.integers(0, 5), json_values),
    st.tuples(
        st.just("field"),
        st.sampled_from(MEMBERS),
        st.integers(0, 5),
        st.sampled_from(["id", "name", "ts", "user", "text", "thread_ts", "reactions", "profile", "tz"]),
        json_values,
    ),
)


def mutate(export: dict[str, Any], mutation: tuple[Any, ...] | None) -> dict[str, bytes | None]:
    content: dict[str, Any] = {name: [dict(r) for r in records] for name, records in export.items()}
    raw: dict[str, bytes | None] = {}
    if mutation is not None:
        kind, name = mutation[0], mutation[1]
        records = content[name]
        if kind == "member":
            value = mutation[2]
            raw[name] = value if isinstance(value, bytes) or value is None else json.dumps(value).encode()
        elif kind == "record" and records:
            records[mutation[2] % len(records)] = mutation[3]
        elif kind == "field" and records:
            records[mutation[2] % len(records)][mutation[3]] = mutation[4]
    for name, records in content.items():
        raw.setdefault(name, json.dumps(records).encode())
    return raw


def write_export(files: dict[str, bytes | None], target: Path, zipped: bool) -> Path:
    if zipped:
        path = target.with_suffix(".zip")
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in files.items():
                if data is not None:
                    archive.writestr(name, data)
        return path
    for name, data in files.items():
        if data is not None:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
    return target


def import_or_refuse(store: Store, path: Path, load: Callable[[], None]) -> HistoryFileError | None:
    """Run ``load``: it succeeds, or raises HistoryFileError naming ``path``, writing nothing."""
    before = snapshot(store)
    try:
        load()
    except HistoryFileError as error:
        assert str(error).startswith(str(path)), error
        assert "\n" not in str(error)
        assert snapshot(store) == before
        return error
    return None


# --------------------------------------------------------------------------- Slack exports


def test_slack_export_zip_arbitrary_content(database_url: str, tmp_path: Path) -> None:
    """The one property run on PostgreSQL too: it refuses NUL in text, SQLite does not."""
    check_slack_export(database_url, tmp_path, zipped=True)


def test_slack_export_folder_arbitrary_content(sqlite_url: str, tmp_path: Path) -> None:
    check_slack_export(sqlite_url, tmp_path, zipped=False)


def check_slack_export(url: str, tmp_path: Path, *, zipped: bool) -> None:
    services = make_services(url)
    store = services.store
    outcomes = {"imported": 0, "refused": 0, "threads": 0}
    count = iter(range(10**6))

    @fixed(30)
    @given(exports, mutations)
    def check(export: dict[str, Any], mutation: tuple[Any, ...] | None) -> None:
        files = mutate(export, mutation)
        target = tmp_path / f"export-{next(count)}"
        target.mkdir()
        path = write_export(files, target, zipped)

        def load() -> None:
            archive = read_history(path)
            outcomes["threads"] += import_history(store, archive, services.taxonomy)[0].threads

        error = import_or_refuse(store, path, load)
        outcomes["refused" if error else "imported"] += 1
        if error is not None and error.record:  # the record named is one of the file's
            member_name = error.path.removeprefix(f"{path}:").removeprefix(f"{path}/")
            data = files[member_name]
            assert data is not None and int(error.record) < len(json.loads(data))

    check()
    store.close()
    assert outcomes["imported"] and outcomes["refused"] and outcomes["threads"], outcomes


# --------------------------------------------------------------------------- JSONL history

iso = st.sampled_from(["2024-03-01T10:00:00Z", "2024-03-01T10:05:00+01:00", "0001-01-01T00:00:00+01:00"])
jsonl_messages = st.fixed_dictionaries(
    {"author": maybe(handles), "text": maybe(nasty_text), "ts": maybe(iso | nasty_text)},
    optional={"id": maybe(nasty_text), "mentions": json_values, "reactions": json_values},
)
jsonl_lines = st.one_of(
    st.fixed_dictionaries(
        {"root": jsonl_messages},
        optional={
            "replies": maybe(st.lists(jsonl_messages, max_size=3)),
            "thread_id": maybe(st.sampled_from(["t1", "t2"])),
            "channel": maybe(nasty_text),
            "solved_by": json_values,
            "users": maybe(st.dictionaries(handles, st.fixed_dictionaries({}, optional={"tz": json_values}))),
        },
    ).map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")),
    st.fixed_dictionaries(
        {"type": st.just("user"), "handle": maybe(handles)},
        optional={"name": maybe(nasty_text), "tz": maybe(st.sampled_from(["UTC", "Nowhere/City"]))},
    ).map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps(v).encode()),
    junk_bytes.map(lambda b: b.replace(b"\n", b" ")),
)


def line_of(error: HistoryFileError, lines: list[bytes]) -> None:
    assert error.kind == "line" and error.record, error
    assert 1 <= int(error.record) <= len(lines), error


def test_jsonl_history_arbitrary_lines(sqlite_url: str, tmp_path: Path) -> None:
    services = make_services(sqlite_url)
    store = services.store
    outcomes = {"imported": 0, "refused": 0, "threads": 0}
    count = iter(range(10**6))

    @fixed(50)
    @given(st.lists(jsonl_lines, max_size=6))
    def check(lines: list[bytes]) -> None:
        path = tmp_path / f"history-{next(count)}.jsonl"
        path.write_bytes(b"\n".join(lines))

        def load() -> None:
            outcomes["threads"] += import_history(store, read_history(path), services.taxonomy)[0].threads

        error = import_or_refuse(store, path, load)
        outcomes["refused" if error else "imported"] += 1
        if error is not None:
            line_of(error, lines)

    check()
    store.close()
    assert outcomes["imported"] and outcomes["refused"] and outcomes["threads"], outcomes


# --------------------------------------------------------------------------- profiles

profile_objects = st.fixed_dictionaries(
    {},
    optional={
        "handle": maybe(handles),
        "name": maybe(nasty_text),
        "skills": maybe(st.lists(nasty_text, max_size=3) | nasty_text),
        "languages": maybe(st.sampled_from(["en", "fr", "de", "fr;en", ""])),
        "timezone": maybe(st.sampled_from(["Europe/Paris", "Mars/Olympus", "a" * 300, "/etc/passwd"])),
    },
)
CSV_BITS = ["a", "U1", ",", ";", '"', "\n", "\r", "\x00", "é", " ", "Europe/Paris"]
csv_cells = st.lists(st.sampled_from(CSV_BITS), max_size=8).map("".join)


def csv_file(header: list[str], rows: list[list[str]]) -> bytes:
    def cell(text: str) -> str:
        return text if not any(c in text for c in ',"\n\r') else '"' + text.replace('"', '""') + '"'

    lines = [",".join(header)] + [",".join(cell(c) for c in row) for row in rows]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


csv_contents = st.one_of(
    st.builds(
        csv_file,
        st.just(["handle", "name", "skills", "languages", "timezone"]),
        st.lists(st.lists(csv_cells | nasty_text, min_size=0, max_size=6), max_size=5),
    ),
    junk_bytes,
)
jsonl_profiles = st.lists(
    profile_objects.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass"))
    | json_values.map(lambda v: json.dumps(v).encode())
    | junk_bytes.map(lambda b: b.replace(b"\n", b" ")),
    max_size=5,
).map(b"\n".join)


def test_profiles_arbitrary_csv_and_jsonl(sqlite_url: str, tmp_path: Path) -> None:
    services = make_services(sqlite_url)
    store = services.store
    actions = Actions(services, workers=1)
    outcomes = {"imported": 0, "refused": 0}
    count = iter(range(10**6))

    @fixed(60)
    @given(st.one_of(csv_contents.map(lambda b: ("csv", b)), jsonl_profiles.map(lambda b: ("jsonl", b))))
    def check(content: tuple[str, bytes]) -> None:
        suffix, data = content
        path = tmp_path / f"people-{next(count)}.{suffix}"
        path.write_bytes(data)

        def load() -> None:
            profiles = read_profiles(path, services.taxonomy.canonical)
            actions.transaction(lambda: import_profiles(store, profiles, "slack"), "test")

        error = import_or_refuse(store, path, load)
        outcomes["refused" if error else "imported"] += 1
        if error is not None and error.record:
            assert int(error.record) >= 1

    check()
    store.close()
    assert outcomes["imported"] and outcomes["refused"], outcomes


# --------------------------------------------------------------------------- the command parser


def every_word(commands: Registry) -> list[str]:
    return sorted({word for command in commands for word in (command.name, *command.aliases)})


WORDS = every_word(registry())
ADMIN_WORDS = every_word(admin_registry())
tails = st.text(max_size=40) | st.lists(
    st.sampled_from(
        ["@bob", "@", "@@x", " ", ",", "and", "et", "3d", "until", "monday", "#1", "-1", "\x00", "é"]
    ),
    max_size=6,
).map(" ".join)


def parses_or_explains(commands: Registry, line: str) -> None:
    try:
        parsed = commands.parse(line)
    except UsageError as error:  # the only exception parse may raise: a key to explain it
        assert error.key.startswith("error."), error.key
        return
    assert isinstance(parsed, ParsedCommand)


@fixed(300)
@given(st.text(max_size=60))
def test_the_parser_takes_any_text(line: str) -> None:
    parses_or_explains(registry(), line)
    parses_or_explains(admin_registry(), line)


@fixed(400)
@given(st.sampled_from(WORDS), tails, st.sampled_from(["", " ", "  ", "\t", "\u00a0"]))
def test_every_command_takes_any_arguments(word: str, tail: str, gap: str) -> None:
    parses_or_explains(registry(), f"{word}{gap or ' '}{tail}")
    parses_or_explains(registry(), f"{word.upper()}{gap}{tail}")


@fixed(200)
@given(st.sampled_from(ADMIN_WORDS), tails)
def test_every_admin_command_takes_any_arguments(word: str, tail: str) -> None:
    parses_or_explains(admin_registry(), f"{word} {tail}")


# --------------------------------------------------------------------------- commands, end to end

# What the bot writes whatever the command did: its record of events, messages and jobs.
BOOKKEEPING = {"processedevent", "outboxmessage", "sentmessage", "jobrun", "delayedtask", "auditentry"}


def domain(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {name: rows for name, rows in snapshot(store).items() if name not in BOOKKEEPING}


def test_every_command_answers_any_arguments_without_crashing(sqlite_url: str) -> None:
    """Through the whole pipeline (SQLite): a reply, never the "something went wrong" one; a
    reply that explains a usage error leaves every table as it was."""
    import asyncio

    from bot.chat.events import EventKind
    from tests.support import MemoryAdapter, event, pipeline_for

    services = make_services(sqlite_url, bot={"admins": ["memory:alice"]})
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    count = iter(range(10**6))
    with asyncio.Runner() as runner:
        for who in ("alice", "bob"):
            runner.run(pipeline.handle(adapter, event("skills add Python", who)))

        @fixed(80)
        @given(st.sampled_from(WORDS + [f"admin {w}" for w in ADMIN_WORDS]), tails)
        def check(word: str, tail: str) -> None:
            before, sent = domain(services.store), len(adapter.sent)
            line = f"{word} {tail}"
            runner.run(
                pipeline.handle(
                    adapter, event(line, "alice", kind=EventKind.COMMAND, event_id=f"p{next(count)}")
                )
            )
            answers = [reply.plain for reply in adapter.sent[sent:]]
            assert answers, repr(line)
            assert not any("something went wrong" in text for text in answers), (line, answers)
            if any("\nUsage: " in text for text in answers[:1]):
                assert domain(services.store) == before, (line, answers)

        check()
    services.store.close()
