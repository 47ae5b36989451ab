"""Reply → Slack text and Block Kit.

User text is escaped (``&``, ``<``, ``>``) so it can never become markup, and broadcast words are
neutralised, so nothing a user wrote can turn into ``<!channel>``. Blocks are built with
``slack_sdk.models`` whose ``to_dict`` checks Slack's size limits; text too long for one section
is split over several, and what would exceed a message is cut with an ellipsis.

A reply's title becomes a ``header`` block above the body, its note a ``context`` block (small
print) below it; the ``text`` fallback, which notifications and screen readers use, has all three.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.chat.events import Button, Mention, Reply, Segment
from bot.chat.text import neutralise_broadcasts

SECTION_LIMIT = 3000  # characters of text in one section block
HEADER_LIMIT = 150  # characters of a header block's plain text
CONTEXT_TEXT_LIMIT = 3000  # characters of one text element of a context block
MESSAGE_BLOCK_LIMIT = 50  # blocks in one message
TEXT_LIMIT = 39_000  # Slack cuts message text at 40,000 characters
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
_USER_HANDLE = re.compile(r"^[UW][A-Z0-9]+$")
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Plain text as inert Slack mrkdwn: no markup, no broadcast."""
    text = neutralise_broadcasts(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(segment: Mention) -> str:
    user = segment.user
    if user.platform == "slack" and _USER_HANDLE.match(user.handle):
        return f"<@{user.handle}>"
    return escape(f"@{user.label}")  # someone without a Slack account: their name, as text


def mrkdwn(body: tuple[Segment, ...]) -> str:
    return "".join(escape(part) if isinstance(part, str) else mention(part) for part in body)


@dataclass(frozen=True)
class Rendered:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def render_reply(reply: Reply) -> Rendered:
    return render_body(reply.body, reply.buttons, title=reply.title, note=reply.note)


def render_body(
    body: tuple[Segment, ...],
    buttons: tuple[Button, ...] = (),
    *,
    title: str = "",
    note: tuple[Segment, ...] = (),
) -> Rendered:
    text = mrkdwn(body)
    heading = " ".join(neutralise_broadcasts(title).split())  # one line; plain text shows no markup
    small_print = mrkdwn(note).strip()
    room = MESSAGE_BLOCK_LIMIT - sum(1 for part in (buttons, heading, small_print) if part)
    chunks = split_text(text, SECTION_LIMIT)
    if len(chunks) > room:
        chunks = chunks[:room]
        chunks[-1] = _cut(chunks[-1], SECTION_LIMIT - 1) + ELLIPSIS
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=chunk)).to_dict() for chunk in chunks if chunk.strip()
    ]
    if heading:
        shown = heading  # plain text: no entity or mention to keep whole when cutting
        if len(shown) > HEADER_LIMIT:
            shown = shown[: HEADER_LIMIT - 1] + ELLIPSIS
        blocks.insert(0, HeaderBlock(text=PlainTextObject(text=shown, emoji=True)).to_dict())
    if small_print:
        context = ContextBlock(
            elements=[MarkdownTextObject(text=_shortened(small_print, CONTEXT_TEXT_LIMIT))]
        )
        blocks.append(context.to_dict())
    if buttons:
        blocks.append(actions_block(buttons).to_dict())
    # The fallback (mrkdwn too: the title is escaped there) has the whole title.
    text = "\n\n".join(part for part in (escape(heading), text, small_print) if part)
    if len(text) > TEXT_LIMIT:
        text = _cut(text, TEXT_LIMIT) + ELLIPSIS
    return Rendered(text=text, blocks=blocks)


def _shortened(text: str, limit: int) -> str:
    """Mrkdwn within ``limit`` characters, cut with an ellipsis (never inside a mention)."""
    return text if len(text) <= limit else _cut(text, limit) + ELLIPSIS


def actions_block(buttons: tuple[Button, ...], block_id: str = "entraide_actions") -> ActionsBlock:
    elements = []
    seen: set[str] = set()
    for button in buttons[:25]:
        verb = button.press.verb
        action_id = f"entraide_{verb}"
        while action_id in seen:  # action ids must be unique within a block
            action_id += "_"
        seen.add(action_id)
        elements.append(
            ButtonElement(
                text=PlainTextObject(text=_cut(button.label, BUTTON_LABEL_LIMIT), emoji=True),
                action_id=action_id,
                value=button.press.value[:BUTTON_VALUE_LIMIT],
                style=button.style if button.style in ("primary", "danger") else None,
            )
        )
    return ActionsBlock(block_id=block_id, elements=elements)


def answered_blocks(blocks: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    """A message's blocks once a button was pressed: the buttons replaced by what was chosen."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    note = ContextBlock(elements=[MarkdownTextObject(text=f"✓ {escape(_cut(label, 200))}")])
    return [*kept, note.to_dict()]


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at line ends when possible, never inside a
    ``<@U…>`` mention or an ``&amp;`` entity."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = _safe_cut(rest, limit)
            pieces.append(rest[:cut])
            rest = rest[cut:]
        else:
            pieces.append(rest[:cut])
            rest = rest[cut + 1 :]
    pieces.append(rest)
    return pieces


def _safe_cut(text: str, limit: int) -> int:
    cut = limit
    opener = max(text.rfind("<", 0, cut), text.rfind("&", 0, cut))
    if opener >= 0 and opener > max(text.rfind(">", 0, cut), text.rfind(";", 0, cut)):
        cut = opener or limit  # do not split the token; if it starts the text, split anyway
    return cut


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: _safe_cut(text, limit - 1)]
