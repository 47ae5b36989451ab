"""The `entraide` command: help texts, configuration errors, migrations, clean shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skills_db.storage import migrate
from skills_db.storage.store import make_engine

ENTRAIDE = [sys.executable, "-m", "bot.cli"]


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ENTRAIDE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def test_help_says_what_each_command_does() -> None:
    result = run("--help")
    assert result.returncode == 0
    for word in ("run", "console", "demo", "db"):
        assert word in result.stdout
    for sub in (["run"], ["console"], ["demo"], ["db", "upgrade"]):
        sub_help = run(*sub, "--help")
        assert sub_help.returncode == 0 and "usage: entraide" in sub_help.stdout


def test_bad_config_names_file_and_key_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[routing]\nmode = "shout"\n', "utf-8")
    result = run("--config", str(config), "db", "upgrade")
    assert result.returncode == 2
    assert f"{config}: routing.mode: must be one of consent, suggest" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_on_the_url_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    result = run("db", "upgrade", env={"ENTRAIDE_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert migrate.current_revision(make_engine(url)) == migrate.head_revision()


def test_run_stops_cleanly_on_sigterm_with_json_logs(tmp_path: Path) -> None:
    config = tmp_path / "entraide.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/run.db"\n', "utf-8")
    process = subprocess.Popen(
        [*ENTRAIDE, "--config", str(config), "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write("skills add Python\n")
    process.stdin.flush()
    deadline = time.monotonic() + 60
    db = tmp_path / "run.db"
    while time.monotonic() < deadline and not db.exists():
        time.sleep(0.1)
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Noted, you know: Python" in out
    assert '"message": "stopping: finishing the handlers in flight"' in err
    assert '"message": "stopped"' in err
    assert '"event_id": "console-' in err


@pytest.mark.parametrize("command", [["console", "--script", "/nonexistent/script.txt"]])
def test_missing_script_is_a_clear_error(command: list[str]) -> None:
    result = run(*command)
    assert result.returncode == 2
    assert "/nonexistent/script.txt: file not found" in result.stderr


def test_a_broken_vocabulary_file_names_the_config_key_and_the_line(tmp_path: Path) -> None:
    vocabulary = tmp_path / "extra.jsonl"
    vocabulary.write_text('{"name": "Billing v2", "category": "domain"}\n{"name": \n', "utf-8")
    config = tmp_path / "entraide.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n[matching]\nvocabulary_files = ["{vocabulary}"]\n',
        "utf-8",
    )
    result = run("--config", str(config), "match", "billing")
    assert result.returncode == 2
    assert f"{config}: matching.vocabulary_files[0]: {vocabulary}" in result.stderr
    assert f"{vocabulary}:2: invalid JSON" in result.stderr and "Traceback" not in result.stderr
