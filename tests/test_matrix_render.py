"""Notices with a title and a note (a post that stands on its own, such as a weekly shout-out),
and the content of a file sent with a reply."""

from __future__ import annotations

from adapters.matrix.media import media_content, png_size
from adapters.matrix.render import notice_content, render_body
from bot.chat.events import Attachment, Mention, Reply, UserRef

ALICE = UserRef("matrix", "@alice:example.org", "Alice")
BOB = UserRef("matrix", "@bob:example.org", "Bob <b>")


def test_a_title_is_a_bold_line_above_the_body_and_the_note_small_print_below() -> None:
    reply = Reply(
        body=("Thanks to ", Mention(ALICE), " for the fern & the <pots>"),
        title="Shout-outs <week 49>",
        note=("Thanked by ", Mention(BOB), "\nsay !thanks to add yours"),
    )
    content = notice_content(reply)

    assert content["msgtype"] == "m.notice"
    assert content["formatted_body"] == (
        "<strong>Shout-outs &lt;week 49&gt;</strong><br>"
        'Thanks to <a href="https://matrix.to/#/@alice:example.org">Alice</a>'
        " for the fern &amp; the &lt;pots&gt;"
        '<br><br><em>Thanked by <a href="https://matrix.to/#/@bob:example.org">Bob &lt;b&gt;</a>'
        "<br>say !thanks to add yours</em>"
    )
    assert content["body"] == (
        "Shout-outs <week 49>\n\nThanks to Alice for the fern & the <pots>\n\n"
        "Thanked by Bob <b>\nsay !thanks to add yours"
    )
    assert content["m.mentions"] == {"user_ids": ["@alice:example.org", "@bob:example.org"]}


def test_people_named_in_the_body_and_the_note_are_mentioned_once_and_nobody_else() -> None:
    reply = Reply(
        body=(Mention(ALICE), " helped @room and @bob:example.org"),
        title="@room, this week",
        note=("again ", Mention(ALICE), " and ", Mention(UserRef("matrix", "~12", "Zoé"))),
    )
    plain, html_body, mentioned = render_body(reply)

    assert mentioned == ["@alice:example.org"]
    # Typed text stays text: no pill for what only looks like a user id, no room ping.
    assert html_body.count("<a ") == 2 and "matrix.to/#/@bob" not in html_body
    assert notice_content(reply)["m.mentions"] == {"user_ids": ["@alice:example.org"]}
    assert plain.endswith("again Alice and Zoé")


def test_a_reply_without_title_or_note_renders_as_before() -> None:
    plain, html_body, mentioned = render_body(Reply(body=("Hello ", Mention(ALICE))))
    assert plain == "Hello Alice"
    assert html_body == 'Hello <a href="https://matrix.to/#/@alice:example.org">Alice</a>'
    assert mentioned == ["@alice:example.org"]


def test_a_note_without_a_title_follows_the_body_after_a_blank_line() -> None:
    plain, html_body, _ = render_body(Reply(body=("Body",), note=("small print",)))
    assert plain == "Body\n\nsmall print"
    assert html_body == "Body<br><br><em>small print</em>"


def test_a_file_that_is_no_image_is_an_m_file_and_its_caption_pings_nobody() -> None:
    table = Attachment("needs.csv", "text/csv", b"skill,needs\nRust,12\n", "needs per skill, for @room")
    content = media_content(table, url="mxc://example.org/abc", keys=None)
    assert content["msgtype"] == "m.file" and content["url"] == "mxc://example.org/abc"
    assert content["info"] == {"mimetype": "text/csv", "size": 20}  # no width or height to give
    assert content["body"] == "needs per skill, for @\u2060room" and content["m.mentions"] == {}
    assert "m.relates_to" not in content
    assert png_size(b"GIF89a" + bytes(30)) is None
