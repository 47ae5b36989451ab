"""The checks the Slack tests rely on, checked themselves; and the app manifest against Slack's specs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from tests.slack_double import payloads
from tests.slack_double.checks import ApiError
from tests.slack_double.spec_check import envelope_problems, event_scopes, web_api_spec
from tests.slack_double.workspace import BOT_USER, Workspace

ROOT = Path(__file__).resolve().parents[1]
# Granular bot scopes (2020) that the 2021 spec still lists under their older, broader names.
GRANULAR = {"chat:write:bot": "chat:write", "chat:write:user": "chat:write"}
# Joining a channel: the spec says channels:write; bots have asked channels:join since 2020.
# The upload flow (newer than the spec, so in the supplement, which gives no scopes) needs files:write.
METHOD_SCOPES = {
    "conversations.join": ("channels:join",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
}


def test_the_spec_check_catches_what_slack_would_refuse() -> None:
    spec = web_api_spec()
    assert spec.problems("chat.postMessage", ["channel", "text", "thread_ts"], has_token=True) == []
    assert spec.problems("chat.postMessage", ["channel", "text", "team_id"], has_token=True) == []
    assert spec.problems("chat.postMesage", ["channel"], has_token=True) == [
        "chat.postMesage: no such Web API method"
    ]
    assert spec.problems("chat.postEphemeral", ["channel", "text", "colour"], has_token=True) == [
        "chat.postEphemeral: missing required parameter 'user'",
        "chat.postEphemeral: unknown parameter 'colour'",
    ]
    assert spec.problems("views.publish", ["user_id", "view"], has_token=False) == [
        "views.publish: called without a token"
    ]
    assert spec.problems("apps.connections.open", [], has_token=True) == []  # newer than the spec


def test_the_spec_check_takes_what_slack_added_since_from_the_supplement_and_nothing_more() -> None:
    spec = web_api_spec()
    assert spec.problems("chat.postMessage", ["channel", "text", "metadata"], has_token=True) == []
    assert spec.problems("chat.update", ["channel", "ts", "text", "metadata"], has_token=True) == []
    history = ["channel", "limit", "include_all_metadata"]
    assert spec.problems("conversations.history", history, has_token=True) == []
    assert spec.problems(
        "chat.postMessage", ["channel", "text", "metadata", "event_payload"], has_token=True
    ) == ["chat.postMessage: unknown parameter 'event_payload'"]
    # Not in the supplement for conversations.replies: the adapter does not look in threads.
    assert spec.problems(
        "conversations.replies", ["channel", "ts", "include_all_metadata"], has_token=True
    ) == ["conversations.replies: unknown parameter 'include_all_metadata'"]
    assert spec.problems("files.getUploadURLExternal", ["filename"], has_token=True) == [
        "files.getUploadURLExternal: missing required parameter 'length'"
    ]


def test_the_doubles_history_is_top_level_newest_first_with_metadata_on_request() -> None:
    space = Workspace()
    space.add_user("U0ALICE", "Alice")
    space.add_channel("C0KUDOS", "kudos", ["U0ALICE", BOT_USER])
    tagged = {"event_type": "entraide_message", "event_payload": {"key": "k"}}
    first = space.api_chat_postMessage({"channel": "C0KUDOS", "text": "one", "metadata": tagged})
    space.add_message("C0KUDOS", "U0ALICE", "in the thread", thread_ts=first["ts"])
    loud = {
        "channel": "C0KUDOS",
        "text": "also in the channel",
        "thread_ts": first["ts"],
        "reply_broadcast": "1",
    }
    broadcast = space.api_chat_postMessage(loud)
    last = space.add_message("C0KUDOS", "U0ALICE", "two")
    page = space.api_conversations_history({"channel": "C0KUDOS", "limit": "2", "include_all_metadata": "1"})
    assert [m["ts"] for m in page["messages"]] == [last.ts, broadcast["ts"]] and page["has_more"]
    cursor = page["response_metadata"]["next_cursor"]
    rest = space.api_conversations_history(
        {"channel": "C0KUDOS", "cursor": cursor, "include_all_metadata": "true"}
    )
    assert [m["ts"] for m in rest["messages"]] == [first["ts"]] and not rest["has_more"]
    assert rest["messages"][0]["metadata"] == tagged
    plain = space.api_conversations_history({"channel": "C0KUDOS", "oldest": first["ts"]})
    assert [m["ts"] for m in plain["messages"]] == [last.ts, broadcast["ts"]]  # oldest is exclusive
    assert all(
        "metadata" not in m for m in space.api_conversations_history({"channel": "C0KUDOS"})["messages"]
    )
    space.api_chat_update({"channel": "C0KUDOS", "ts": first["ts"], "text": "one, edited"})
    assert space.find_message("C0KUDOS", first["ts"]).metadata == tagged  # kept without the argument
    for broken in ({"event_type": 3, "event_payload": {}}, {"event_type": "x"}, "not json", ["x"]):
        with pytest.raises(ApiError, match="invalid_metadata_format"):
            space.api_chat_postMessage({"channel": "C0KUDOS", "text": "x", "metadata": broken})
    space.add_channel("C0ELSE", "elsewhere", ["U0ALICE"])
    with pytest.raises(ApiError, match="not_in_channel"):
        space.api_conversations_history({"channel": "C0ELSE"})


def test_the_doubles_payloads_match_the_events_api_wrapper_schema() -> None:
    space = Workspace()
    space.add_user("U0ALICE", "Alice")
    space.add_channel("C0HELP", "help", ["U0ALICE", "U0BOT"])
    message = space.add_message("C0HELP", "U0ALICE", "<@U0BOT> anyone know Go?")
    envelopes = [
        *payloads.message_events(space, message),
        payloads.reaction_event(space, "U0ALICE", message, "white_check_mark"),
        payloads.home_opened_event(space, "U0ALICE"),
    ]
    assert [e["event"]["type"] for e in envelopes] == [
        "message",
        "app_mention",
        "reaction_added",
        "app_home_opened",
    ]
    for envelope in envelopes:
        assert envelope_problems(envelope) == []
    assert envelope_problems(payloads.members_changed_event("S0MANAGERS", ["U0ALICE"], [])) == []
    broken = {k: v for k, v in envelopes[0].items() if k != "event_id"}
    assert envelope_problems(broken) == ["-: 'event_id' is a required property"]


def test_slack_signs_as_documented() -> None:
    # The example from Slack's "Verifying requests from Slack" page.
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert payloads.signature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "slack-manifest.yml").read_text("utf-8"))
    return data


def test_the_manifest_enables_what_the_adapter_uses() -> None:
    manifest = _manifest()
    settings, features = manifest["settings"], manifest["features"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert features["app_home"]["home_tab_enabled"] is True
    [command] = features["slash_commands"]
    assert command["command"] == "/entraide" and command["should_escape"] is True
    listened = set(re.findall(r'"(\w+)"', _source("app.py").split("for name in (", 1)[1].split(")", 1)[0]))
    events = set(settings["event_subscriptions"]["bot_events"])
    assert {e.split(".")[0] for e in events} == listened  # message.channels/groups/im are "message"


def _source(name: str) -> str:
    return (ROOT / "adapters" / "slack" / name).read_text("utf-8")


def test_the_manifest_grants_every_scope_the_bot_needs() -> None:
    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    needed_by_events = event_scopes()
    for event in _manifest()["settings"]["event_subscriptions"]["bot_events"]:
        missing = set(needed_by_events.get(event, [])) - scopes
        assert not missing, f"{event} needs {missing}"
    assert {"commands", "app_mentions:read"} <= scopes
    # A resend reads the history of the channel or DM it goes to, of whichever kind it is.
    assert {"channels:history", "groups:history", "im:history"} <= scopes
    spec = web_api_spec()
    code = "".join(_source(p.name) for p in (ROOT / "adapters" / "slack").glob("*.py"))
    methods = {
        m.replace("_", ".")
        for m in re.findall(
            r"\.((?:auth|chat|conversations|files|reactions|users|usergroups|views)_[A-Za-z_]+)\(", code
        )
    }
    if ".files_upload_v2(" in code:  # slack_sdk's name for the flow's two methods (and the POST)
        methods |= {"files.getUploadURLExternal", "files.completeUploadExternal"}
    assert "files.upload" not in methods  # retired
    assert {"chat.postMessage", "chat.postEphemeral", "conversations.open", "views.publish"} <= methods
    assert "usergroups.users.list" in methods
    for method in sorted(methods):
        allowed = METHOD_SCOPES.get(method) or tuple(GRANULAR.get(s, s) for s in spec.methods[method].scopes)
        assert "none" in allowed or scopes & set(allowed), f"{method} needs one of {allowed}"


@pytest.mark.parametrize("path", ["docs/slack.md"])
def test_the_setup_guide_covers_both_modes(path: str) -> None:
    guide = (ROOT / path).read_text("utf-8")
    for needed in (
        "slack-manifest.yml",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "/slack/events",
    ):
        assert needed in guide
