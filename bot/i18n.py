"""Message catalogues: every user-facing text, in English and French.

Templates use ``{name}`` placeholders. :meth:`Catalog.render` keeps a :class:`Mention` value as
its own segment, so adapters can turn it into a real platform mention.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from bot.chat.events import Mention, Segment

_FORMATTER = string.Formatter()


class Catalog:
    def __init__(self, messages: dict[str, dict[str, str]], default_language: str = "en") -> None:
        self.messages = messages
        self.default_language = default_language

    @classmethod
    def load(cls, default_language: str = "en") -> Catalog:
        return cls(_load_all(), default_language)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.messages)

    def template(self, language: str | None, key: str) -> str:
        table = self.messages.get(language or self.default_language) or self.messages["en"]
        if key in table:
            return table[key]
        return self.messages["en"][key]  # a KeyError here is a bug: the key is missing in English

    def text(self, language: str | None, key: str, **values: Any) -> str:
        return "".join(
            part if isinstance(part, str) else f"@{part.user.label}"
            for part in self.render(language, key, **values)
        )

    def render(self, language: str | None, key: str, **values: Any) -> tuple[Segment, ...]:
        if values.get("count") == 1 and f"{key}_one" in self.messages["en"]:
            key = f"{key}_one"
        parts: list[Segment] = []
        for literal, field, spec, _conversion in _FORMATTER.parse(self.template(language, key)):
            if literal:
                parts.append(literal)
            if field is None:
                continue
            value = values[field]
            if isinstance(value, Mention):
                parts.append(value)
            elif isinstance(value, tuple):  # already rendered segments
                parts.extend(value)
            else:
                parts.append(format(value, spec or ""))
        return tuple(_merge(parts))


def _merge(parts: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return merged


@cache
def _load_all() -> dict[str, dict[str, str]]:
    messages: dict[str, dict[str, str]] = {}
    for language in ("en", "fr"):
        data = resources.files("bot.locales").joinpath(f"{language}.toml").read_text("utf-8")
        messages[language] = _flatten(tomllib.loads(data))
    return messages


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat
