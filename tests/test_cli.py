"""The `entraide` command: help texts, configuration errors, migrations, clean shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from skills_db.storage import migrate
from skills_db.storage.database import make_engine

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
    errors = tmp_path / "stderr.log"  # a file, not a pipe: nobody needs to drain it meanwhile
    with errors.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [*ENTRAIDE, "--config", str(config), "run"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdin is not None and process.stdout is not None
    stdout = process.stdout
    lines: list[str] = []
    answered = threading.Event()

    def read() -> None:
        for line in stdout:
            lines.append(line)
            if "Noted, you know: Python" in line:
                answered.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        process.stdin.write("skills add Python\n")
        process.stdin.flush()
        # Once the answer is printed the command was handled, and the signal handlers, set before
        # any adapter starts, are in place: SIGTERM now, however long the start took.
        assert answered.wait(timeout=120), "".join(lines) + errors.read_text("utf-8")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdin.close()
    reader.join(timeout=30)
    out, err = "".join(lines), errors.read_text("utf-8")
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


# Options before or after the subcommand -------------------------------------------------------

SUBCOMMANDS = [
    ["run"],
    ["console"],
    ["demo"],
    ["import-history", "threads.jsonl"],
    ["import-profiles", "people.csv"],
    ["match", "terraform"],
    ["db", "upgrade"],
    ["db", "current"],
]


def entraide(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The command in `cwd`, with no ENTRAIDE_* override from the environment running the tests."""
    env = {k: v for k, v in os.environ.items() if k not in ("ENTRAIDE_DATABASE_URL", "ENTRAIDE_LOG_LEVEL")}
    return subprocess.run(
        [*ENTRAIDE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=cwd,
    )


def sqlite_config(folder: Path, name: str) -> tuple[Path, Path]:
    """A config file whose database is `name`.db in `folder`: (config, database file)."""
    database = folder / f"{name}.db"
    config = folder / f"{name}.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n', "utf-8")
    return config, database


def revision(database: Path) -> str | None:
    engine = make_engine(f"sqlite:///{database}")
    try:
        return migrate.current_revision(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=lambda c: " ".join(c))
def test_every_subcommand_takes_config_after_it(tmp_path: Path, command: list[str]) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[routing]\nmode = "shout"\n', "utf-8")
    result = entraide(*command, "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"{config}: routing.mode: must be one of consent, suggest" in result.stderr


@pytest.mark.parametrize(
    "order",
    [
        ["--config", "{config}", "db", "upgrade"],
        ["db", "--config", "{config}", "upgrade"],
        ["db", "upgrade", "--config", "{config}"],
    ],
    ids=["before db", "between db and upgrade", "after upgrade"],
)
def test_db_upgrade_uses_the_config_wherever_it_is_given(tmp_path: Path, order: list[str]) -> None:
    config, database = sqlite_config(tmp_path, "chosen")
    result = entraide(*(str(config) if a == "{config}" else a for a in order), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert revision(database) == migrate.head_revision()


def test_db_current_reads_the_database_of_the_config_given_after_it(tmp_path: Path) -> None:
    config, database = sqlite_config(tmp_path, "chosen")
    engine = make_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    engine.dispose()
    result = entraide("db", "current", "--config", str(config), "--log-level", "DEBUG", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    head = migrate.head_revision()
    assert result.stdout == f"schema revision: {head} (latest: {head})\n"
    assert not (tmp_path / "var").exists()  # not the default database


def test_the_config_after_the_subcommand_wins_over_the_one_before(tmp_path: Path) -> None:
    before, before_db = sqlite_config(tmp_path, "before")
    after, after_db = sqlite_config(tmp_path, "after")
    result = entraide("--config", str(before), "db", "upgrade", "--config", str(after), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert revision(after_db) == migrate.head_revision()
    assert not before_db.exists()


@pytest.mark.parametrize(
    ("levels", "started_logged"),
    [
        ([], True),
        (["run", "--log-level", "WARNING"], False),
        (["--log-level", "WARNING", "run"], False),
        (["--log-level", "INFO", "run", "--log-level", "WARNING"], False),
        (["--log-level", "WARNING", "run", "--log-level", "INFO"], True),
    ],
    ids=["default", "after", "before", "after wins (quieter)", "after wins (louder)"],
)
def test_run_log_level_before_or_after_the_subcommand(
    tmp_path: Path, levels: list[str], started_logged: bool
) -> None:
    config, _ = sqlite_config(tmp_path, "run")
    args = levels or ["run"]
    result = entraide(*args, "--config", str(config), cwd=tmp_path, stdin="skills add Python\n")
    assert result.returncode == 0, result.stderr
    assert "Noted, you know: Python" in result.stdout
    assert ('"message": "started"' in result.stderr) is started_logged, result.stderr


def test_version(tmp_path: Path) -> None:
    from importlib import metadata

    result = entraide("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"entraide {metadata.version('entraide')}\n"


@pytest.mark.parametrize(
    ("args", "usage", "error"),
    [
        (["run", "--bogus"], "usage: entraide", "unrecognized arguments: --bogus"),
        (["run", "--log-level", "LOUD"], "usage: entraide run", "invalid choice: 'LOUD'"),
        (["db", "current", "--config"], "usage: entraide db current", "expected one argument"),
        (
            ["run", "--clock-start", "2026-12-07T09:59:30"],
            "usage: entraide run",
            "argument --clock-start: '2026-12-07T09:59:30' has no time zone: add one",
        ),
        (
            ["run", "--clock-start", "next monday"],
            "usage: entraide run",
            "argument --clock-start: 'next monday' is not an ISO 8601 date and time",
        ),
    ],
)
def test_a_bad_option_shows_usage_and_exits_2(
    tmp_path: Path, args: list[str], usage: str, error: str
) -> None:
    result = entraide(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(usage) and error in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_run_with_a_rehearsal_clock_starts_at_the_time_given(tmp_path: Path) -> None:
    config, _ = sqlite_config(tmp_path, "rehearsal")
    # Paris in winter is UTC+1; the console's /time says the bot's time, in UTC.
    args = ["run", "--config", str(config), "--clock-start", "2026-12-07T09:00:00+01:00"]
    result = entraide(*args, cwd=tmp_path, stdin="/time +1m\n")
    assert result.returncode == 0, result.stderr
    assert "rehearsal clock: the bot's time starts at 2026-12-07T08:00:00" in result.stderr
    assert "time is now 2026-12-07 08:01 UTC" in result.stdout


@pytest.mark.parametrize("source", ["file", "/dev/null"])
def test_the_console_reads_its_input_from_a_file_too(tmp_path: Path, source: str) -> None:
    # A file or /dev/null cannot be watched by the event loop (epoll refuses them): the console
    # must still read it, and stop at its end, rather than hang.
    lines = tmp_path / "lines.txt"
    lines.write_text("need help with terraform state locking\n/time +3d\n", "utf-8")
    path = str(lines) if source == "file" else source
    with open(path, "rb") as stdin:
        command = [*ENTRAIDE, "demo"]
        result = subprocess.run(
            command, stdin=stdin, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path
        )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "PermissionError" not in result.stderr
    if source == "file":
        assert "I asked a colleague privately about Terraform" in result.stdout
        assert "(time is now" in result.stdout


def test_match_without_a_need_says_so_before_reading_anything(tmp_path: Path) -> None:
    config, _database = sqlite_config(tmp_path, "empty")
    result = entraide("match", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().endswith("entraide match: give the need as TEXT, or --batch FILE")
    assert result.stdout == ""
    # Said before the indexes were built or saved: no snapshot was written for an empty question.
    assert not list(tmp_path.glob("empty.db.index*"))
