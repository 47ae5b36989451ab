"""`entraide match` starts in a moment: the command imports what matching needs, not the
running bot's platforms, scheduler or barometer (each takes its share of a second or more)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Never needed to match: the platforms, the scheduler, the barometer's figures and chart.
NOT_FOR_MATCHING = (
    "slack_bolt",
    "slack_sdk",
    "nio",
    "aiohttp",
    "apscheduler",
    "matplotlib",
    "bot.barometer.figures",
    "bot.chat.pipeline",
    "bot.chat.actions",
    "alembic",  # only when the database needs migrating
    "bot.commands",
    "adapters",
)


def test_the_match_command_imports_nothing_of_the_running_bot() -> None:
    # What `entraide match` imports: the parser, then the data commands (bot.cli.main does both).
    script = (
        "import json, sys\n"
        "from bot.cli import build_parser\n"
        "build_parser()\n"
        "import bot.cli.data\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    imported = set(json.loads(done.stdout))
    found = sorted(m for m in imported for name in NOT_FOR_MATCHING if m == name or m.startswith(name + "."))
    assert found == []
