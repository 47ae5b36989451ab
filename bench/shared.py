"""Where the shared data lives: ../shared next to the project, or ENTRAIDE_SHARED."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The shared data folder; the first candidate that exists, else the conventional one."""
    candidates = [
        os.environ.get("ENTRAIDE_SHARED", ""),
        str(ROOT.parent / "shared"),
        "/work/shared",  # where the developers' machines and CI keep it
    ]
    for candidate in candidates:
        if candidate and Path(candidate, "data").is_dir():
            return Path(candidate)
    return ROOT.parent / "shared"


DEV_DATA = shared_dir() / "data" / "dev"
SLACK_SPECS = shared_dir() / "data" / "slack-specs"
