"""Replies → Slack text and Block Kit: escaping, mentions, size limits, buttons, titles and notes."""

from __future__ import annotations

import re

from adapters.slack.render import (
    SECTION_LIMIT,
    answered_blocks,
    escape,
    mrkdwn,
    render_body,
    render_reply,
    split_text,
)
from bot.chat.events import Button, ButtonPress, Mention, Reply, UserRef
from bot.chat.text import WORD_JOINER

BOB = Mention(UserRef("slack", "U0BOB", "Bob"))


def test_user_text_cannot_become_markup_or_a_broadcast() -> None:
    hostile = "<!channel> <!here|here> <!everyone> @channel & <script>alert(1)</script> <@U0BOSS>"
    text = escape(hostile)
    assert "<" not in text and ">" not in text
    assert "&lt;script&gt;" in text and "&amp;" in text
    for word in ("channel", "here", "everyone"):
        assert f"!{word}" not in text and f"@{word}" not in text  # a word joiner sits in between
    assert "channel" in text  # still readable


def test_mentions_are_real_slack_mentions_and_names_stay_text() -> None:
    outsider = Mention(UserRef("slack", "~4", "Zoé <admin>"))
    assert mrkdwn(("Ask ", BOB, " or ", outsider, ".")) == "Ask <@U0BOB> or @Zoé &lt;admin&gt;."
    console = Mention(UserRef("console", "bob", "Bob"))
    assert mrkdwn((console,)) == "@Bob"


def test_long_text_is_split_over_sections_within_slack_limits() -> None:
    body = tuple(part for n in range(400) for part in (f"line {n} about ", BOB, " & friends\n"))
    rendered = render_body(body)
    sections = [b["text"]["text"] for b in rendered.blocks]
    assert len(sections) > 1
    assert all(len(s) <= SECTION_LIMIT for s in sections)
    assert "".join(sections).count("<@U0BOB>") == 400  # no mention was cut in half
    assert all(re.fullmatch(r"(?s)[^<>]*(<@U0BOB>[^<>]*)*", s) for s in sections)


def test_forty_kilobytes_become_a_message_slack_accepts() -> None:
    rendered = render_body(("x" * 40_960,))
    assert len(rendered.text) <= 39_001 and rendered.text.endswith("…")  # Slack cuts text at 40,000
    assert sum(len(b["text"]["text"]) for b in rendered.blocks) == 40_960  # the blocks hold it all
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in rendered.blocks)
    huge = render_body(("y" * 200_000,))
    assert len(huge.blocks) == 50 and huge.blocks[-1]["text"]["text"].endswith("…")
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in huge.blocks)


def test_split_never_cuts_an_entity() -> None:
    text = "a" * 2998 + "&amp;" + "b" * 10
    pieces = split_text(text, 3000)
    assert pieces[0] == "a" * 2998 and pieces[1].startswith("&amp;")


def test_buttons_become_an_actions_block() -> None:
    rendered = render_body(
        ("Can you help?",),
        (
            Button("Accept", ButtonPress("accept", 3), "primary"),
            Button("Not now", ButtonPress("decline", 3)),
            Button("x" * 100, ButtonPress("decline", 3)),
        ),
    )
    actions = rendered.blocks[-1]
    assert actions["type"] == "actions"
    elements = actions["elements"]
    assert [e["value"] for e in elements] == ["accept:3", "decline:3", "decline:3"]
    assert elements[0]["style"] == "primary" and "style" not in elements[1]
    assert len({e["action_id"] for e in elements}) == 3 and all(
        e["action_id"].startswith("entraide_") for e in elements
    )
    assert len(elements[2]["text"]["text"]) <= 75


def test_an_answered_request_shows_the_answer_instead_of_buttons() -> None:
    rendered = render_body(("Can you help?",), (Button("Accept", ButtonPress("accept", 3)),))
    blocks = answered_blocks(rendered.blocks, "Accept <b>")
    assert [b["type"] for b in blocks] == ["section", "context"]
    assert blocks[-1]["elements"][0]["text"] == "✓ Accept &lt;b&gt;"


def test_a_title_and_a_note_become_a_header_and_small_print_and_are_in_the_fallback() -> None:
    reply = Reply(
        body=(
            "This week ",
            BOB,
            " helped 3 colleagues with Terraform & Go.",
        ),
        conversation="C0KUDOS",
        title="Shout-outs of the week",
        note=(
            "Thanked by ",
            Mention(UserRef("slack", "U0ALICE", "Alice")),
            " <3",
        ),
    )
    rendered = render_reply(reply)
    assert [b["type"] for b in rendered.blocks] == ["header", "section", "context"]
    header, section, context = rendered.blocks
    assert header["text"] == {"type": "plain_text", "text": "Shout-outs of the week", "emoji": True}
    assert section["text"]["text"] == "This week <@U0BOB> helped 3 colleagues with Terraform &amp; Go."
    assert context["elements"] == [{"type": "mrkdwn", "text": "Thanked by <@U0ALICE> &lt;3"}]
    assert rendered.text == (
        "Shout-outs of the week\n\nThis week <@U0BOB> helped 3 colleagues with Terraform &amp; Go."
        "\n\nThanked by <@U0ALICE> &lt;3"
    )


def test_titles_and_notes_keep_within_slack_limits() -> None:
    long_title = "R&D <team> " * 30
    rendered = render_reply(
        Reply(
            body=("z" * 200_000,),
            title=long_title,
            note=tuple(part for _ in range(300) for part in ("thanks ", BOB, " ")),
            buttons=(Button("Say thanks", ButtonPress("thanks")),),
        )
    )
    types = [b["type"] for b in rendered.blocks]
    assert len(types) == 50 and types[0] == "header" and types[-2:] == ["context", "actions"]
    header = rendered.blocks[0]["text"]["text"]
    assert len(header) == 150 and header.endswith("…") and header.startswith("R&D <team> R&D")
    note = rendered.blocks[-2]["elements"][0]["text"]
    assert len(note) <= 3000 and note.endswith("…")
    assert re.fullmatch(r"(?s)[^<>]*(<@U0BOB>[^<>]*)*…", note)  # no mention cut in half
    assert rendered.text.startswith("R&amp;D &lt;team&gt; ")  # the whole title, escaped, in the fallback
    assert len(rendered.text) <= 39_001


def test_broadcast_words_in_a_title_or_a_note_stay_inert() -> None:
    hostile = "@channel <!channel> @here <!everyone>"
    rendered = render_reply(Reply(body=("Well done",), title=hostile, note=(hostile,)))
    header = rendered.blocks[0]["text"]["text"]
    context = rendered.blocks[-1]["elements"][0]["text"]
    assert "<" not in context and "<" not in rendered.text  # mrkdwn: escaped, no special mention
    for shown in (header, context, rendered.text):  # the header is plain text: never markup
        for word in ("channel", "here", "everyone"):
            assert f"@{word}" not in shown and f"!{word}" not in shown
            assert word in shown  # still readable
    assert WORD_JOINER in header
