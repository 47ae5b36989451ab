"""Who is a community manager on Matrix: power level in the admin room, creators included.

Room version 12 (Synapse's default) takes the creators out of ``m.room.power_levels``: the
``m.room.create`` sender and its ``additional_creators`` have unlimited power, so a room created
by the community manager would otherwise make them an ordinary member.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# Room versions with the "privileged creators" rules (MSC4289); numbered versions from 12 on.
_PRIVILEGED_CREATOR_VERSIONS = {"org.matrix.hydra.11"}


def creators_privileged(room_version: str) -> bool:
    if room_version in _PRIVILEGED_CREATOR_VERSIONS:
        return True
    return room_version.isdigit() and int(room_version) >= 12


def creators(create_event: Mapping[str, Any] | None) -> set[str]:
    """The room's creators when their version makes them all-powerful; else empty."""
    if not create_event:
        return set()
    content = create_event.get("content")
    content = content if isinstance(content, Mapping) else {}
    version = content.get("room_version", "1")
    if not isinstance(version, str) or not creators_privileged(version):
        return set()
    found = set()
    sender = create_event.get("sender")
    if isinstance(sender, str):
        found.add(sender)
    extra = content.get("additional_creators")
    for user_id in extra if isinstance(extra, list) else []:
        if isinstance(user_id, str):
            found.add(user_id)
    return found


def power_level(
    user_id: str, create_event: Mapping[str, Any] | None, power_levels: Mapping[str, Any] | None
) -> float:
    if user_id in creators(create_event):
        return math.inf
    if power_levels is None and create_event and create_event.get("sender") == user_id:
        return 100.0  # the spec's rule for a room without a power levels event
    content = (power_levels or {}).get("content")
    content = content if isinstance(content, Mapping) else {}
    users = content.get("users")
    users = users if isinstance(users, Mapping) else {}
    level = users.get(user_id, content.get("users_default", 0))
    try:
        return float(level)
    except (TypeError, ValueError):
        return 0.0


def is_manager(
    user_id: str,
    create_event: Mapping[str, Any] | None,
    power_levels: Mapping[str, Any] | None,
    threshold: int,
) -> bool:
    return power_level(user_id, create_event, power_levels) >= threshold
