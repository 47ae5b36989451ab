"""A :class:`bot.events.Reply` → the content of an ``m.notice``: escaped HTML, pills, relations.

The bot speaks in notices (the Matrix convention for bots: clients and other bots know not to
answer them). Every piece of text is escaped; the only markup is what this module writes.
``m.mentions`` is always present and lists only the people the reply names, which tells
clients not to guess mentions from the body — so "@room" copied from user text pings nobody.
"""

from __future__ import annotations

import hashlib
import html
from typing import Any
from urllib.parse import quote

from bot.chat.events import Mention, Reply, Segment
from bot.chat.text import neutralise_broadcasts

# A custom (namespaced) content field carrying a keyed reply's transaction id, for any device of
# the bot to recognise the post: the homeserver gives the transaction id back only to the device
# that sent it, and each instance of the bot is a device of its own. Clients ignore it.
DELIVERY_FIELD = "org.entraide.delivery"


def is_matrix_user(handle: str) -> bool:
    return handle.startswith("@") and ":" in handle and len(handle) <= 255


def pill(user_id: str, display: str) -> str:
    href = "https://matrix.to/#/" + quote(user_id, safe="@:")
    return f'<a href="{html.escape(href, quote=True)}">{html.escape(display or user_id)}</a>'


def _html_text(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def _render(segments: tuple[Segment, ...], mentioned: list[str]) -> tuple[str, str]:
    """(plain, HTML) of some text and mentions; adds the Matrix users named to ``mentioned``."""
    plain: list[str] = []
    formatted: list[str] = []
    for part in segments:
        if isinstance(part, Mention):
            user = part.user
            display = neutralise_broadcasts(user.display)  # display names are user text too
            if is_matrix_user(user.handle):
                plain.append(display or user.handle)
                formatted.append(pill(user.handle, display))
                if user.handle not in mentioned:
                    mentioned.append(user.handle)
            else:  # someone with no Matrix account: their name, not a link
                plain.append(display or user.handle)
                formatted.append(html.escape(display or user.handle, quote=False))
        else:
            plain.append(part)
            formatted.append(_html_text(part))
    return "".join(plain), "".join(formatted)


def render_body(reply: Reply) -> tuple[str, str, list[str]]:
    """(plain body, HTML body, user ids mentioned in the body and the note).

    A title is a bold line right above the body, the note a paragraph of italics below it:
    every client renders ``<strong>`` and ``<em>``, and pills stay readable inside them
    (``<small>`` is not in the spec's list of tags; ``<sub>`` drops text and pills below the
    line). The plain body, for clients without HTML and for notifications, separates the
    three with blank lines.
    """
    mentioned: list[str] = []
    plain, formatted = _render(reply.body, mentioned)
    if reply.title:
        plain = f"{reply.title}\n\n{plain}"
        formatted = f"<strong>{_html_text(reply.title)}</strong><br>{formatted}"
    if reply.note:
        note_plain, note_html = _render(reply.note, mentioned)
        plain = f"{plain}\n\n{note_plain}"
        formatted = f"{formatted}<br><br><em>{note_html}</em>"
    return plain, formatted, mentioned


def notice_content(
    reply: Reply, *, thread_root: str | None = None, reply_to: str | None = None, txn_id: str | None = None
) -> dict[str, Any]:
    """The event content. ``thread_root`` puts it in that thread; ``reply_to`` quotes a message
    (inside a thread, the message clients without thread support show it as replying to);
    ``txn_id``, carried in :data:`DELIVERY_FIELD`, lets another instance find the post."""
    plain, formatted, mentioned = render_body(reply)
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": plain,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
        "m.mentions": {"user_ids": mentioned},
    }
    if thread_root:
        content["m.relates_to"] = {
            "rel_type": "m.thread",
            "event_id": thread_root,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": reply_to or thread_root},
        }
    elif reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    if txn_id:
        content[DELIVERY_FIELD] = txn_id
    return content


def transaction_id(key: str) -> str:
    """A transaction id that is the same every time the same reply is sent, so that the
    homeserver recognises a resend after a crash and returns the first event instead."""
    return "entraide-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def placement(
    reply: Reply, trigger: tuple[str, str | None] | None, *, private_room: bool
) -> tuple[str | None, str | None]:
    """(thread root, message answered) for a reply posted in a room.

    ``trigger`` is the event the reply answers, as (event id, its thread root), when it is known
    and in the same room. Answers go in the trigger's thread — or start one on it — so a help
    room keeps one thread per need; a direct chat reads best without threads or quotes.
    """
    if reply.thread:
        in_thread = trigger is not None and trigger[1] == reply.thread
        return reply.thread, trigger[0] if trigger is not None and in_thread else None
    if trigger is None or private_room:
        return None, None
    event_id, root = trigger
    return root or event_id, event_id
