"""Slack payloads → events, on payloads shaped like the ones Slack sends (see Slack's docs)."""

from __future__ import annotations

from typing import Any

from adapters.slack.translate import (
    action_event,
    command_event,
    mention_event,
    message_event,
    parse_text,
    reaction_event,
    unescape,
    user_ids_in,
)
from bot.chat.events import ButtonPress, EventKind, UserRef, said_in_public

NAMES = {"U0ALICE": "Alice", "U0BOB": "Bob"}


def envelope(event: dict[str, Any], event_id: str = "Ev01") -> dict[str, Any]:
    return {
        "token": "t",
        "team_id": "T1",
        "api_app_id": "A1",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1700000000,
        "authed_users": ["U0BOT"],
    }


CHANNEL_MESSAGE = envelope(
    {
        "type": "message",
        "channel": "C0HELP",
        "user": "U0ALICE",
        "text": (
            "anyone know <@U0BOB|bob> &amp; Terraform? "
            "see <https://ex.com/a?b=1&amp;c=2|the doc> in <#C0DEV|dev>"
        ),
        "ts": "1700000000.000100",
        "event_ts": "1700000000.000100",
        "channel_type": "channel",
    }
)


def test_message_text_is_unescaped_and_mentions_become_tokens() -> None:
    event = message_event(CHANNEL_MESSAGE, bot_user_id="U0BOT", names=NAMES, in_help_channel=True)
    assert event is not None
    assert event.text == "anyone know @U0BOB & Terraform? see the doc (https://ex.com/a?b=1&c=2) in #dev"
    assert event.mentions == (UserRef("slack", "U0BOB", "Bob"),)
    assert event.sender == UserRef("slack", "U0ALICE", "Alice")
    assert (event.kind, event.event_id, event.conversation) == (EventKind.MESSAGE, "Ev01", "C0HELP")
    assert event.in_help_channel and not event.is_direct
    # A top-level message roots its own thread: the bot answers under it.
    assert event.thread == event.message_id == "1700000000.000100"


def test_a_reply_in_a_thread_points_at_the_thread_root() -> None:
    payload = envelope({**CHANNEL_MESSAGE["event"], "thread_ts": "1699999999.000001"})
    event = message_event(payload, bot_user_id="U0BOT", names=NAMES, in_help_channel=True)
    assert event is not None and event.thread == "1699999999.000001"


def test_direct_messages_are_direct_and_unthreaded() -> None:
    payload = envelope(
        {**CHANNEL_MESSAGE["event"], "channel": "D0ALICE", "channel_type": "im", "text": "skills list"}
    )
    event = message_event(payload, bot_user_id="U0BOT", names=NAMES, in_help_channel=False)
    assert event is not None and event.is_direct and event.thread is None and not event.in_help_channel


def test_private_channels_and_group_dms_are_private_and_what_is_said_there_is_not_public() -> None:
    seen = {}
    for channel_type in ("channel", "group", "mpim"):
        payload = envelope({**CHANNEL_MESSAGE["event"], "channel": "G0X", "channel_type": channel_type})
        event = message_event(payload, bot_user_id="U0BOT", names=NAMES, in_help_channel=True)
        assert event is not None and event.in_help_channel
        seen[channel_type] = (event.is_private, said_in_public(event))
    assert seen == {"channel": (False, True), "group": (True, False), "mpim": (True, False)}
    # Mentions and slash commands do not say: the adapter asks Slack and passes the answer in.
    mention = envelope({"type": "app_mention", "channel": "G0X", "user": "U0ALICE", "text": "<@U0BOT> hi"})
    event = mention_event(
        mention, bot_user_id="U0BOT", names=NAMES, in_help_channel=True, is_command=bool, is_private=True
    )
    assert event is not None and event.is_private and not said_in_public(event)
    command = command_event(
        {"user_id": "U0ALICE", "channel_id": "G0X", "text": "help"}, names={}, is_private=True
    )
    assert command.is_private


def test_edits_joins_and_mentions_of_the_bot_are_not_messages_to_handle() -> None:
    for subtype in ("message_changed", "message_deleted", "channel_join"):
        payload = envelope({**CHANNEL_MESSAGE["event"], "subtype": subtype})
        assert message_event(payload, bot_user_id="U0BOT", names=NAMES, in_help_channel=True) is None
    mentioning = envelope({**CHANNEL_MESSAGE["event"], "text": "<@U0BOT> skills list"})
    assert message_event(mentioning, bot_user_id="U0BOT", names=NAMES, in_help_channel=True) is None


def test_other_bots_are_flagged() -> None:
    payload = envelope({**CHANNEL_MESSAGE["event"], "subtype": "bot_message", "bot_id": "B0OTHER"})
    event = message_event(payload, bot_user_id="U0BOT", names=NAMES, in_help_channel=True)
    assert event is not None and event.sender_is_bot


def test_broadcasts_written_by_users_arrive_as_plain_words() -> None:
    text, mentions = parse_text("<!channel> <!here> <!subteam^S0DEV|@devs> &lt;script&gt;", {})
    assert text == "@channel @here @devs <script>"
    assert mentions == ()


def test_unescape_is_not_applied_twice() -> None:
    assert unescape("&amp;lt;") == "&lt;"
    assert user_ids_in("<@U1> <@U2|b> <@U1> <#C1|x>") == ["U1", "U2"]


def test_app_mention_is_a_command_unless_it_reads_like_a_need_in_a_help_channel() -> None:
    def mention(text: str, help_channel: bool) -> Any:
        payload = envelope(
            {"type": "app_mention", "user": "U0ALICE", "text": text, "ts": "1.2", "channel": "C1"}
        )
        return mention_event(
            payload,
            bot_user_id="U0BOT",
            names=NAMES,
            in_help_channel=help_channel,
            is_command=lambda word: word in ("skills", "thanks"),
        )

    command = mention("<@U0BOT> thanks <@U0BOB> for the help", help_channel=True)
    assert (command.kind, command.text) == (EventKind.COMMAND, "thanks @U0BOB for the help")
    assert command.mentions == (UserRef("slack", "U0BOB", "Bob"),)
    assert command.thread == "1.2"
    need = mention("<@U0BOT> anyone know Terraform?", help_channel=True)
    assert (need.kind, need.text, need.in_help_channel) == (EventKind.MESSAGE, "anyone know Terraform?", True)
    elsewhere = mention("<@U0BOT> anyone know Terraform?", help_channel=False)
    assert elsewhere.kind is EventKind.COMMAND  # answered as an unknown command, with help
    assert mention("<@U0BOT>", help_channel=False).text == "help"


def test_reactions_name_the_message_its_author_and_its_thread() -> None:
    payload = envelope(
        {
            "type": "reaction_added",
            "user": "U0ALICE",
            "reaction": "white_check_mark",
            "item_user": "U0BOB",
            "item": {"type": "message", "channel": "C0HELP", "ts": "5.6"},
            "event_ts": "7.8",
        }
    )
    event = reaction_event(payload, names=NAMES, thread="1.2")
    assert event is not None
    assert (event.kind, event.reaction, event.target_message, event.thread) == (
        EventKind.REACTION,
        "white_check_mark",
        "5.6",
        "1.2",
    )
    assert event.target_author == UserRef("slack", "U0BOB", "Bob")
    on_a_file = envelope({**payload["event"], "item": {"type": "file", "file": "F1"}})
    assert reaction_event(on_a_file, names=NAMES, thread=None) is None


def test_slash_commands_without_text_ask_for_help() -> None:
    payload = {
        "user_id": "U0ALICE",
        "user_name": "alice",
        "channel_id": "C1",
        "text": "",
        "trigger_id": "13.4",
    }
    event = command_event(payload, names={})
    assert (event.kind, event.text, event.event_id) == (EventKind.COMMAND, "help", "command:13.4")
    assert event.sender.display == "alice"
    with_mention = command_event({**payload, "text": "thanks <@U0BOB|bob> for SQL"}, names=NAMES)
    assert with_mention.text == "thanks @U0BOB for SQL"
    assert with_mention.mentions == (UserRef("slack", "U0BOB", "Bob"),)


def test_buttons_carry_their_command_and_suggest_someone_else_declines() -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": "U0BOB"},
        "container": {"type": "message", "message_ts": "9.9", "channel_id": "D0BOB"},
        "trigger_id": "t",
    }
    accept = action_event(
        payload, {"value": "accept:5", "action_ts": "10.1"}, names=NAMES, conversation="D0BOB"
    )
    expected = (EventKind.ACTION, ButtonPress("accept", 5), "9.9")
    assert (accept.kind, accept.action, accept.target_message) == expected
    assert accept.is_direct and accept.event_id == "action:U0BOB:10.1"
    other = action_event(
        payload, {"value": "other:5", "action_ts": "10.2"}, names=NAMES, conversation="D0BOB"
    )
    assert other.action == ButtonPress("decline", 5)
