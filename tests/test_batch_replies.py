"""`entraide match --batch` with reply records: replies in a need's thread are evidence for the
needs after them, as they would be live."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.matching.batch import BatchMatcher, Query, Reply, read_stream
from skills_db.importers.model import HistoryFileError
from skills_db.storage.models import HelpReply, HelpThread, Identity, Person, SkillClaim
from skills_db.storage.store import Store
from tests.support import make_services

TABLES = (Person, Identity, HelpThread, HelpReply, SkillClaim)

# Words no skill of the vocabulary covers: only the reply can say who knows them.
NEED_A = {
    "id": "A",
    "text": "How do I do the flux capacitor calibration?",
    "asker": "amy",
    "created": "2026-03-02T09:00:00Z",
}
ZOE = {
    "type": "reply",
    "need": "A",
    "author": "zoe",
    "created": "2026-03-02T09:30:00Z",
    "text": "Flux capacitor calibration: turn the dial until the gauge reads 1.21",
    "solved": True,
}
NEED_B = {
    "type": "need",
    "id": "B",
    "text": "flux capacitor calibration drifts again",
    "asker": "bob",
    "created": "2026-03-05T10:00:00Z",
}
# Someone else known for something else, so that a ranking of one is not all there is.
NEED_C = {
    "id": "C",
    "text": "our sourdough starter smells of acetone",
    "asker": "cid",
    "created": "2026-03-01T08:00:00Z",
}
MAX = {
    "type": "reply",
    "need": "C",
    "author": "max",
    "created": "2026-03-01T08:20:00Z",
    "text": "feed the sourdough starter twice a day",
}


def write(path: Path, *lines: dict[str, Any] | str) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for line in lines:
            handle.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.__name__: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in TABLES
        }


def ranked(line: dict[str, Any]) -> list[str]:
    return [next(iter(c["handles"].values()), "") for c in line["candidates"]]


def test_a_reply_in_a_need_thread_ranks_its_author_for_the_next_similar_need(
    tmp_path: Path, database_url: str
) -> None:
    services = make_services(database_url)
    # Out of time order on purpose: the reply is taken in before need B, as it came before it.
    stream = read_stream(write(tmp_path / "s.jsonl", NEED_B, NEED_C, NEED_A, MAX, ZOE))
    assert [type(item) for item in stream] == [Query, Query, Query, Reply, Reply]
    lines = list(BatchMatcher(services).run(stream))
    assert [line["id"] for line in lines] == ["C", "A", "B"]  # one line per need, in time order
    by_id = {line["id"]: line for line in lines}
    assert by_id["B"]["skills"] == []  # no skill recognised: the words alone find her
    assert ranked(by_id["B"])[0] == "zoe"
    assert "zoe" not in ranked(by_id["A"])  # her reply came after need A was matched
    store = services.store
    zoe = store.find_person_by_handle("zoe")
    assert zoe is not None and not zoe.deleted
    with store.session() as session:
        replies = session.exec(sa.select(HelpReply.person_id, HelpReply.solved)).all()  # type: ignore[call-overload]
        assert sorted(replies) == sorted([(zoe.id, True), (store.find_person_by_handle("max").id, False)])  # type: ignore[union-attr]


def test_without_the_reply_line_its_author_is_not_ranked(tmp_path: Path, database_url: str) -> None:
    services = make_services(database_url)
    lines = list(
        BatchMatcher(services).run(read_stream(write(tmp_path / "s.jsonl", NEED_C, MAX, NEED_A, NEED_B)))
    )
    assert "zoe" not in ranked(lines[-1])
    assert services.store.find_person_by_handle("zoe") is None


def test_the_asker_replying_in_their_own_thread_is_not_evidence(tmp_path: Path, database_url: str) -> None:
    services = make_services(database_url)
    own = {**ZOE, "author": "amy"}
    lines = list(BatchMatcher(services).run(read_stream(write(tmp_path / "s.jsonl", NEED_A, own, NEED_B))))
    assert "amy" not in ranked(lines[-1])
    assert counts(services.store)["HelpReply"] == 0


def run_cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "ENTRAIDE_DATABASE_URL": url},
    )


def test_match_batch_cli_learns_from_reply_lines(tmp_path: Path, database_url: str) -> None:
    stream = write(tmp_path / "s.jsonl", NEED_C, MAX, NEED_A, ZOE, NEED_B)
    result = run_cli("match", "--batch", str(stream), "--json", url=database_url)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["C", "A", "B"]
    assert ranked(lines[-1])[0] == "zoe"


BAD_STREAMS = {
    # a reply dated before its need is not evidence of anything yet
    "early": ([NEED_C, MAX, {**ZOE, "created": "2026-03-01T00:00:00Z"}, NEED_A], 3),
    "unknown need": ([NEED_A, {**ZOE, "need": "nope"}], 2),
    "no author": ([NEED_A, {k: v for k, v in ZOE.items() if k != "author"}], 2),
    "bad solved": ([NEED_A, {**ZOE, "solved": "yes"}], 2),
    "unknown type": ([NEED_A, {**ZOE, "type": "reaction"}], 2),
    "not json": ([NEED_A, "{reply"], 2),
}


@pytest.mark.parametrize("case", BAD_STREAMS, ids=str)
def test_a_bad_reply_line_is_named(tmp_path: Path, case: str) -> None:
    lines, number = BAD_STREAMS[case]
    path = write(tmp_path / "bad.jsonl", *lines)
    with pytest.raises(HistoryFileError) as raised:
        read_stream(path)
    assert str(raised.value).startswith(f"{path} line {number}:")


def test_match_batch_cli_refuses_a_bad_reply_line_and_changes_nothing(
    tmp_path: Path, database_url: str
) -> None:
    store = Store.open(database_url)
    before = counts(store)
    path = write(tmp_path / "bad.jsonl", NEED_C, MAX, NEED_A, {**ZOE, "need": "nope"}, NEED_B)
    result = run_cli("match", "--batch", str(path), url=database_url)
    assert result.returncode == 1
    assert f"{path} line 4: reply to need 'nope'" in result.stderr
    assert result.stdout == ""
    assert counts(store) == before
    store.close()


def test_a_reply_by_someone_opted_out_of_matching_records_nothing(tmp_path: Path, database_url: str) -> None:
    services = make_services(database_url)
    zoe = services.store.person_for("slack", "zoe", "Zoe")
    services.store.update_person(zoe.id or 0, matching_opt_out=True)
    lines = list(BatchMatcher(services).run(read_stream(write(tmp_path / "s.jsonl", NEED_A, ZOE, NEED_B))))
    assert "zoe" not in ranked(lines[-1])
    assert counts(services.store)["HelpReply"] == 0
