"""Replies in a need's thread, in a help channel: evidence of who helps with what, kept live.

A colleague answering a need in its thread (a Slack thread reply, a Matrix ``m.thread`` reply)
is recorded as an imported reply is (:mod:`skills_db.storage.replies`): the matcher reads it
before the next need, on every instance. Nothing else said in a thread is kept: a reply in a
thread that is no need's, the asker's own replies, and those of someone who opted out of
matching (they asked not to be matched, so no evidence is gathered to match them) or asked to
be forgotten store nothing, not even who wrote them. The bot says nothing in answer.
"""

from __future__ import annotations

from bot.chat.context import Services
from bot.chat.events import AboutKind, Event, EventKind
from skills_db.storage.models import Need


def is_thread_reply(event: Event) -> bool:
    """A message (no command) written inside a thread of a help channel."""
    return (
        event.kind is EventKind.MESSAGE
        and event.in_help_channel
        and not event.is_direct
        and event.thread is not None
        and event.thread != event.message_id
    )


def need_of_thread(services: Services, event: Event) -> Need | None:
    """The need whose thread ``event`` is in: posted as the thread's root, or answered by the
    bot's message that roots it (a need typed as a slash command has no message of its own)."""
    store, thread = services.store, event.thread
    if thread is None:
        return None
    need = store.find_need(event.platform, event.conversation, thread)
    if need is not None:
        return need
    about = store.sent_about(event.platform, event.account, event.conversation, thread)
    if about is None or about[0] != AboutKind.NEED:
        return None
    return store.get_need(about[1])
