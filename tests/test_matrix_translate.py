"""The Matrix adapter's pure parts, on payloads shaped as Element and Synapse send them."""

from __future__ import annotations

import copy
import math
import random
from typing import Any

import pytest

from adapters.matrix.admins import creators, is_manager, power_level
from adapters.matrix.client import Backoff, retry_after
from adapters.matrix.render import notice_content, pill, placement, render_body, transaction_id
from adapters.matrix.translate import (
    RoomView,
    after_own_join,
    invite_decision,
    invite_info,
    message_text,
    strip_reply_fallback,
    translate,
    user_id_from_link,
)
from bot.chat.events import EventKind, Mention, Reply, UserRef

BOT = "@entraide:example.org"
ROOM = "!vAcaVUjOxOKqBkRaAG"  # room version 12 ids have no server part
MEMBERS = {"@bob:example.org": "Bob", "@alice:example.org": "Alice", BOT: "Entraide"}
HELP = RoomView(ROOM, BOT, bot_display="Entraide", is_help=True, members=MEMBERS)
PLAIN_ROOM = RoomView(ROOM, BOT, bot_display="Entraide", members=MEMBERS)
DIRECT = RoomView(ROOM, BOT, bot_display="Entraide", is_direct=True, members=MEMBERS)

# As Element Web sends a text message (decrypted payloads look the same, minus "unsigned").
TEXT: dict[str, Any] = {
    "type": "m.room.message",
    "sender": "@bob:example.org",
    "event_id": "$nRfrPzoZ0ZVcZpXIp4l6Rv2Y5Xx9hSTMi9qhOQNQkzc",
    "origin_server_ts": 1764288000000,
    "room_id": ROOM,
    "content": {"msgtype": "m.text", "body": "? anyone know terraform state locking"},
    "unsigned": {"age": 120},
}
# A reply, with the fallback quote older clients still add.
REPLY: dict[str, Any] = {
    **TEXT,
    "event_id": "$reply",
    "content": {
        "msgtype": "m.text",
        "body": (
            "> <@alice:example.org> use a lock table\n> second line\n\n!entraide thanks @alice:example.org"
        ),
        "format": "org.matrix.custom.html",
        "formatted_body": (
            '<mx-reply><blockquote><a href="https://matrix.to/#/!r/$x">In reply to</a> '
            '<a href="https://matrix.to/#/@alice:example.org">@alice:example.org</a><br>use a lock table'
            "</blockquote></mx-reply>!entraide thanks "
            '<a href="https://matrix.to/#/@alice:example.org">Alice</a>'
        ),
        "m.relates_to": {"m.in_reply_to": {"event_id": "$x"}},
    },
}
# A pill as Element writes it: the plain body only has the display name.
PILL: dict[str, Any] = {
    **TEXT,
    "event_id": "$pill",
    "content": {
        "msgtype": "m.text",
        "body": "Entraide: endorse Alice terraform",
        "format": "org.matrix.custom.html",
        "formatted_body": (
            '<a href="https://matrix.to/#/@entraide:example.org">Entraide</a>: endorse '
            '<a href="https://matrix.to/#/%40alice%3Aexample.org">Alice</a> terraform'
        ),
        "m.mentions": {"user_ids": [BOT, "@alice:example.org"]},
    },
}
IN_THREAD: dict[str, Any] = {
    **TEXT,
    "event_id": "$inthread",
    "content": {
        "msgtype": "m.text",
        "body": "I can help with that",
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": "$root",
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": "$root"},
        },
    },
}
REACTION: dict[str, Any] = {
    "type": "m.reaction",
    "sender": "@bob:example.org",
    "event_id": "$reaction",
    "origin_server_ts": 1764288000000,
    "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$helpersreply", "key": "✅"}},
}
EDIT: dict[str, Any] = {
    **TEXT,
    "event_id": "$edit",
    "content": {
        "msgtype": "m.text",
        "body": " * ? anyone know kubernetes",
        "m.new_content": {"msgtype": "m.text", "body": "? anyone know kubernetes"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": TEXT["event_id"]},
    },
}


def with_content(base: dict[str, Any], **content: Any) -> dict[str, Any]:
    event = copy.deepcopy(base)
    event["content"].update(content)
    return event


def test_a_need_in_a_help_room_is_a_message_the_core_can_detect() -> None:
    event = translate(TEXT, HELP)
    assert event is not None
    assert event.kind is EventKind.MESSAGE
    assert event.text == "? anyone know terraform state locking"
    assert event.in_help_channel and not event.is_direct
    assert event.message_id == event.event_id == TEXT["event_id"]
    assert event.conversation == ROOM
    assert event.sender == UserRef("matrix", "@bob:example.org", "Bob")
    assert event.thread is None


def test_the_prefix_makes_a_command_and_is_stripped() -> None:
    event = translate(with_content(TEXT, body="!entraide skills add Terraform"), PLAIN_ROOM)
    assert event is not None and event.kind is EventKind.COMMAND
    assert event.text == "skills add Terraform"
    # A word that merely starts like the prefix is not the prefix.
    other = translate(with_content(TEXT, body="!entraidez moi"), PLAIN_ROOM)
    assert other is not None and other.kind is EventKind.MESSAGE


def test_a_leading_pill_of_the_bot_is_a_command_and_pills_become_user_ids() -> None:
    event = translate(PILL, PLAIN_ROOM)
    assert event is not None and event.kind is EventKind.COMMAND
    assert event.text == "endorse @alice:example.org terraform"
    assert event.mentions == (UserRef("matrix", "@alice:example.org", "Alice"),)


def test_a_typed_mention_of_the_bot_also_addresses_it() -> None:
    event = translate(with_content(TEXT, body="@entraide:example.org, help"), PLAIN_ROOM)
    assert event is not None and event.kind is EventKind.COMMAND and event.text == "help"


def test_reply_fallbacks_are_stripped_before_parsing() -> None:
    event = translate(REPLY, PLAIN_ROOM)
    assert event is not None and event.kind is EventKind.COMMAND
    assert event.text == "thanks @alice:example.org"
    assert [m.handle for m in event.mentions] == ["@alice:example.org"]
    plain_only = copy.deepcopy(REPLY)
    del plain_only["content"]["formatted_body"], plain_only["content"]["format"]
    event = translate(plain_only, PLAIN_ROOM)
    assert event is not None and event.text == "thanks @alice:example.org"


def test_strip_reply_fallback_keeps_text_that_is_not_a_quote() -> None:
    assert strip_reply_fallback("> <@a:b> hi\n\nanswer") == "answer"
    assert strip_reply_fallback("no quote here\n> later") == "no quote here\n> later"


def test_messages_in_a_thread_carry_the_root() -> None:
    event = translate(IN_THREAD, HELP)
    assert event is not None and event.thread == "$root" and event.text == "I can help with that"


def test_direct_chats_are_flagged_and_not_help_rooms() -> None:
    event = translate(with_content(TEXT, body="skills list"), DIRECT)
    assert event is not None and event.is_direct and not event.in_help_channel


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(EDIT, id="edit"),
        pytest.param(with_content(TEXT, msgtype="m.notice"), id="notice from another bot"),
        pytest.param({**TEXT, "sender": BOT}, id="own message"),
        pytest.param(with_content(TEXT, msgtype="m.image", url="mxc://x/y"), id="image"),
        pytest.param({**TEXT, "type": "m.room.member", "state_key": "@bob:example.org"}, id="state"),
        pytest.param({**TEXT, "content": "not a dict"}, id="malformed"),
        pytest.param({**TEXT, "content": {"msgtype": "m.text", "body": 42}}, id="body not text"),
    ],
)
def test_what_the_bot_ignores(source: dict[str, Any]) -> None:
    assert translate(source, HELP) is None


def test_reactions_name_their_target_and_only_meaningful_ones_pass() -> None:
    event = translate(REACTION, HELP)
    assert event is not None and event.kind is EventKind.REACTION
    assert event.reaction == "✅" and event.target_message == "$helpersreply"
    thumbs = copy.deepcopy(REACTION)
    thumbs["content"]["m.relates_to"]["key"] = "👍🏽"
    assert translate(thumbs, DIRECT) is not None
    party = copy.deepcopy(REACTION)
    party["content"]["m.relates_to"]["key"] = "🎉"
    assert translate(party, HELP) is None


def test_a_bare_thumbs_up_in_reply_counts_as_a_reaction() -> None:
    source = with_content(
        TEXT,
        body="> <@entraide:example.org> Can you help?\n\n👍",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": "$ask"}}},
    )
    event = translate(source, DIRECT)
    assert event is not None and event.kind is EventKind.REACTION
    assert event.reaction == "👍" and event.target_message == "$ask"


def test_html_without_pills_is_read_from_the_plain_body() -> None:
    text, pills = message_text(
        {
            "body": "<b>not bold</b> **md**",
            "format": "org.matrix.custom.html",
            "formatted_body": "<strong>md</strong>",
        }
    )
    assert text == "<b>not bold</b> **md**" and pills == []


@pytest.mark.parametrize(
    ("href", "user"),
    [
        ("https://matrix.to/#/@alice:example.org", "@alice:example.org"),
        ("https://matrix.to/#/%40alice%3Aexample.org?via=example.org", "@alice:example.org"),
        ("matrix:u/alice:example.org?action=chat", "@alice:example.org"),
        ("https://matrix.to/#/!room:example.org", None),
        ("https://evil.example/#/@alice:example.org", None),
    ],
)
def test_pill_links(href: str, user: str | None) -> None:
    assert user_id_from_link(href) == user


# -- rendering -------------------------------------------------------------------------------


def test_replies_are_notices_with_escaped_html_and_pills() -> None:
    alice = UserRef("matrix", "@alice:example.org", "Alice <3")
    reply = Reply(body=("Ask ", Mention(alice), " about <script>alert(1)</script> & co\nthanks"), key="k")
    content = notice_content(reply)
    assert content["msgtype"] == "m.notice"
    assert content["body"] == "Ask Alice <3 about <script>alert(1)</script> & co\nthanks"
    assert content["formatted_body"] == (
        'Ask <a href="https://matrix.to/#/@alice:example.org">Alice &lt;3</a> about '
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co<br>thanks"
    )
    assert content["m.mentions"] == {"user_ids": ["@alice:example.org"]}
    assert "m.relates_to" not in content


def test_mentions_of_people_without_a_matrix_account_are_plain_names() -> None:
    plain, html_body, ids = render_body(Reply(body=(Mention(UserRef("matrix", "~12", "Zoé")),)))
    assert (plain, html_body, ids) == ("Zoé", "Zoé", [])


def test_display_names_cannot_ping_the_room() -> None:
    plain, html_body, _ids = render_body(Reply(body=(Mention(UserRef("matrix", "@x:example.org", "@room")),)))
    assert "@room" not in plain and "@room" not in html_body


def test_pill_hrefs_cannot_break_out_of_the_attribute() -> None:
    assert '"' not in pill('@a"onmouseover="x:example.org', "A").split('href="', 1)[1].split('"', 1)[0]


def test_thread_and_reply_relations() -> None:
    reply = Reply(body=("hi",))
    threaded = notice_content(reply, thread_root="$root", reply_to="$last")
    assert threaded["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$last"},
    }
    assert notice_content(reply, reply_to="$q")["m.relates_to"] == {"m.in_reply_to": {"event_id": "$q"}}


def test_transaction_ids_are_stable_per_key() -> None:
    assert transaction_id("$e:0") == transaction_id("$e:0")
    assert transaction_id("$e:0") != transaction_id("$e:1")


# -- community managers ----------------------------------------------------------------------


def create_event(
    version: str, sender: str = "@carol:example.org", extra: list[str] | None = None
) -> dict[str, Any]:
    content: dict[str, Any] = {"room_version": version}
    if extra is not None:
        content["additional_creators"] = extra
    return {"type": "m.room.create", "state_key": "", "sender": sender, "content": content}


POWER = {
    "type": "m.room.power_levels",
    "state_key": "",
    "content": {"users": {"@eve:example.org": 50, "@dan:example.org": 10}, "users_default": 0},
}


def test_room_v12_creators_are_managers_without_being_in_power_levels() -> None:
    create = create_event("12", extra=["@frank:example.org"])
    assert creators(create) == {"@carol:example.org", "@frank:example.org"}
    assert power_level("@carol:example.org", create, POWER) == math.inf
    assert is_manager("@frank:example.org", create, POWER, 50)
    assert is_manager("@eve:example.org", create, POWER, 50)
    assert not is_manager("@dan:example.org", create, POWER, 50)
    assert not is_manager("@nobody:example.org", create, POWER, 50)


def test_before_v12_creators_count_only_through_power_levels() -> None:
    create = create_event("10")
    assert creators(create) == set()
    assert not is_manager("@carol:example.org", create, POWER, 50)
    assert is_manager("@carol:example.org", create, None, 50)  # no power levels: the creator has 100


# -- invitations, backoff --------------------------------------------------------------------


def test_invitations_from_other_servers_are_declined_unless_the_room_is_allowed() -> None:
    decide = invite_decision
    assert decide("@bob:example.org", "!r", bot_user_id=BOT, allowed_servers=[], allowed_rooms=set())
    assert not decide("@eve:evil.example", "!r", bot_user_id=BOT, allowed_servers=[], allowed_rooms=set())
    assert decide(
        "@eve:partner.example",
        "!r",
        bot_user_id=BOT,
        allowed_servers=["partner.example"],
        allowed_rooms=set(),
    )
    assert not decide(
        "@bob:example.org", "!r", bot_user_id=BOT, allowed_servers=["partner.example"], allowed_rooms=set()
    )
    assert decide("@eve:evil.example", "!r", bot_user_id=BOT, allowed_servers=[], allowed_rooms={"!r"})


def test_invite_info_reads_inviter_and_direct_flag() -> None:
    state = [
        {"type": "m.room.name", "state_key": "", "sender": "@bob:example.org", "content": {"name": "x"}},
        {
            "type": "m.room.member",
            "state_key": BOT,
            "sender": "@bob:example.org",
            "content": {"membership": "invite", "is_direct": True},
        },
    ]
    assert invite_info(state, BOT) == ("@bob:example.org", True)
    assert invite_info(state[:1], BOT) == ("", False)


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(4))
    delays = [backoff.next_delay() for _ in range(8)]
    assert 0.5 <= delays[0] <= 1.0
    assert all(4.0 <= d <= 8.0 for d in delays[4:])
    assert len(set(delays)) == len(delays)  # jitter: clients restarting together do not retry in step
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_rate_limit_answers_say_how_long_to_wait() -> None:
    from nio import ErrorResponse

    assert retry_after(ErrorResponse("slow down", "M_LIMIT_EXCEEDED", 1500)) == 1.5
    assert retry_after(ErrorResponse("nope", "M_FORBIDDEN")) is None


def member(user: str, membership: str, previous: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "m.room.member",
        "state_key": user,
        "content": {"membership": membership},
    }
    if previous:
        event["unsigned"] = {"prev_content": {"membership": previous}}
    return event


def test_history_from_before_the_bot_joined_is_cut_off() -> None:
    old_need = {"type": "m.room.message", "content": {"body": "? old"}}
    timeline = [old_need, member(BOT, "invite"), member(BOT, "join", "invite"), TEXT]
    assert after_own_join(timeline, BOT) == 3
    # A display name change is a "join" over a "join": not a new arrival.
    assert after_own_join([old_need, member(BOT, "join", "join"), TEXT], BOT) == 0
    assert after_own_join([member("@bob:example.org", "join"), TEXT], BOT) == 0


def test_answers_go_in_the_thread_of_what_they_answer() -> None:
    reply = Reply(body=("x",))
    # A need at the top of a help room: the answer starts a thread on it.
    assert placement(reply, ("$need", None), private_room=False) == ("$need", "$need")
    # A command inside a thread: the answer stays in that thread, quoting the command.
    assert placement(reply, ("$cmd", "$root"), private_room=False) == ("$root", "$cmd")
    # The core names the thread (an introduction in the need's thread, from a direct chat).
    threaded = Reply(body=("x",), thread="$need")
    assert placement(threaded, None, private_room=False) == ("$need", None)
    assert placement(threaded, ("$reply", "$need"), private_room=False) == ("$need", "$reply")
    # Direct chats stay plain.
    assert placement(reply, ("$cmd", None), private_room=True) == (None, None)
    assert placement(reply, None, private_room=False) == (None, None)
