"""One TOML file, validated at start.

A bad value raises :class:`ConfigError` naming the file and the key (``entraide.toml: routing.mode:
must be one of consent, suggest``) — never a traceback, never ``sys.exit`` from deep inside.
"""

from __future__ import annotations

import os
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

LANGUAGES = ("en", "fr")
DEFAULT_CONFIG = Path("entraide.toml")


class ConfigError(ValueError):
    def __init__(self, source: str, key: str, message: str) -> None:
        super().__init__(f"{source}: {key}: {message}")
        self.source = source
        self.key = key


@dataclass(frozen=True)
class BotConfig:
    name: str = "entraide"
    language: Literal["en", "fr"] = "en"  # the workspace default; people may pick their own
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    admins: list[str] = field(default_factory=list)  # "platform:handle", e.g. "console:alice"
    max_message_length: int = 4000
    shutdown_grace_seconds: float = 10.0


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///var/entraide.db"


@dataclass(frozen=True)
class RoutingConfig:
    mode: Literal["consent", "suggest"] = "consent"
    ask_count: int = 3  # people asked at once for one need
    weekly_ask_cap: int = 3  # asks one person gets per week, unless they set their own
    suggestion_count: int = 3  # people named in suggest mode
    offer_days: int = 7  # how long an offer stays active


@dataclass(frozen=True)
class MatchingConfig:
    half_life_days: float = 180.0  # evidence loses half its weight in this time
    min_score: float = 0.05  # below this a candidate is not worth naming


@dataclass(frozen=True)
class ConsoleConfig:
    enabled: bool = False  # `entraide run` starts the console when no other adapter is enabled
    user: str = "you"  # who you are when the console starts
    conversation: str = "general"


@dataclass(frozen=True)
class Config:
    bot: BotConfig = field(default_factory=BotConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    source: str = "built-in defaults"

    def is_admin(self, platform: str, handle: str) -> bool:
        return f"{platform}:{handle}" in self.bot.admins


# Environment variables that override a key; secrets should come from here, not the file.
ENVIRONMENT_OVERRIDES = {
    "ENTRAIDE_DATABASE_URL": ("database", "url"),
    "ENTRAIDE_LOG_LEVEL": ("bot", "log_level"),
}


def load_config(path: str | Path | None = None, environ: typing.Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (or ``./entraide.toml`` if present, else defaults) plus the environment."""
    environ = os.environ if environ is None else environ
    if path is None:
        path = DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None
    raw: dict[str, Any] = {}
    source = "built-in defaults"
    if path is not None:
        source = str(path)
        try:
            with open(path, "rb") as handle:
                raw = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError(source, "-", "file not found") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(source, "-", f"not valid TOML ({error})") from None
    for variable, (section, key) in ENVIRONMENT_OVERRIDES.items():
        if environ.get(variable):
            raw.setdefault(section, {})[key] = environ[variable]
    return config_from_dict(raw, source)


def config_from_dict(raw: dict[str, Any], source: str = "built-in defaults") -> Config:
    config = replace(_build(Config, raw, source, prefix=""), source=source)
    _check(config)
    return config


def _build(cls: type[Any], raw: Any, source: str, prefix: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(source, prefix.rstrip(".") or "-", "must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls) if f.name != "source"}
    for key in raw:
        if key not in known:
            raise ConfigError(source, prefix + key, f"unknown key (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for name in known:
        if name not in raw:
            continue
        kind = hints[name]
        if is_dataclass(kind):
            values[name] = _build(kind, raw[name], source, prefix + name + ".")
        else:
            values[name] = _coerce(kind, raw[name], source, prefix + name)
    return cls(**values)


def _coerce(kind: Any, value: Any, source: str, key: str) -> Any:
    origin = get_origin(kind)
    if origin is Literal:
        allowed = get_args(kind)
        if value not in allowed:
            raise ConfigError(source, key, f"must be one of {', '.join(map(str, allowed))}, not {value!r}")
        return value
    if origin in (types.UnionType, typing.Union):
        options = [a for a in get_args(kind) if a is not type(None)]
        return None if value is None else _coerce(options[0], value, source, key)
    if origin is list:
        (item,) = get_args(kind)
        if not isinstance(value, list):
            raise ConfigError(source, key, "must be a list")
        return [_coerce(item, v, source, f"{key}[{i}]") for i, v in enumerate(value)]
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(source, key, f"must be true or false, not {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(source, key, f"must be a whole number, not {value!r}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(source, key, f"must be a number, not {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(source, key, f"must be a string, not {value!r}")
        return value
    raise ConfigError(source, key, f"unsupported type {kind}")  # a bug in this module


def _check(config: Config) -> None:
    source = config.source
    positive = {
        "bot.max_message_length": config.bot.max_message_length,
        "routing.ask_count": config.routing.ask_count,
        "routing.weekly_ask_cap": config.routing.weekly_ask_cap,
        "routing.suggestion_count": config.routing.suggestion_count,
        "routing.offer_days": config.routing.offer_days,
        "matching.half_life_days": config.matching.half_life_days,
    }
    for key, value in positive.items():
        if value <= 0:
            raise ConfigError(source, key, f"must be greater than 0, not {value}")
    for index, admin in enumerate(config.bot.admins):
        platform, _, handle = admin.partition(":")
        if not platform or not handle:
            raise ConfigError(
                source, f"bot.admins[{index}]", f"must look like 'platform:handle', not {admin!r}"
            )
    url = config.database.url
    if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
        raise ConfigError(source, "database.url", f"must be a sqlite:/// or postgresql:// URL, not {url!r}")
