"""Configuration: the example documents every key; bad values name the file and the key."""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.toml"


def _keys(cls: type, prefix: str = "") -> set[str]:
    keys = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name == "source":
            continue
        kind = hints[f.name]
        keys |= _keys(kind, f"{prefix}{f.name}.") if dataclasses.is_dataclass(kind) else {prefix + f.name}
    return keys


def _file_keys(table: dict[str, object], prefix: str = "") -> set[str]:
    keys = set()
    for key, value in table.items():
        keys |= _file_keys(value, f"{prefix}{key}.") if isinstance(value, dict) and value else {prefix + key}
    return keys


def test_example_documents_every_key_with_the_defaults() -> None:
    raw = tomllib.loads(EXAMPLE.read_text("utf-8"))
    assert _file_keys(raw) == _keys(Config)
    loaded = load_config(EXAMPLE, environ={})
    assert dataclasses.replace(loaded, source="x") == dataclasses.replace(Config(), source="x")


def test_every_example_key_has_a_comment() -> None:
    lines = EXAMPLE.read_text("utf-8").splitlines()
    for index, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[index - 1].startswith("#"), f"undocumented key: {line}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '[routing]\nmode = "broadcast"\n',
            "routing.mode: must be one of consent, suggest, not 'broadcast'",
        ),
        ("[routing]\nask_count = 0\n", "routing.ask_count: must be greater than 0, not 0"),
        ('[routing]\nask_count = "3"\n', "routing.ask_count: must be a whole number, not '3'"),
        ("[bot]\nlanguage = 'de'\n", "bot.language: must be one of en, fr, not 'de'"),
        (
            "[bot]\nadmins = ['alice']\n",
            "bot.admins[0]: must look like 'platform:handle', not 'alice'",
        ),
        ("[bot]\nlangauge = 'fr'\n", "bot.langauge: unknown key"),
        ("[databse]\nurl = 'x'\n", "databse: unknown key"),
        (
            "[database]\nurl = 'mysql://x'\n",
            "database.url: must be a sqlite:/// or postgresql:// URL",
        ),
        ("[routing\n", "-: not valid TOML"),
        ("routing = 3\n", "routing: must be a table"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "entraide.toml"
    path.write_text(content, "utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert str(error.value).startswith(f"{path}: {message}")


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "entraide.toml"
    path.write_text('[database]\nurl = "sqlite:///a.db"\n', "utf-8")
    config = load_config(path, environ={"ENTRAIDE_DATABASE_URL": "postgresql://db/x"})
    assert config.database.url == "postgresql://db/x"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", environ={})
