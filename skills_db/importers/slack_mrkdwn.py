"""Slack mrkdwn -> plain text (mentions, channel links, URLs, the three escaped characters)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from skills_db.importers.model import HistoryUser

# <@U1>, <#C1|name>, <!here>, <!date^...|fallback>, <scheme:...|label>; a "<" followed by
# anything else (a raw "1 < 2 > 0" in converted data) is left as it is.
_MARKUP = re.compile(
    r"<(?P<target>[@#][^\s<>|]+|![^<>|\n]+|[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>|]+)"
    r"(?:\|(?P<label>[^<>\n]*))?>"
    r"|&(?P<entity>amp|lt|gt);"
)
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_BROADCASTS = frozenset({"here", "channel", "everyone"})


def unescape_slack(text: str) -> str:
    """Undo Slack's escaping of ``&``, ``<`` and ``>`` (nothing else is escaped)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def decode_mrkdwn(
    text: str,
    users: Mapping[str, HistoryUser],
    channels: Mapping[str, str] | None = None,
) -> tuple[str, tuple[str, ...]]:
    """Slack mrkdwn -> (plain text, handles mentioned).

    ``<@U1>`` -> ``@Name`` (the user's name; else the label; else the id), ``<#C1|general>`` ->
    ``#general``, ``<!here>`` -> ``@here``, ``<url|label>`` -> ``label``, ``<url>`` -> ``url``;
    ``&amp; &lt; &gt;`` unescaped. Bold/italic markers are left alone.
    """
    mentions: list[str] = []
    channel_names = channels or {}

    def replace(match: re.Match[str]) -> str:
        entity = match.group("entity")
        if entity is not None:
            return _ENTITIES[entity]
        target = match.group("target")
        label = unescape_slack(match.group("label") or "")
        if target.startswith("@"):
            handle = target[1:]
            if handle and handle not in mentions:
                mentions.append(handle)
            user = users.get(handle)
            name = user.name if user is not None else (label.lstrip("@") or handle)
            return f"@{name}"
        if target.startswith("#"):
            channel_id = target[1:]
            return "#" + (label.lstrip("#") or channel_names.get(channel_id, channel_id))
        if target.startswith("!"):
            command = target[1:]
            if command in _BROADCASTS:
                return f"@{command}"
            if command.startswith("subteam^"):
                return "@" + (label.lstrip("@") or command.removeprefix("subteam^"))
            return label  # <!date^...|fallback>, unknown commands: their fallback text
        return label or unescape_slack(target)

    return _MARKUP.sub(replace, text), tuple(mentions)
