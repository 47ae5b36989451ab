"""Platform-neutral inbound events and outbound replies.

Adapters translate their platform's payloads into :class:`Event` and render :class:`Reply`;
the core never sees a Slack or Matrix type. Both are frozen so a handler cannot change what
another handler (or the deduplication step) saw, and new options become fields with defaults,
never new positional parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AboutKind(StrEnum):
    """What a message the bot sent is about, so reactions and threads under it make sense."""

    NEED = "need"  # the answer to a need: its thread is the need's thread
    ASK = "ask"  # a request for help to one colleague (👍/👎 answer it)
    INTRODUCTION = "introduction"  # helper and asker introduced in the need's thread
    FOLLOW_UP = "follow-up"  # news of a need, to its asker (a ✅ on it solves the need)
    HELPER_OFFER = "helper-offer"  # to an anonymous need's asker: who offers (👍/👎 answer it)


@dataclass(frozen=True)
class About:
    kind: AboutKind
    id: int


@dataclass(frozen=True)
class ButtonPress:
    """A button pressed: which verb (a command name) on which object."""

    verb: str
    target: int | None = None

    @property
    def value(self) -> str:
        """How platforms carry it (a Slack button value): "accept:42"."""
        return self.verb if self.target is None else f"{self.verb}:{self.target}"

    @classmethod
    def parse(cls, value: str) -> ButtonPress | None:
        """The press a platform's button value stands for; None when it is none of ours."""
        verb, _, target = value.partition(":")
        if not verb or not verb.replace("-", "").isalpha():
            return None
        if not target:
            return cls(verb)
        return cls(verb, int(target)) if target.isdigit() and len(target) < 19 else None


class EventKind(StrEnum):
    MESSAGE = "message"  # free text in a room, a channel or a DM
    COMMAND = "command"  # explicitly addressed to the bot (slash command, prefix, console line)
    REACTION = "reaction"  # an emoji added to a message
    ACTION = "action"  # a button pressed on one of the bot's messages


@dataclass(frozen=True)
class UserRef:
    """Someone on a platform, as the platform names them."""

    platform: str
    handle: str  # Slack user id, Matrix user id, console name
    display: str = ""

    @property
    def label(self) -> str:
        return self.display or self.handle


# An event id starting with this is a line of a script (``entraide console --script``), which
# may be run again any time later to resume it: its processed mark outlives the retention of the
# others (a platform's retries and replays come within hours), or the resumed script would
# handle again the lines whose marks were pruned. One small row per line.
SCRIPT_EVENT_PREFIX = "script-"


@dataclass(frozen=True)
class Event:
    platform: str
    event_id: str
    conversation: str  # channel / room / console
    sender: UserRef
    text: str = ""
    kind: EventKind = EventKind.MESSAGE
    thread: str | None = None  # id of the thread root, when the event is inside a thread
    message_id: str | None = None  # id of this message, to thread replies under it
    is_direct: bool = False  # a private conversation between the sender and the bot
    mentions: tuple[UserRef, ...] = ()  # people mentioned, in the order written
    reaction: str | None = None  # emoji name, for REACTION events
    target_message: str | None = None  # the message a reaction or action applies to
    target_author: UserRef | None = None  # who wrote that message, when the platform says
    action: ButtonPress | None = None  # the button pressed, for ACTION events
    sender_is_bot: bool = False
    sender_is_admin: bool = False  # the platform says so (Matrix power level in the admin room)
    in_help_channel: bool = False  # the adapter knows which channels are help channels
    # A conversation not everyone in the organisation can read: a private channel, a group DM.
    # Only adapters that can tell set it (Slack); Matrix help rooms are declared public by the admin.
    is_private: bool = False
    account: str = ""  # the bot's account the event came to (Slack workspace, Matrix user id)


def said_in_public(event: Event) -> bool:
    """Whether what ``event`` says was seen by everyone: a help channel anyone can read, not a DM
    nor a private channel. Only then may a public post (a shout-out, a barometer, a reason shown
    to others) name or quote it; needs, thanks and threads keep this as their ``public``."""
    return event.in_help_channel and not event.is_direct and not event.is_private


@dataclass(frozen=True)
class Mention:
    """A person to render as a platform mention (Slack ``<@U…>``, Matrix pill)."""

    user: UserRef


Segment = str | Mention


@dataclass(frozen=True)
class Button:
    label: str
    press: ButtonPress
    style: str = "default"  # default | primary | danger


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply (a chart): platforms upload it (Slack files, Matrix media)."""

    filename: str
    mime: str
    data: bytes
    alt: str = ""  # what it shows, in words (alt text, and the console's stand-in)


@dataclass(frozen=True)
class Reply:
    """Something the bot says.

    ``body`` mixes plain text (never markup: adapters escape it) and mentions. ``to`` sends the
    reply privately to that person instead of into ``conversation``. A post that stands on its
    own (a weekly shout-out) may have a ``title`` and a ``note`` in small print, which platforms
    render as a header and a footer (Slack blocks, Matrix HTML).
    """

    body: tuple[Segment, ...]
    conversation: str | None = None
    thread: str | None = None
    to: UserRef | None = None
    ephemeral: bool = False  # only the addressee sees it, when the platform allows
    buttons: tuple[Button, ...] = ()
    key: str | None = None  # stable identity for idempotent sending (Matrix txn id), set by the outbox
    about: About | None = None  # what the message is about, to understand reactions to it
    in_reply_to: str | None = None  # the platform event this answers (Slack response_url, Matrix reply)
    language: str | None = None  # the language the body is written in (the addressee's)
    title: str = ""  # plain text, a header above the body
    note: tuple[Segment, ...] = ()  # small print below the body
    attachment: Attachment | None = None  # a file shown with the message, where the platform can
    # Which delivery this is (set by the outbox): from 2 on, an earlier attempt may have landed
    # without being recorded, and an adapter that cannot resend idempotently looks first.
    attempt: int = 1

    @property
    def plain(self) -> str:
        parts = [self.title] if self.title else []
        parts.append(_plain(self.body))
        if self.note:
            parts.append(_plain(self.note))
        return "\n\n".join(parts)


def _plain(segments: tuple[Segment, ...]) -> str:
    return "".join(part if isinstance(part, str) else f"@{part.user.label}" for part in segments)


@dataclass(frozen=True)
class Sent:
    """Where a message landed: Slack message ids (``ts``) are unique per channel only."""

    conversation: str
    message_id: str


@dataclass(frozen=True)
class Capabilities:
    threads: bool = False
    ephemeral: bool = False
    reactions: bool = False
    buttons: bool = False
    direct_messages: bool = True
    files: bool = False  # a reply's attachment reaches the person as a file (not only its name)
    max_text: int = 4000  # the longest message the platform shows whole, in characters
