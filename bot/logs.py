"""Structured logs: one line per record, with the event id and platform when there is one.

Privacy: at INFO and above, records carry ids, kinds and counts, never what people wrote. An
exception's message may quote it (a parse error citing a line, a database error citing a row),
so failures are logged at ERROR with :func:`failure` — the exception's type and where it was
raised — and in full only at DEBUG. As a safety net the formatters print, for any record at
INFO or above, a traceback without exception messages unless the configured level is DEBUG
(``reveal``): DEBUG may carry message texts, and is documented so (README, SECURITY.md).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from types import TracebackType
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def failure(error: BaseException) -> dict[str, Any]:
    """What an INFO+ record may say of an exception: its type and the frames it went through,
    never its message (or that of its causes)."""
    return {"error": type(error).__name__, "trace": _frames(error.__traceback__)}


def log_failure(
    logger: logging.Logger, message: str, error: BaseException, extra: dict[str, Any] | None = None
) -> None:
    """An exception at ERROR without its message (:func:`failure`), then in full at DEBUG."""
    # stacklevel: the record names the caller's line, not this one.
    logger.error(message, extra={**(extra or {}), **failure(error)}, stacklevel=2)
    logger.debug(message, exc_info=error, extra=extra, stacklevel=2)


def _frames(tb: TracebackType | None) -> str:
    return " > ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in traceback.extract_tb(tb)
    )


def _chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


class _Redacting(logging.Formatter):
    def __init__(self, reveal: bool = False) -> None:
        super().__init__()
        self.reveal = reveal

    def exception_text(self, record: logging.LogRecord) -> str:
        info = record.exc_info
        if not info or info[1] is None:
            return ""
        if self.reveal or record.levelno < logging.INFO:
            return self.formatException(info)
        # Types and frames only: enough to find the bug, nothing of what was being handled.
        return "\n".join(
            f"{type(e).__name__} (message hidden below DEBUG) at {_frames(e.__traceback__)}"
            for e in _chain(info[1])
        )


class JsonFormatter(_Redacting):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            line["error"] = self.exception_text(record)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(_Redacting):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in record.__dict__.items() if k not in _STANDARD)
        text = (
            f"{self.formatTime(record, '%H:%M:%S')} {record.levelname} {record.name}: {record.getMessage()}"
        )
        text = f"{text} {extras}" if extras else text
        if record.exc_info:
            text += "\n" + self.exception_text(record)
        return text


def setup_logging(level: str, fmt: str = "json", stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    reveal = level.upper() == "DEBUG"
    handler.setFormatter(JsonFormatter(reveal) if fmt == "json" else TextFormatter(reveal))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("sqlalchemy", "alembic", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
