"""Small text helpers shared by the core and the adapters."""

from __future__ import annotations

import re

from bot.chat.events import Reply, Segment

# "@channel", "@here", "@room", "@everyone" (and Slack's "<!channel>") ping a whole room. A word
# joiner after the "@" or "!" keeps the text readable and makes it inert on every platform.
_BROADCAST = re.compile(r"([@!])(channel|here|room|everyone)\b", re.IGNORECASE)
WORD_JOINER = "\u2060"


def neutralise_broadcasts(text: str) -> str:
    return _BROADCAST.sub(lambda m: f"{m.group(1)}{WORD_JOINER}{m.group(2)}", text)


def safe_reply(reply: Reply) -> Reply:
    """The reply with every text segment made unable to ping a whole room."""
    from dataclasses import replace

    def safe(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
        return tuple(neutralise_broadcasts(part) if isinstance(part, str) else part for part in segments)

    attachment = reply.attachment
    if attachment is not None:  # its alt text is shown too (an image's caption, the console's line)
        attachment = replace(attachment, alt=neutralise_broadcasts(attachment.alt))
    return replace(
        reply,
        body=safe(reply.body),
        note=safe(reply.note),
        title=neutralise_broadcasts(reply.title),
        attachment=attachment,
    )


def shorten(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
