"""An import pauses Python's cycle collector while it reads and writes, and always gives it
back as it found it: on after, unless it was off before (see skills_db.importers.collector)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from skills_db.importers.collector import collector_paused
from skills_db.importers.history import import_history
from skills_db.importers.read import HistoryFileError, read_history
from tests.support import make_services


def _paused_during(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[bool]:
    """Whether the collector was on, each time ``module.name`` ran."""
    seen: list[bool] = []
    wrapped = getattr(module, name)

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return wrapped(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


def test_reading_and_importing_pause_the_collector_and_give_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import skills_db.importers.history as history
    import skills_db.importers.read as read

    path = tmp_path / "history.jsonl"
    path.write_text(
        '{"root": {"author": "ann", "text": "how do I lock terraform state?", "ts": "2026-01-05T10:00:00Z"},'
        ' "replies": [{"author": "bob", "text": "use a DynamoDB table", "ts": "2026-01-05T10:05:00Z"}]}\n'
    )
    while_reading = _paused_during(monkeypatch, read, "read_jsonl_threads")
    while_writing = _paused_during(monkeypatch, history, "_write_threads")
    assert gc.isenabled()
    archive = read_history(path)
    assert while_reading == [False] and gc.isenabled()
    services = make_services(f"sqlite:///{tmp_path}/e.db")
    report, _learned = import_history(services.store, archive, services.taxonomy, parallel=False)
    assert report.threads == 1 and while_writing == [False] and gc.isenabled()

    gc.disable()  # off already (by the caller, or another import still running): left off
    try:
        with collector_paused():
            read_history(path)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_broken_file_gives_the_collector_back(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text("{not json\n")
    with pytest.raises(HistoryFileError):
        read_history(path)
    assert gc.isenabled()


def test_the_first_index_build_pauses_the_collector_and_later_refreshes_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = make_services(f"sqlite:///{tmp_path}/e.db")
    store = services.store
    seen = _paused_during(monkeypatch, store, "latest_ids")  # read by every refresh that runs
    services.matcher.refresh()
    assert seen == [False] and gc.isenabled()
    services.matcher.refresh()  # outside a unit of work, each call checks again
    assert seen == [False, True] and gc.isenabled()
