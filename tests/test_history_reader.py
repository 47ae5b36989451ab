"""Reading Slack exports and JSONL thread files into plain data (skills_db.importers.read)."""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.shared import DEV_DATA
from skills_db.importers.conversations import is_flow_thread
from skills_db.importers.read import (
    HistoryArchive,
    HistoryFileError,
    HistoryThread,
    HistoryUser,
    decode_mrkdwn,
    read_history,
    read_jsonl_threads,
    read_slack_export,
    write_jsonl_threads,
)

DEV_DIR = Path(os.environ.get("ENTRAIDE_DEV_DATA", str(DEV_DATA)))
DEV_ZIPS = sorted(DEV_DIR.glob("*.zip"))
DOCS = Path(__file__).resolve().parent.parent / "docs" / "import-formats.md"

# Checked by hand (jq/python over the raw files, not this reader): users in users.json,
# threads, threads with at least one kept reply, solved threads, standalone messages.
HAND_CHECKED = {
    "se-ai": (330, 368, 368, 212, 53),
    "se-beer": (780, 638, 638, 405, 21),
    "se-coffee": (115, 212, 212, 105, 13),
    "se-matheducators-partial": (360, 382, 382, 188, 12),
    "se-meta-bicycles": (230, 389, 382, 151, 39),  # 44 empty answers skipped
    "se-meta-cstheory": (259, 485, 478, 202, 93),
    "se-meta-datascience": (188, 198, 195, 82, 57),
    "se-meta-french": (148, 230, 229, 83, 32),
    # 2016: no threads; 964 plain messages + 61 file shares; 357 joins/topics/... skipped
    "slack-houstondatavis": (71, 0, 0, 0, 1025),
}

JsonObj = dict[str, Any]


# --------------------------------------------------------------------------- helpers


def dev_ids() -> list[Path | str]:
    return list(DEV_ZIPS) or ["no dev exports found"]


def raw_counts(zip_path: Path) -> dict[str, int]:
    """Counts computed straight from the raw JSON, independently of the reader."""
    with zipfile.ZipFile(zip_path) as zf:
        users = json.loads(zf.read("users.json"))
        channels = json.loads(zf.read("channels.json"))
        bots = {u["id"] for u in users if u.get("is_bot") or u.get("is_app_user") or u["id"] == "USLACKBOT"}
        counts = defaultdict(int)
        counts["non_bot_users"] = len(users) - len(bots)
        for channel in channels:
            days = [n for n in zf.namelist() if n.startswith(channel["name"] + "/")]
            messages = [m for day in days if day.endswith(".json") for m in json.loads(zf.read(day))]
            human = [
                m
                for m in messages
                if m.get("subtype") in (None, "thread_broadcast", "file_share")
                and not m.get("bot_id")
                and m.get("user")
                and m["user"] not in bots
                and (m.get("text", "").strip() or m.get("files") or m.get("file"))
            ]
            roots = {m["ts"]: m for m in human if m.get("thread_ts") == m["ts"]}
            replies = defaultdict(list)
            for m in human:
                if m.get("thread_ts") not in (None, m["ts"]):
                    replies[m["thread_ts"]].append(m)
            counts["threads"] += len(roots)
            counts["with_replies"] += sum(1 for ts in roots if replies[ts])
            counts["solved"] += sum(
                1
                for ts, root in roots.items()
                if any(
                    r["name"] == "white_check_mark" and root["user"] in r["users"]
                    for reply in replies[ts]
                    for r in reply.get("reactions", [])
                )
            )
            counts["standalone"] += sum(1 for m in human if "thread_ts" not in m)
            counts["orphans"] += sum(len(v) for ts, v in replies.items() if ts not in roots)
    return dict(counts)


def summary(archive: HistoryArchive) -> dict[str, int]:
    """The export's own threads; conversations rebuilt from channel flow (tests/test_conversations.py)
    were messages outside threads."""
    threads = [t for t in archive.threads if not is_flow_thread(t)]
    return {
        "non_bot_users": sum(1 for u in archive.users.values() if not u.is_bot),
        "threads": len(threads),
        "with_replies": sum(1 for t in threads if t.replies),
        "solved": sum(1 for t in threads if t.solved_by is not None),
        "standalone": archive.standalone_messages + archive.flow.grouped,
        "orphans": archive.orphan_replies,
    }


def msg(user: str, ts: str | int, text: str = "hello", **extra: Any) -> JsonObj:
    return {"type": "message", "user": user, "text": text, "ts": ts, **extra}


def check(*users: str) -> list[JsonObj]:
    return [{"name": "white_check_mark", "users": list(users), "count": len(users)}]


def write_export(
    target: Path,
    days: dict[str, Any],
    *,
    users: Any = None,
    channels: Any = None,
    as_zip: bool = True,
) -> Path:
    """A small export: ``days`` maps "channel/YYYY-MM-DD.json" to its content (or raw text)."""
    files: dict[str, str | bytes] = {
        "users.json": json.dumps(USERS if users is None else users),
        "channels.json": json.dumps(CHANNELS if channels is None else channels),
    }
    for name, content in days.items():
        files[name] = content if isinstance(content, str | bytes) else json.dumps(content)
    if as_zip:
        with zipfile.ZipFile(target, "w") as zf:
            for name, text in files.items():
                zf.writestr(name, text)
    else:
        for name, text in files.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            (target / name).write_bytes(data)
    return target


USERS: list[JsonObj] = [
    {
        "id": "U1",
        "name": "alice",
        "real_name": "Alice Martin",
        "tz": "Europe/Paris",
        "profile": {"display_name": "Alice", "real_name": "Alice Martin", "title": "DBA"},
    },
    {"id": "U2", "name": "bob", "real_name": "Bob Stone", "profile": {"display_name": ""}},
    {"id": "U3", "name": "carol", "deleted": True, "profile": {}},
    {"id": "UB", "name": "deploybot", "is_bot": True, "profile": {"real_name": "Deploy"}},
    {"id": "UA", "name": "workflow", "is_app_user": True, "profile": {}},
    {"id": "USLACKBOT", "name": "slackbot", "is_bot": False, "profile": {}},
]
CHANNELS: list[JsonObj] = [{"id": "C1", "name": "help"}, {"id": "C2", "name": "random"}]

T = "1709287200"  # 2024-03-01 10:00:00 UTC
ROOT = f"{T}.000100"
DAYS: dict[str, Any] = {
    "help/2024-03-01.json": [
        msg("U1", "1709280000.000001", "<@U1> has joined", subtype="channel_join"),
        msg(
            "U1",
            ROOT,
            "Vacuum &lt;big&gt; tables? <https://x.test/?a=1&amp;b=2|the doc> <https://y.test> "
            "cc <@U2> <@U9|ghost> <#C2> <#C7|ops> <!here> <!subteam^S1|@dbas> R&amp;D",
            thread_ts=ROOT,
            reply_count=4,
        ),
        msg("UB", "1709287300.000001", "deploying", thread_ts=ROOT, bot_id="B1"),
        msg("UB", "1709287301.000001", "beep", thread_ts=ROOT),  # bot user, no bot_id
        msg("U2", "1709287302.000001", "", thread_ts=ROOT),  # no text, no files
        msg("U3", "1709287400.000001", "plain chatter"),  # no thread_ts; a reply points here
        msg("U2", "1709287500.000001", "", files=[{"id": "F1"}]),  # file only: standalone
        msg("U1", "1709287600.000001", "x", subtype="bot_message"),
        msg("USLACKBOT", "1709287700.000001", "reminder"),
        msg("UA", "1709287800.000001", "workflow says hi"),
    ],
    "help/2024-03-02.json": [
        # checked by someone who is not the thread's author: does not solve it
        msg("U3", "1709373600.000001", "try VACUUM FULL", thread_ts=ROOT, reactions=check("U2")),
        msg("U2", "1709373700.000001", "orphan", thread_ts="1709000000.000001"),
        msg("U2", "1709373800.000001", "to a bot", thread_ts="1709287300.000001"),
        msg("U2", "1709373900.000001", "late root?", thread_ts="1709287400.000001"),
    ],
    "help/2024-03-03.json": [
        # later reply listed first; both checked by the author: the earlier one solved it
        msg("U2", "1709467300.000001", "pg_repack", thread_ts=ROOT, reactions=check("U1")),
        msg(
            "U3",
            "1709467200.000001",
            "autovacuum tuning",
            thread_ts=ROOT,
            subtype="thread_broadcast",
            reactions=check("U2", "U1"),
        ),
    ],
    "random/2024-03-01.json": [
        msg("U2", f"{T}.000100", "same ts, other channel", thread_ts=f"{T}.000100"),
        msg("U1", "1709287201.000001", "ok", thread_ts=f"{T}.000100", reactions=check("U1")),
    ],
    "help/notes.txt": "not a day file",
}


@pytest.fixture()
def synthetic(tmp_path: Path) -> HistoryArchive:
    return read_slack_export(write_export(tmp_path / "synthetic.zip", DAYS))


# --------------------------------------------------------------------------- dev exports


@pytest.mark.parametrize("zip_path", dev_ids(), ids=str)
def test_dev_export_counts(zip_path: Path | str) -> None:
    assert isinstance(zip_path, Path), f"no dev exports found in {DEV_DIR}"
    archive = read_history(zip_path)
    assert summary(archive) == raw_counts(zip_path)
    assert archive.source_path == str(zip_path)
    expected = HAND_CHECKED.get(zip_path.stem)
    if expected is not None:
        got = summary(archive)
        assert (
            len(archive.users),
            got["threads"],
            got["with_replies"],
            got["solved"],
            got["standalone"],
        ) == expected
        assert archive.orphan_replies == 0
    roots = [t.root.posted_at for t in archive.threads]
    assert roots == sorted(roots)
    for thread in archive.threads:
        assert thread.source == "slack-export"
        assert thread.thread_id.endswith(":" + thread.root.ts)
        if is_flow_thread(thread):
            assert any(r.author != thread.root.author for r in thread.replies)
        times = [(r.posted_at, r.ts) for r in thread.replies]
        assert times == sorted(times)
        assert all(r.posted_at > thread.root.posted_at for r in thread.replies)
        assert all(r.text for r in thread.replies)
        if thread.solved_by is not None:
            solver = next(r for r in thread.replies if r.ts == thread.solved_by)
            assert ("white_check_mark", (thread.root.author,)) in solver.reactions
    assert len({t.thread_id for t in archive.threads}) == len(archive.threads)


@pytest.mark.parametrize("zip_path", dev_ids(), ids=str)
def test_dev_export_unpacked_directory_gives_same_archive(zip_path: Path | str, tmp_path: Path) -> None:
    assert isinstance(zip_path, Path), f"no dev exports found in {DEV_DIR}"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp_path)
    from_zip = read_slack_export(zip_path)
    from_dir = read_history(tmp_path)
    assert from_dir.source_path == str(tmp_path)
    assert replace(from_dir, source_path=from_zip.source_path) == from_zip


def test_houstondatavis_is_an_old_export_without_threads() -> None:
    path = DEV_DIR / "slack-houstondatavis.zip"
    archive = read_slack_export(path)
    assert archive.threads and all(is_flow_thread(t) for t in archive.threads)  # all rebuilt
    assert len(archive.users) == 71
    colin = archive.users["U066MTL5U"]
    assert (colin.name, colin.title, colin.tz) == (
        "Colin Nelson",
        "Senior Developer/Jr Product Manager",
        "America/Chicago",
    )
    text = "<@U061A5N1G> <@U066MTL5U> the NYT uses R... fun stories ^^"
    assert decode_mrkdwn(text, archive.users) == (
        "@Neeraj Tandon @Colin Nelson the NYT uses R... fun stories ^^",
        ("U061A5N1G", "U066MTL5U"),
    )


def test_se_coffee_groups_replies_filed_on_later_days() -> None:
    archive = read_slack_export(DEV_DIR / "se-coffee.zip")
    (thread,) = [t for t in archive.threads if t.thread_id == "CCOFFEE0001:1422398031.000100"]
    assert thread.channel == "ask-coffee"
    assert thread.root.author == "UCOFFEE000054"
    assert thread.root.posted_at == datetime(2015, 1, 27, 22, 33, 51, 100, tzinfo=UTC)
    days = {r.posted_at.date().isoformat() for r in thread.replies}
    assert {"2015-01-28", "2015-02-17"} <= days  # root is in 2015-01-27.json
    assert thread.solved_by == "1422403985.000100"
    texts = [m.text for t in archive.threads for m in (t.root, *t.replies)]
    assert any("enthusiasts & aficionados" in text for text in texts)  # raw: "&amp;"
    assert not any("&amp;" in text or "&gt;" in text for text in texts)


# --------------------------------------------------------------------------- synthetic export


def test_synthetic_threads_grouping_and_filtering(synthetic: HistoryArchive) -> None:
    # C1 and C2 roots share a ts: ids differ by channel; then the promoted root
    assert [t.thread_id for t in synthetic.threads] == [
        f"C1:{ROOT}",
        f"C2:{ROOT}",
        "C1:1709287400.000001",
    ]
    help_thread, random_thread, promoted = synthetic.threads
    assert (help_thread.channel, random_thread.channel, promoted.channel) == (
        "help",
        "random",
        "help",
    )
    # bot, bot-user and empty replies dropped; replies filed on later days grouped, time order
    assert [r.ts for r in help_thread.replies] == [
        "1709373600.000001",
        "1709467200.000001",
        "1709467300.000001",
    ]
    assert [r.author for r in help_thread.replies] == ["U3", "U3", "U2"]
    # a message without thread_ts that a later reply points at becomes a thread root
    assert promoted.root.text == "plain chatter"
    assert [r.text for r in promoted.replies] == ["late root?"]
    # the reply whose parent is missing and the one whose parent is a bot message
    assert synthetic.orphan_replies == 2
    assert synthetic.standalone_messages == 1  # the file-only message (text "")
    # join, bot_id, bot user, empty, bot_message subtype, Slackbot, app user
    assert synthetic.skipped_messages == 7


def test_reply_to_message_without_thread_ts_makes_it_a_root(tmp_path: Path) -> None:
    days = {
        "help/2024-03-01.json": [msg("U1", "1709287200.000001", "question")],
        "help/2024-03-05.json": [msg("U2", "1709640000.000001", "answer", thread_ts="1709287200.000001")],
    }
    archive = read_slack_export(write_export(tmp_path / "e.zip", days))
    (thread,) = archive.threads
    assert thread.root.text == "question"
    assert [r.text for r in thread.replies] == ["answer"]
    assert archive.standalone_messages == 0


def test_solved_by_needs_the_thread_authors_check(synthetic: HistoryArchive) -> None:
    help_thread, random_thread, promoted = synthetic.threads
    # 1709373600 is checked by U2 only (not the author U1); of the two replies U1 checked,
    # the earlier one wins although the later one comes first in the file
    assert help_thread.solved_by == "1709467200.000001"
    # the replier checked their own reply; the thread's author (U2) did not
    assert random_thread.root.author == "U2"
    assert random_thread.replies[0].reactions == (("white_check_mark", ("U1",)),)
    assert random_thread.solved_by is None
    assert promoted.solved_by is None


def test_mrkdwn_decoding(synthetic: HistoryArchive) -> None:
    root = synthetic.threads[0].root
    assert root.text == (
        "Vacuum <big> tables? the doc https://y.test cc @Bob Stone @ghost #random #ops @here @dbas R&D"
    )
    assert root.mentions == ("U2", "U9")
    assert root.posted_at == datetime(2024, 3, 1, 10, 0, 0, 100, tzinfo=UTC)
    assert root.ts == ROOT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a &amp;lt; b", ("a &lt; b", ())),
        ("<mailto:a@b.test|a@b.test>", ("a@b.test", ())),
        ("<@U1> and <@U1|alice>", ("@Alice and @Alice", ("U1",))),
        ("<!channel> <!everyone> <!here|here>", ("@channel @everyone @here", ())),
        ("<!date^1392734382^{date}|Feb 18, 2014>", ("Feb 18, 2014", ())),
        ("<https://x.test/?q=a&amp;b|x &amp; y>", ("x & y", ())),
        ("1 < 2 > 0", ("1 < 2 > 0", ())),
        ("*bold* _it_ `code`", ("*bold* _it_ `code`", ())),
    ],
)
def test_decode_mrkdwn_cases(text: str, expected: tuple[str, tuple[str, ...]]) -> None:
    users = {"U1": HistoryUser("U1", "Alice", "Alice M", "", None, False, False)}
    assert decode_mrkdwn(text, users) == expected


def test_users(synthetic: HistoryArchive) -> None:
    users = synthetic.users
    assert list(users) == ["U1", "U2", "U3", "UB", "UA", "USLACKBOT"]
    assert users["U1"] == HistoryUser("U1", "Alice", "Alice Martin", "DBA", "Europe/Paris", False, False)
    assert users["U2"].name == "Bob Stone" and users["U2"].tz is None
    assert users["U3"].name == "carol" and users["U3"].deleted
    assert [h for h, u in users.items() if u.is_bot] == ["UB", "UA", "USLACKBOT"]
    with pytest.raises(TypeError):
        users["U9"] = users["U1"]  # type: ignore[index]


def test_private_conversations_only_on_request(tmp_path: Path) -> None:
    path = write_export(
        tmp_path / "full.zip",
        {
            "help/2024-03-01.json": [msg("U1", ROOT, "q", thread_ts=ROOT)],
            "secret/2024-03-01.json": [msg("U1", ROOT, "private q", thread_ts=ROOT)],
            "D1/2024-03-01.json": [msg("U2", ROOT, "dm", thread_ts=ROOT)],
            "groups.json": [{"id": "G1", "name": "secret"}],
            "dms.json": [{"id": "D1", "members": ["U1", "U2"]}],
        },
    )
    assert [t.channel for t in read_slack_export(path).threads] == ["help"]
    full = read_slack_export(path, include_private=True)
    assert sorted(t.thread_id for t in full.threads) == [f"C1:{ROOT}", f"D1:{ROOT}", f"G1:{ROOT}"]
    # Only the public channel's thread may be quoted to others or named in a shout-out.
    assert {t.thread_id: t.public for t in full.threads} == {
        f"C1:{ROOT}": True,
        f"D1:{ROOT}": False,
        f"G1:{ROOT}": False,
    }


def test_export_zipped_inside_a_folder(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "nested.zip", "w") as zf:
        zf.writestr("Acme Slack export/users.json", json.dumps(USERS))
        zf.writestr("Acme Slack export/channels.json", json.dumps(CHANNELS))
        zf.writestr(
            "Acme Slack export/help/2024-03-01.json",
            json.dumps([msg("U1", ROOT, "q", thread_ts=ROOT)]),
        )
    assert len(read_history(tmp_path / "nested.zip").threads) == 1


# --------------------------------------------------------------------------- broken exports


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "dir"])
@pytest.mark.parametrize(
    ("member", "content", "expected"),
    [
        (
            "help/2024-03-02.json",
            '[{"ts": "1.0", "user": "U1"',
            "help/2024-03-02.json: invalid JSON",
        ),
        (
            "help/2024-03-02.json",
            [msg("U1", "1709287200.1"), {"type": "message", "user": "U1", "text": "no ts"}],
            "help/2024-03-02.json record 1: missing 'ts'",
        ),
        (
            "help/2024-03-02.json",
            [msg("U1", "1.0"), 17],
            "help/2024-03-02.json record 1: message is not an object",
        ),
        (
            "help/2024-03-02.json",
            [msg("U1", "yesterday")],
            "help/2024-03-02.json record 0: invalid 'ts'",
        ),
        (
            "help/2024-03-02.json",
            [msg("U1", 1709287200)],
            "help/2024-03-02.json record 0: 'ts' is not a string",
        ),
        (
            "help/2024-03-02.json",
            {"messages": []},
            "help/2024-03-02.json: expected a JSON array of messages",
        ),
        ("users.json", {"members": []}, "users.json: expected a JSON array of users"),
        ("users.json", [{"name": "no id"}], "users.json record 0: missing 'id'"),
        ("channels.json", [{"id": "C1"}], "channels.json record 0: missing 'name'"),
        ("help/2024-03-02.json", b'[{"text": "caf\xe9"}]', "help/2024-03-02.json: not UTF-8"),
    ],
)
def test_broken_export_names_member_and_record(
    tmp_path: Path, as_zip: bool, member: str, content: Any, expected: str
) -> None:
    days: dict[str, Any] = {"help/2024-03-01.json": [msg("U1", ROOT, "fine")]}
    users, channels = None, None
    if member == "users.json":
        users = content
    elif member == "channels.json":
        channels = content
    else:
        days[member] = content
    target = tmp_path / "broken.zip" if as_zip else tmp_path
    path = write_export(target, days, users=users, channels=channels, as_zip=as_zip)
    with pytest.raises(HistoryFileError) as info:
        read_history(path)
    prefix = f"{path}:" if as_zip else f"{path}/"
    assert str(info.value).startswith(prefix + expected)
    assert info.value.path.startswith(prefix)


def test_not_an_export(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as zf:
        zf.writestr("cat.jpg", b"\xff\xd8")
    with pytest.raises(HistoryFileError, match=r"photos\.zip: not a Slack export"):
        read_history(tmp_path / "photos.zip")
    (tmp_path / "fake.zip").write_text("not a zip")
    with pytest.raises(HistoryFileError, match=r"fake\.zip: not a readable zip file"):
        read_history(tmp_path / "fake.zip")
    with pytest.raises(HistoryFileError, match="no such file"):
        read_history(tmp_path / "missing.zip")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(HistoryFileError, match="unsupported"):
        read_history(tmp_path / "notes.txt")


def test_error_message_format() -> None:
    error = HistoryFileError("se-beer.zip:ask-beer/2016-01-02.json", "17", "missing 'ts'")
    assert str(error) == "se-beer.zip:ask-beer/2016-01-02.json record 17: missing 'ts'"
    assert (error.path, error.record, error.reason) == (
        "se-beer.zip:ask-beer/2016-01-02.json",
        "17",
        "missing 'ts'",
    )
    assert str(HistoryFileError("x.jsonl", "3", "bad", kind="line")) == "x.jsonl line 3: bad"
    assert str(HistoryFileError("x.zip", "", "not a zip")) == "x.zip: not a zip"


# --------------------------------------------------------------------------- JSONL


def doc_example() -> str:
    match = re.search(r"```jsonl\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert match, "docs/import-formats.md has no ```jsonl example"
    return match.group(1)


def test_jsonl_documented_example(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(doc_example(), encoding="utf-8")
    archive = read_history(path)
    assert archive.source_path == str(path)
    assert list(archive.users) == ["alice", "bob", "carol"]
    assert archive.users["bob"].title == "SRE, Kubernetes"
    assert archive.users["alice"].tz == "Europe/Paris"
    first, second = archive.threads
    assert (first.source, first.thread_id, first.channel) == ("jsonl", "help-42", "ask-infra")
    assert [r.author for r in first.replies] == ["bob", "carol"]
    assert first.replies[1].posted_at == datetime(2024, 3, 1, 10, 7, 30, tzinfo=UTC)
    assert first.replies[1].mentions == ("bob",)
    assert first.solved_by == "2024-03-01T10:05:00Z" == first.replies[0].ts
    assert second.thread_id == "ask-infra:2024-03-02T09:00:00Z"
    assert second.solved_by == "r1"
    assert second.replies[0].reactions == (("white_check_mark", ("carol",)),)


@pytest.mark.parametrize("zip_path", dev_ids(), ids=str)
def test_jsonl_round_trip(zip_path: Path | str, tmp_path: Path) -> None:
    assert isinstance(zip_path, Path), f"no dev exports found in {DEV_DIR}"
    original = read_slack_export(zip_path)
    out = tmp_path / "threads.jsonl"
    lines = write_jsonl_threads(original, out)
    assert lines == len(original.users) + len(original.threads)
    back = read_jsonl_threads(out)
    assert dict(back.users) == dict(original.users)
    assert back.threads == tuple(replace(t, source="jsonl") for t in original.threads)


def test_jsonl_round_trip_synthetic(synthetic: HistoryArchive, tmp_path: Path) -> None:
    write_jsonl_threads(synthetic, tmp_path / "s.jsonl")
    back = read_history(tmp_path / "s.jsonl")
    assert back.threads == tuple(replace(t, source="jsonl") for t in synthetic.threads)
    assert back.users == synthetic.users


def jsonl_thread(**overrides: Any) -> str:
    thread: JsonObj = {
        "channel": "c",
        "root": {"author": "a", "text": "q", "ts": "2024-03-01T10:00:00Z"},
        "replies": [{"author": "b", "text": "r", "ts": "2024-03-01T10:01:00Z"}],
    }
    thread.update(overrides)
    return json.dumps(thread)


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ('{"root": ', "invalid JSON"),
        ("[1, 2]", "line is not a JSON object"),
        ('{"type": "channel"}', "unknown line type 'channel'"),
        ('{"type": "user", "name": "x"}', "missing 'handle'"),
        ('{"type": "user", "handle": "x", "is_bot": "no"}', "'is_bot' must be true or false"),
        (jsonl_thread(root=None), "root is not an object"),
        (json.dumps({"channel": "c"}), "missing 'root'"),
        (jsonl_thread(root={"text": "q", "ts": "2024-03-01T10:00:00Z"}), "root: missing 'author'"),
        (jsonl_thread(root={"author": "a", "ts": "2024-03-01T10:00:00Z"}), "root: missing 'text'"),
        (jsonl_thread(root={"author": "a", "text": "q"}), "root: missing 'ts'"),
        (
            jsonl_thread(replies=[{"author": "b", "text": "r", "ts": "2024-03-01T10:01"}]),
            "replies[0]: 'ts' has no time zone",
        ),
        (
            jsonl_thread(replies=[{"author": "b", "text": "r", "ts": "1709287200.000100"}]),
            "replies[0]: 'ts' is not ISO 8601",
        ),
        (jsonl_thread(solved_by=1), "'solved_by' 1 is not a reply index"),
        (jsonl_thread(solved_by=True), "'solved_by' must be"),
        (jsonl_thread(solved_by="nope"), "'solved_by' 'nope' is not the id of a reply"),
        (jsonl_thread(replies={"author": "b"}), "'replies' must be a list"),
        (
            jsonl_thread(replies=[{"author": "b", "text": "r", "ts": "2024-03-01T10:00:00Z"}]),
            "two messages share an id/ts",
        ),
        (jsonl_thread(thread_id="t1"), "duplicate thread_id 't1' (line 1)"),
        (
            jsonl_thread(
                replies=[
                    {
                        "author": "b",
                        "text": "r",
                        "ts": "2024-03-01T10:01:00Z",
                        "reactions": [{"name": 1}],
                    }
                ]
            ),
            "replies[0]: reactions[0]: 'name' must be a string",
        ),
    ],
)
def test_jsonl_errors_name_the_line(tmp_path: Path, bad_line: str, reason: str) -> None:
    path = tmp_path / "bad.jsonl"
    good = jsonl_thread(thread_id="t1")
    path.write_text(f"{good}\n\n{bad_line}\n{good.replace('t1', 't2')}\n", encoding="utf-8")
    with pytest.raises(HistoryFileError) as info:
        read_jsonl_threads(path)
    assert str(info.value).startswith(f"{path} line 3: {reason}")
    assert (info.value.record, info.value.kind) == ("3", "line")


def test_jsonl_not_utf8_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(jsonl_thread().encode() + b"\n" + '{"x": "é"}'.encode("latin-1") + b"\n")
    with pytest.raises(HistoryFileError, match=r"latin\.jsonl line 2: not UTF-8"):
        read_history(path)
    with pytest.raises(HistoryFileError, match="cannot read"):
        read_jsonl_threads(tmp_path / "missing.jsonl")


def test_jsonl_defaults_and_sorting(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    later = jsonl_thread(
        root={"author": "a", "text": "second", "ts": "2024-03-02T10:00:00+02:00"},
        replies=[
            {
                "author": "b",
                "text": "late",
                "ts": "2024-03-02T09:00:00Z",
                "reactions": [{"name": "white_check_mark", "users": ["a"]}],
            },
            {
                "author": "c",
                "text": "@b @nobody early",
                "ts": "2024-03-02T08:30:00Z",
                "reactions": [{"name": "white_check_mark", "users": ["a"]}],
            },
        ],
    )
    earlier = jsonl_thread(
        solved_by=None,
        replies=[
            {
                "author": "b",
                "text": "r",
                "ts": "2024-03-01T10:01:00Z",
                "reactions": [{"name": "white_check_mark", "users": ["a"]}],
            }
        ],
    )
    path.write_text("\ufeff" + later + "\r\n" + earlier + "\n", encoding="utf-8")
    archive = read_history(path)
    first, second = archive.threads
    assert first.root.text == "q" and first.solved_by is None  # explicit null wins
    assert second.root.posted_at == datetime(2024, 3, 2, 8, 0, tzinfo=UTC)
    assert [r.text for r in second.replies] == ["@b @nobody early", "late"]
    assert second.replies[0].mentions == ("b",)
    assert second.solved_by == "2024-03-02T08:30:00Z"  # first checked reply in time order
    assert second.thread_id == "c:2024-03-02T10:00:00+02:00"
    assert dict(archive.users) == {}


def test_history_thread_is_frozen(synthetic: HistoryArchive) -> None:
    thread: HistoryThread = synthetic.threads[0]
    with pytest.raises(AttributeError):
        thread.solved_by = None  # type: ignore[misc]
