"""Logs carry event ids, never what people wrote: a rich flow (need, request, accept, thanks, an
offer, a DM, an import, a failing handler, a failing import) with every logger captured at
DEBUG, and not one record at INFO or above — message, arguments, ``extra`` fields, exception
and its causes — quotes any of the texts. DEBUG may (documented in SECURITY.md): the failing
handler's exception is there in full.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.console import ConsoleAdapter
from bot.app import run_adapters
from bot.chat.events import EventKind
from bot.chat.pipeline import Pipeline
from bot.commands import imports
from bot.jobs import MovableClock
from bot.logs import JsonFormatter, TextFormatter
from tests.support import MemoryAdapter, event, make_services, pipeline_for

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday

SECRETS = ("xylophone", "zanzibar", "quokka", "pelican", "marmalade", "walrus", "gazebo")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def everything_said(record: logging.LogRecord) -> str:
    """All a record carries that a log line could show."""
    parts = [record.getMessage(), repr(record.args)]
    parts.extend(f"{k}={v!r}" for k, v in record.__dict__.items() if k not in _STANDARD)
    if record.exc_info and record.exc_info[1] is not None:
        error: BaseException | None = record.exc_info[1]
        while error is not None:
            parts.append(f"{type(error).__name__}: {error}")
            error = error.__cause__ or error.__context__
    if record.exc_text:
        parts.append(record.exc_text)
    return "\n".join(parts).lower()


def history(path: Path) -> Path:
    lines = [json.dumps({"type": "user", "handle": h, "name": h.title()}) for h in ("asker", "helper")]
    thread = {
        "thread_id": "t1",
        "channel": "ask-infra",
        "root": {"author": "asker", "text": "the marmalade pipeline breaks", "ts": "2024-03-01T10:00:00Z"},
        "replies": [{"author": "helper", "text": "pin the marmalade version", "ts": "2024-03-01T10:05:00Z"}],
        "solved_by": 0,
    }
    lines.append(json.dumps(thread))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_no_record_at_info_or_above_quotes_what_people_wrote(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, everything
    clock = MovableClock(START)
    services = make_services(database_url, clock.now, bot={"admins": ["console:cam"]})

    # A handler that fails quoting the text it was given, as a parse error would.
    dispatch = Pipeline._dispatch

    def failing(self: Pipeline, ctx: Any, incoming: Any) -> None:
        if "gazebo" in incoming.text:
            raise ValueError(f"could not understand {incoming.text!r}")
        dispatch(self, ctx, incoming)

    monkeypatch.setattr(Pipeline, "_dispatch", failing)
    good = history(tmp_path / "good.jsonl")
    broken_batch = history(tmp_path / "again.jsonl")
    real_batch = imports._batch

    def batch(*args: Any, **kwargs: Any) -> Any:
        if str(args[1].source_path).endswith("again.jsonl"):  # the chunk of the archive
            raise RuntimeError("thread t1 'the walrus question' refused")
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(imports, "_batch", batch)
    script = f"""
/as Alice
skills add Terraform
/as you
need help with terraform state locking in the xylophone bucket
/as Alice
accept
/as you
solved 1
thanks @Alice for the zanzibar workaround
offer quokka migrations with terraform
gazebo explode
/as cam
admin import-history {good} --platform console
/time +1m
admin import-history {broken_batch} --platform console
/time +2m
"""
    out = io.StringIO()
    adapter = ConsoleAdapter(script=script.strip().splitlines(), output=out)
    assert await asyncio.wait_for(run_adapters(services, [adapter], clock=clock), timeout=120)
    # A DM to the bot on another platform.
    memory = MemoryAdapter()
    await pipeline_for(services, memory).handle(
        memory,
        event("need a pelican review of my terraform module", "erin", kind=EventKind.MESSAGE, is_direct=True),
    )
    said = out.getvalue() + "".join(str(r.body) for r in memory.sent)
    assert "xylophone" in said and "zanzibar" in said and "Imported" in said  # the flow happened
    assert "stopped after 0 of 1 threads (RuntimeError)" in said and len(memory.sent) == 1

    records = caplog.records
    failed = [r for r in records if r.getMessage() == "handler failed"]
    assert [r.levelname for r in failed] == ["ERROR", "DEBUG"]
    assert getattr(failed[0], "error", None) == "ValueError" and failed[0].event_id  # type: ignore[attr-defined]
    assert "gazebo" in everything_said(failed[1])  # DEBUG carries the whole exception
    assert any(r.getMessage() == "history import stopped" and r.levelno == logging.ERROR for r in records)
    events = [r for r in records if r.getMessage() == "event"]
    assert len(events) == 10 and all(getattr(r, "event_id", "") for r in events)  # one INFO line each, by id

    leaks = [
        (r.levelname, r.name, r.getMessage(), secret)
        for r in records
        if r.levelno >= logging.INFO
        for secret in SECRETS
        if secret in everything_said(r)
    ]
    assert leaks == []
    # The formatters as configured below DEBUG print no exception message either (a safety net
    # for a record logged with exc_info at INFO or above anywhere).
    for formatter in (JsonFormatter(), TextFormatter()):
        lines = "\n".join(formatter.format(r) for r in records if r.levelno >= logging.INFO).lower()
        assert [s for s in SECRETS if s in lines] == []


def test_the_formatters_hide_exception_messages_unless_the_level_is_debug() -> None:
    try:
        raise KeyError("the xylophone need")
    except KeyError:
        record = logging.getLogger("t").makeRecord("t", logging.ERROR, "f", 1, "boom", (), sys.exc_info())
    hidden = JsonFormatter().format(record)
    assert "xylophone" not in hidden and "KeyError" in hidden and "test_log_privacy.py" in hidden
    assert "xylophone" in JsonFormatter(reveal=True).format(record)
    assert "xylophone" in TextFormatter(reveal=True).format(record)
