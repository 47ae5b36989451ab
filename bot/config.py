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
from datetime import time
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    # In help channels/rooms, a message is a need when it starts with this prefix…
    need_prefix: str = "?"
    # …or contains one of these phrases (case and accents ignored).
    need_phrases: list[str] = field(
        default_factory=lambda: [
            "need help",
            "needs help",
            "anyone know",
            "anybody know",
            "besoin d'aide",
            "quelqu'un sait",
            "quelqu'un connait",
        ]
    )


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
    # Local working hours ("HH:MM-HH:MM", "" for always) and ISO weekdays (1 = Monday), in each
    # person's own time zone; people with no known time zone are always reachable.
    working_hours: str = "08:00-19:00"
    working_days: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    # Candidates scoring at least this share of the best one are "comparably relevant": among
    # them, those asked least lately are asked first.
    comparable_ratio: float = 0.6
    # Keep one of the asks for someone who wants to learn the skill, next to the experts.
    learner_slot: bool = True
    # A request for help nobody answered expires after this many of the helper's working hours,
    # and the next colleague is asked.
    ask_expiry_hours: float = 8.0
    # Someone unavailable now (away, off hours, at their weekly cap) who is back within this many
    # hours is asked then, rather than passed over.
    wait_for_hours: float = 72.0
    # This many days after an introduction the asker is asked whether the need was solved.
    solved_check_days: int = 3
    # An open need is closed after this many days, with a last word to the asker.
    close_after_days: int = 14

    @property
    def working_hours_range(self) -> tuple[int, int]:
        start, end = _parse_hours(self.working_hours)
        return start, end


@dataclass(frozen=True)
class MatchingConfig:
    half_life_days: float = 180.0  # skill evidence loses half its weight in this time
    activity_half_life_days: float = 90.0  # same for help given in threads (text and activity)
    # Multipliers of the fitted model's weights (bot/matching/model.py), by kind of evidence:
    # 1.0 keeps the model as fitted on real communities.
    text_weight: float = 1.0  # the need's words against past threads and answers
    skill_weight: float = 1.0  # evidence on the need's recognised skills
    activity_weight: float = 1.0  # help given lately, whatever the topic
    offer_bonus: float = 0.5  # the weight of an active offer on one of the need's skills (set by hand)
    min_score: float = 0.05  # nobody scoring below this share of the best candidate is asked
    vocabulary_files: list[str] = field(default_factory=list)  # extra skills, JSONL like skills.jsonl
    # The bundled vocabulary's skills of hobbies and trades (cooking, cycling, brewing…): an
    # organisation whose people never talk about them may leave them out.
    domain_vocabulary: bool = True
    # Where the snapshot of the indexes is kept for a quick start (bot.matching.snapshot); a
    # SQLite database keeps it next to its file ("<file>.index") unless this says otherwise.
    index_cache: str = ""


@dataclass(frozen=True)
class ThanksConfig:
    # Thanks one person may give, and one person may receive, per day (their own day, UTC when
    # their time zone is unknown): more would be noise, or a way to game the shout-outs.
    max_given_per_day: int = 10
    max_received_per_day: int = 10


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass(frozen=True)
class ShoutoutChannelConfig:
    """What one channel changes of the [shoutouts] defaults (empty: the default)."""

    day: Weekday | None = None
    time: str = ""
    timezone: str = ""
    language: Literal["", "en", "fr"] = ""
    max_people: int | None = None


@dataclass(frozen=True)
class ShoutoutsConfig:
    # Where to post, as "platform:conversation": "slack:C0123ABC", "matrix:!room:example.org",
    # "console:general". Empty: no shout-outs.
    channels: list[str] = field(default_factory=list)
    day: Weekday = "monday"
    time: str = "10:00"  # "HH:MM" in `timezone`
    timezone: str = "UTC"
    language: Literal["", "en", "fr"] = ""  # the post's language; "" for [bot] language
    max_people: int = 3  # people named in one post at most
    # A post missed while the bot was down is sent when it is back within this many hours, once.
    grace_hours: float = 12.0
    # Helping someone who arrived within this many days counts extra.
    newcomer_days: int = 30
    # Ask each person first ("may we mention you?"), this many hours before the post.
    ask_first: bool = False
    answer_hours: float = 24.0
    # With ask_first, those who did not answer by the post are "include"d or "omit"ted.
    if_no_answer: Literal["include", "omit"] = "include"
    channel: dict[str, ShoutoutChannelConfig] = field(default_factory=dict)  # per-channel changes


@dataclass(frozen=True)
class BarometerConfig:
    # Any figure about fewer people than this is not shown (at least 5: it can only be raised).
    min_group_size: int = 5
    weeks: int = 4  # the period `admin barometer` covers by default, in weeks
    # A weekly barometer posted to the managers' channel ("platform:conversation"; "" for none).
    channel: str = ""
    day: Weekday = "monday"
    time: str = "09:00"
    timezone: str = "UTC"
    language: Literal["", "en", "fr"] = ""
    grace_hours: float = 12.0


@dataclass(frozen=True)
class RetentionConfig:
    """How long what people wrote is kept (see SECURITY.md); skill evidence is kept until forget-me."""

    # Texts (needs, offers, thanks, help threads and replies, the bot's messages in the outbox,
    # quotes in the reasons of requests and in audit details) are blanked after this many days.
    text_days: int = 180
    audit_days: int = 365  # audit entries are deleted after this many days
    # Processed-event records (and delivered outbox rows) are deleted after this many days: the
    # 30 days they were always kept.
    processed_days: int = 30


@dataclass(frozen=True)
class PrivacyConfig:
    # Salts the hashes kept of erased identities (skills_db.storage.erasure); "" for one generated
    # once and stored in the database. Set here, a copy of the database alone cannot test handles
    # against the hashes; it must then never change.
    erasure_salt: str = ""


@dataclass(frozen=True)
class ConsoleConfig:
    enabled: bool = False  # `entraide run` starts the console when no other adapter is enabled
    user: str = "you"  # who you are when the console starts
    conversation: str = "general"


@dataclass(frozen=True)
class SlackConfig:
    enabled: bool = False
    mode: Literal["socket", "http"] = "socket"
    bot_token: str = ""  # xoxb-…, or SLACK_BOT_TOKEN
    app_token: str = ""  # xapp-…, Socket Mode only, or SLACK_APP_TOKEN
    signing_secret: str = ""  # HTTP mode only, or SLACK_SIGNING_SECRET
    host: str = "0.0.0.0"
    port: int = 3000
    help_channels: list[str] = field(default_factory=list)  # channel ids or names
    # Members of this user group (S…) are community managers, besides [bot] admins.
    admin_usergroup: str = ""
    api_url: str = "https://slack.com/api/"


@dataclass(frozen=True)
class MatrixConfig:
    enabled: bool = False
    homeserver: str = ""  # https://matrix.example.org
    user_id: str = ""  # @entraide:example.org
    password: str = ""  # or ENTRAIDE_MATRIX_PASSWORD
    access_token: str = ""  # or ENTRAIDE_MATRIX_ACCESS_TOKEN; preferred over the password
    device_id: str = ""  # kept across restarts; found in the store directory when empty
    store_dir: str = "var/matrix-store"  # the end-to-end encryption keys live here
    command_prefix: str = "!entraide"
    help_rooms: list[str] = field(default_factory=list)  # room ids or aliases
    admin_room: str = ""  # members with power level >= admin_power_level there are managers
    admin_power_level: int = 50
    allowed_servers: list[str] = field(default_factory=list)  # accept invites from these servers
    allowed_rooms: list[str] = field(default_factory=list)  # …or into these rooms


@dataclass(frozen=True)
class Config:
    bot: BotConfig = field(default_factory=BotConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    thanks: ThanksConfig = field(default_factory=ThanksConfig)
    shoutouts: ShoutoutsConfig = field(default_factory=ShoutoutsConfig)
    barometer: BarometerConfig = field(default_factory=BarometerConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    matrix: MatrixConfig = field(default_factory=MatrixConfig)
    source: str = "built-in defaults"

    def is_admin(self, platform: str, handle: str) -> bool:
        return f"{platform}:{handle}" in self.bot.admins


# Environment variables that override a key; secrets should come from here, not the file.
ENVIRONMENT_OVERRIDES = {
    "ENTRAIDE_DATABASE_URL": ("database", "url"),
    "ENTRAIDE_LOG_LEVEL": ("bot", "log_level"),
    "SLACK_BOT_TOKEN": ("slack", "bot_token"),
    "SLACK_APP_TOKEN": ("slack", "app_token"),
    "SLACK_SIGNING_SECRET": ("slack", "signing_secret"),
    "ENTRAIDE_MATRIX_PASSWORD": ("matrix", "password"),
    "ENTRAIDE_MATRIX_ACCESS_TOKEN": ("matrix", "access_token"),
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
    config: Config = replace(_build(Config, raw, source, prefix=""), source=source)
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
        if isinstance(kind, type) and is_dataclass(kind):
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
    if origin is dict:
        _, item = get_args(kind)
        if not isinstance(value, dict):
            raise ConfigError(source, key, "must be a table")
        if isinstance(item, type) and is_dataclass(item):
            return {name: _build(item, v, source, f"{key}.{name}.") for name, v in value.items()}
        return {name: _coerce(item, v, source, f"{key}.{name}") for name, v in value.items()}
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
        "routing.ask_expiry_hours": config.routing.ask_expiry_hours,
        "routing.solved_check_days": config.routing.solved_check_days,
        "routing.close_after_days": config.routing.close_after_days,
        "matching.half_life_days": config.matching.half_life_days,
        "thanks.max_given_per_day": config.thanks.max_given_per_day,
        "thanks.max_received_per_day": config.thanks.max_received_per_day,
        "shoutouts.max_people": config.shoutouts.max_people,
        "shoutouts.grace_hours": config.shoutouts.grace_hours,
        "shoutouts.newcomer_days": config.shoutouts.newcomer_days,
        "shoutouts.answer_hours": config.shoutouts.answer_hours,
        "barometer.weeks": config.barometer.weeks,
        "barometer.grace_hours": config.barometer.grace_hours,
        "matching.activity_half_life_days": config.matching.activity_half_life_days,
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
    _check_platforms(config)
    routing = config.routing
    if routing.working_hours:
        try:
            _parse_hours(routing.working_hours)
        except ValueError:
            raise ConfigError(
                source,
                "routing.working_hours",
                f"must look like '08:00-19:00', not {routing.working_hours!r}",
            ) from None
    for index, day in enumerate(routing.working_days):
        if not 1 <= day <= 7:
            raise ConfigError(source, f"routing.working_days[{index}]", f"must be 1 (Monday) to 7, not {day}")
    if not 0 < routing.comparable_ratio <= 1:
        raise ConfigError(source, "routing.comparable_ratio", "must be greater than 0 and at most 1")
    _check_shoutouts(config)
    _check_barometer(config)
    _check_retention(config)
    url = config.database.url
    if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
        raise ConfigError(source, "database.url", f"must be a sqlite:/// or postgresql:// URL, not {url!r}")


def _check_shoutouts(config: Config) -> None:
    source, shoutouts = config.source, config.shoutouts
    for index, channel in enumerate(shoutouts.channels):
        platform, _, conversation = channel.partition(":")
        # Any platform an adapter names (slack, matrix, console, or one added later).
        if not platform.isalnum() or not platform.islower() or not conversation:
            raise ConfigError(
                source,
                f"shoutouts.channels[{index}]",
                "must look like 'slack:C0123ABC', 'matrix:!room:example.org' or 'console:general',"
                f" not {channel!r}",
            )
    for name, override in shoutouts.channel.items():
        if name not in shoutouts.channels:
            raise ConfigError(source, f"shoutouts.channel.{name}", "is not one of shoutouts.channels")
        if override.max_people is not None and override.max_people <= 0:
            raise ConfigError(source, f"shoutouts.channel.{name}.max_people", "must be greater than 0")
    for prefix, at, zone in [("shoutouts", shoutouts.time, shoutouts.timezone)] + [
        (f"shoutouts.channel.{name}", o.time, o.timezone) for name, o in shoutouts.channel.items()
    ]:
        if at:
            try:
                parse_clock_time(at)
            except ValueError:
                raise ConfigError(source, f"{prefix}.time", f"must look like '10:00', not {at!r}") from None
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(source, f"{prefix}.timezone", f"unknown time zone {zone!r}") from None


def _check_barometer(config: Config) -> None:
    source, barometer = config.source, config.barometer
    if barometer.min_group_size < 5:
        raise ConfigError(
            source,
            "barometer.min_group_size",
            f"must be at least 5 (it can only be raised), not {barometer.min_group_size}",
        )
    if barometer.channel:
        platform, _, conversation = barometer.channel.partition(":")
        if not platform.isalnum() or not platform.islower() or not conversation:
            raise ConfigError(
                source, "barometer.channel", f"must look like 'slack:C0123ABC', not {barometer.channel!r}"
            )
    try:
        parse_clock_time(barometer.time)
    except ValueError:
        raise ConfigError(
            source, "barometer.time", f"must look like '09:00', not {barometer.time!r}"
        ) from None
    try:
        ZoneInfo(barometer.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(source, "barometer.timezone", f"unknown time zone {barometer.timezone!r}") from None


def _check_retention(config: Config) -> None:
    retention = config.retention
    for name in ("text_days", "audit_days", "processed_days"):
        days = getattr(retention, name)
        if days < 1:
            raise ConfigError(
                config.source, f"retention.{name}", f"must be a number of days, at least 1, not {days}"
            )


def parse_clock_time(text: str) -> time:
    """ "10:00" → time(10, 0); ValueError when malformed."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(text)
    return time(int(hours), int(minutes))


def _parse_hours(text: str) -> tuple[int, int]:
    """ "08:00-19:00" → minutes since midnight (480, 1140); ValueError when malformed."""
    start, _, end = text.partition("-")
    minutes = []
    for part in (start, end):
        hours, _, mins = part.strip().partition(":")
        value = int(hours) * 60 + int(mins or 0)
        if not 0 <= value <= 24 * 60:
            raise ValueError(text)
        minutes.append(value)
    if minutes[0] >= minutes[1]:
        raise ValueError(text)
    return minutes[0], minutes[1]


def _check_platforms(config: Config) -> None:
    source, slack, matrix = config.source, config.slack, config.matrix
    if slack.enabled:
        if not slack.bot_token:
            raise ConfigError(
                source, "slack.bot_token", "required when slack is enabled (or SLACK_BOT_TOKEN)"
            )
        if slack.mode == "socket" and not slack.app_token:
            raise ConfigError(source, "slack.app_token", "required in socket mode (or SLACK_APP_TOKEN)")
        if slack.mode == "http" and not slack.signing_secret:
            raise ConfigError(
                source, "slack.signing_secret", "required in http mode (or SLACK_SIGNING_SECRET)"
            )
    if matrix.enabled:
        for key in ("homeserver", "user_id"):
            if not getattr(matrix, key):
                raise ConfigError(source, f"matrix.{key}", "required when matrix is enabled")
        if not matrix.password and not matrix.access_token:
            raise ConfigError(
                source, "matrix.password", "a password or an access_token is required when matrix is enabled"
            )
        if not matrix.user_id.startswith("@") or ":" not in matrix.user_id:
            raise ConfigError(
                source, "matrix.user_id", f"must look like @name:server, not {matrix.user_id!r}"
            )
