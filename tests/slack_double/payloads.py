"""What Slack sends an app: Events API envelopes, slash commands, interactivity — and the signature.

The shapes follow Slack's documentation and the Events API wrapper schema (checked in the tests
against ``slack_common_event_wrapper_schema.json``).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from tests.slack_double.workspace import APP_ID, BOT_USER, TEAM_ID, Message, Workspace

_event_ids = itertools.count(1)
VERIFICATION_TOKEN = "legacy-verification-token"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, *, age: float = 0.0, content_type: str) -> dict[str, str]:
    timestamp = str(int(time.time() - age))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(secret, timestamp, body),
    }


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{next(_event_ids):010d}",
        "event_time": int(time.time()),
        "authed_users": [BOT_USER],
        "event_context": f"4-{next(_event_ids)}",
    }


def message_events(space: Workspace, message: Message) -> list[dict[str, Any]]:
    """The envelopes Slack sends the bot for a new message: ``message`` where the bot is a member,
    plus ``app_mention`` when the bot is mentioned in a channel."""
    channel = space.channels[message.channel]
    channel_type = {"channel": "channel", "group": "group", "mpim": "mpim", "im": "im"}[channel.kind]
    base = {
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "channel": message.channel,
        "event_ts": message.ts,
        "team": TEAM_ID,
        **({"thread_ts": message.thread_ts} if message.thread_ts else {}),
    }
    found = []
    if BOT_USER in channel.members:
        found.append(envelope({"type": "message", **base, "channel_type": channel_type}))
    if channel.kind != "im" and f"<@{BOT_USER}>" in message.text:
        found.append(envelope({"type": "app_mention", **base}))
    return found


def reaction_event(space: Workspace, user: str, message: Message, name: str) -> dict[str, Any]:
    message.reactions.setdefault(name, []).append(user)
    return envelope(
        {
            "type": "reaction_added",
            "user": user,
            "reaction": name,
            "item_user": message.user,
            "item": {"type": "message", "channel": message.channel, "ts": message.ts},
            "event_ts": space.new_ts(),
        }
    )


def home_opened_event(space: Workspace, user: str) -> dict[str, Any]:
    return envelope(
        {
            "type": "app_home_opened",
            "user": user,
            "channel": space.im_with(user).id,
            "tab": "home",
            "event_ts": space.new_ts(),
        }
    )


def members_changed_event(group: str, added: list[str], removed: list[str]) -> dict[str, Any]:
    """``subteam_members_changed``: who joined and left a user group (a delta, not the list)."""
    now = int(time.time())
    return envelope(
        {
            "type": "subteam_members_changed",
            "subteam_id": group,
            "team_id": TEAM_ID,
            "date_previous_update": now - 60,
            "date_update": now,
            "added_users": added,
            "added_users_count": str(len(added)),
            "removed_users": removed,
            "removed_users_count": str(len(removed)),
            "event_ts": f"{now}.000100",
        }
    )


def command_payload(
    space: Workspace, user: str, channel: str, text: str, response_url: str
) -> dict[str, str]:
    place = space.channels.get(channel)
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": "entraide-test",
        "channel_id": channel,
        "channel_name": "directmessage" if place and place.kind == "im" else (place.name if place else "x"),
        "user_id": user,
        "user_name": space.users[user]["name"],
        "command": "/entraide",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": space.new_trigger(user),
    }


def find_button(blocks: list[dict[str, Any]], label: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The actions block and the button labelled ``label``; a test can only press what exists."""
    for block in blocks:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and (element.get("text") or {}).get("text") == label:
                return block, element
    labels = [
        (e.get("text") or {}).get("text")
        for b in blocks
        for e in b.get("elements") or []
        if e.get("type") == "button"
    ]
    raise AssertionError(f"no button {label!r} among {labels}")


def _action(space: Workspace, block: dict[str, Any], button: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "button",
        "block_id": block.get("block_id", ""),
        "action_id": button["action_id"],
        "text": button["text"],
        "value": button.get("value", ""),
        "action_ts": space.new_ts(),
        **({"style": button["style"]} if "style" in button else {}),
    }


def message_click(
    space: Workspace, user: str, message: Message, label: str, response_url: str
) -> dict[str, Any]:
    block, button = find_button(message.blocks, label)
    return {
        "type": "block_actions",
        "user": {
            "id": user,
            "username": space.users[user]["name"],
            "name": space.users[user]["name"],
            "team_id": TEAM_ID,
        },
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": False,
            **({"thread_ts": message.thread_ts} if message.thread_ts else {}),
        },
        "trigger_id": space.new_trigger(user),
        "team": {"id": TEAM_ID, "domain": "entraide-test"},
        "channel": {"id": message.channel, "name": space.channels[message.channel].name},
        "message": message.as_dict(),
        "response_url": response_url,
        "actions": [_action(space, block, button)],
    }


def home_click(space: Workspace, user: str, label: str) -> dict[str, Any]:
    view = space.home_views[user]
    block, button = find_button(view.get("blocks") or [], label)
    return {
        "type": "block_actions",
        "user": {
            "id": user,
            "username": space.users[user]["name"],
            "name": space.users[user]["name"],
            "team_id": TEAM_ID,
        },
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": space.new_trigger(user),
        "team": {"id": TEAM_ID, "domain": "entraide-test"},
        "view": view,
        "actions": [_action(space, block, button)],
    }


def view_submission(
    space: Workspace, user: str, view: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    """Submit a modal; ``values`` maps each input block id to what the user typed or picked."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input" or block["block_id"] not in values:
            continue
        element = block["element"]
        value = values[block["block_id"]]
        if element["type"] == "static_select":
            option = next(o for o in element["options"] if o["value"] == value)
            state[block["block_id"]] = {
                element["action_id"]: {"type": "static_select", "selected_option": option}
            }
        elif element["type"] == "checkboxes":  # ``value``: the values of the boxes ticked
            ticked = [o for o in element["options"] if o["value"] in value]
            state[block["block_id"]] = {
                element["action_id"]: {"type": "checkboxes", "selected_options": ticked}
            }
        else:
            state[block["block_id"]] = {element["action_id"]: {"type": element["type"], "value": value}}
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "entraide-test"},
        "user": {
            "id": user,
            "username": space.users[user]["name"],
            "name": space.users[user]["name"],
            "team_id": TEAM_ID,
        },
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": space.new_trigger(user),
        "view": {**view, "state": {"values": state}},
        "response_urls": [],
    }


def global_shortcut(space: Workspace, user: str, callback_id: str) -> dict[str, Any]:
    """A global shortcut chosen from Slack's shortcuts menu: no channel, no message."""
    return {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": space.new_ts(),
        "team": {"id": TEAM_ID, "domain": "entraide-test"},
        "user": {"id": user, "username": space.users[user]["name"], "team_id": TEAM_ID},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": space.new_trigger(user),
    }


def form_body(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def interaction_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()
