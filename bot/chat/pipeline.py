"""The one inbound funnel every adapter feeds.

normalise (done by the adapter) → drop the bot's own and other bots' messages → drop chatter,
before anything is stored (a reply in a thread is kept only in a need's thread: see
:mod:`bot.chat.replies`) → run the event as an action (:mod:`bot.chat.actions`): in one unit
of work, mark it processed by (platform, account, event id) — a retry, a replay or a second
instance finds it marked — and dispatch it to a command, a reaction, or need detection in help
channels. A handler that raises is logged with the event id and answered briefly; the bot goes
on with the next event.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from bot.chat.actions import Actions
from bot.chat.adapter import Adapter
from bot.chat.context import Context, Outgoing, Services
from bot.chat.events import Capabilities, Event, EventKind
from bot.chat.plain import Reading, is_private, read, without_greeting
from bot.chat.reactions import handle_reaction, is_meaningful
from bot.chat.replies import is_thread_reply, need_of_thread
from bot.commands import registry
from bot.commands.clean import visible
from bot.commands.registry import (
    Arguments,
    Command,
    Label,
    ParsedCommand,
    Registry,
    UnknownCommand,
    UsageError,
)
from bot.logs import log_failure
from skills_db.storage.models import Person
from skills_db.storage.replies import live_thread
from skills_db.vocabulary.textnorm import fold

log = logging.getLogger("entraide.pipeline")


class Pipeline:
    def __init__(
        self, services: Services, commands: Registry | None = None, *, actions: Actions | None = None
    ) -> None:
        self.services = services
        self.actions = actions or Actions(services)
        self.commands = commands or registry()
        self._in_flight: set[asyncio.Task[None]] = set()

    async def handle(self, adapter: Adapter, event: Event) -> None:
        """Handle one event to the end; safe to call concurrently."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self._handle(adapter, event)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def drain(self, timeout: float) -> bool:
        """Wait for the handlers in flight; False if some were still running at the timeout."""
        others = {t for t in self._in_flight if t is not asyncio.current_task()}
        if not others:
            return True
        _done, pending = await asyncio.wait(others, timeout=timeout)
        return not pending

    async def _handle(self, adapter: Adapter, event: Event) -> None:
        # Own messages first: they are the most frequent loop and need no database write.
        if event.sender_is_bot or event.sender.handle == adapter.bot_user.handle:
            return
        if not self._concerns_bot(event):
            return  # chatter: not stored, not even who said it (no surveillance)
        ids = _ids(event)
        log.info("event", extra={**ids, "kind": str(event.kind)})
        if event.platform not in self.actions.adapters:
            self.actions.attach(adapter)  # answers leave through the platform they came from
        key = f"{event.platform}:{event.account}:{event.event_id}"
        try:
            await self.actions.run(partial(self._unit, event, adapter.capabilities), key)
        except Exception as error:
            # Ids and the exception's type at ERROR; its message may quote the event's text.
            log_failure(log, "handler failed", error, ids)
            try:  # nothing of the handler was kept: mark the event and say so, once
                await self.actions.run(partial(self._failed, event), key)
            except Exception as again:
                log_failure(log, "error reply failed", again, ids)
        else:
            if is_thread_reply(event):
                await self._take_in(ids)

    async def _take_in(self, ids: dict[str, str]) -> None:
        """A reply's evidence into the indexes as it arrives, once committed: in the reply's time
        rather than the next need's (its thread read again, the reference questions scored).
        The reply is kept whatever happens here: the next refresh takes it in."""
        try:
            await self.actions.in_thread(self.services.matcher.refresh)
        except Exception as error:
            log_failure(log, "index refresh failed", error, ids)

    def _unit(self, event: Event, capabilities: Capabilities) -> list[Outgoing] | None:
        """The event's unit of work, in a worker thread."""
        if is_thread_reply(event):
            self._thread_reply(event)
            return None  # the bot says nothing in answer to a reply
        store = self.services.store
        known = store.find_person(event.platform, event.sender.handle) is not None
        if not known and event.kind is EventKind.REACTION:
            return None  # someone who never used Entraide reacting to a message: store nothing
        if not self._mark(event):
            log.info("duplicate event dropped", extra=_ids(event))
            return None
        if not known and not self._may_record(event):
            return None
        # A direct message from someone unknown is recorded only if it needs it (a command, a
        # need), not to be answered (a greeting, an unknown word): they are made on first use.
        lazy = not known and event.kind is EventKind.MESSAGE and event.is_direct
        record = partial(self._record_sender, event, new=not known)
        person = None if lazy else record()
        ctx = Context(
            self.services,
            event.platform,
            event.account,
            event,
            person,
            capabilities,
            make_person=record if lazy else None,
        )
        if ctx.person is None or not ctx.person.deleted:
            self._dispatch(ctx, event)
        return ctx.outgoing

    def _record_sender(self, event: Event, *, new: bool) -> Person:
        """The sender's record (``new``: made now); someone who had asked to be forgotten and now
        uses Entraide again comes back (see _may_record). Their display name is kept up to date."""
        store, configured = self.services.store, self.services.config.privacy.erasure_salt
        if new and store.is_erased(configured, event.platform, event.sender.handle):
            store.come_back(configured, event.platform, event.sender.handle)
        return store.person_for(
            event.platform, event.sender.handle, event.sender.display, at=self.services.clock()
        )

    def _thread_reply(self, event: Event) -> None:
        """Record a reply in a need's thread as evidence (see bot.chat.replies); anything else
        said in a thread is chatter, dropped before anything is written."""
        services = self.services
        store = services.store
        need = need_of_thread(services, event)
        if need is None:
            return
        known = store.find_person(event.platform, event.sender.handle)
        if known is not None and (known.id == need.person_id or known.matching_opt_out or known.deleted):
            return
        text = visible(event.text).strip()
        if not text or (known is None and not self._may_record(event)):
            return
        if not self._mark(event):
            log.info("duplicate event dropped", extra=_ids(event))
            return
        now = services.clock()
        person = known or store.person_for(event.platform, event.sender.handle, event.sender.display, at=now)
        assert person.id is not None
        store.record_reply(live_thread(need), person.id, text, now)

    def _may_record(self, event: Event) -> bool:
        """Whether an event from someone Entraide has no record of may create one.

        Only using Entraide does: a command, a message to the bot, a button, a need posted in a
        help channel — never a reaction (the caller stores nothing for those). Someone who asked
        to be forgotten comes back only by a command or a message to the bot (they chose to
        return): an old event of theirs (a need posted in a channel, a button on an erased
        request) does not re-create them.
        """
        configured = self.services.config.privacy.erasure_salt
        store = self.services.store
        if not store.is_erased(configured, event.platform, event.sender.handle):
            return True
        # They come back (_record_sender) once what they sent needs a record of them.
        return event.kind is EventKind.COMMAND or (event.kind is EventKind.MESSAGE and event.is_direct)

    def _dispatch(self, ctx: Context, event: Event) -> None:
        config = self.services.config
        text = visible(event.text).strip()  # zero-width characters pasted along mean nothing
        if len(event.text) > config.bot.max_message_length:
            ctx.say(
                "error.too_long",
                private=True,
                length=len(event.text),
                limit=config.bot.max_message_length,
            )
            return
        if event.kind is EventKind.REACTION:
            try:
                handle_reaction(ctx, event, self.commands)
            except UsageError as error:
                self._explain(ctx, error, None)
            return
        parsed = self._parse(ctx, event, text)
        if parsed is None:
            return
        if self._refused(ctx, parsed.command):
            return
        try:
            parsed.command.handler(ctx, parsed.arguments)
        except UsageError as error:
            ctx.outgoing.clear()
            self._explain(ctx, error, parsed)
            return
        if parsed.plain:  # understood without a command: say once, briefly, how to write one
            ctx.say("plain.tip", private=True, command=parsed.command.word(ctx.language))

    def _parse(self, ctx: Context, event: Event, text: str) -> ParsedCommand | None:
        """The command to run, or None when there is nothing to do (or the error is answered)."""
        if event.kind is EventKind.ACTION and event.action:
            command = self.commands.get(event.action.verb)
            if command is None:
                return None
            target = event.action.target
            return ParsedCommand(command, Arguments({"id": "" if target is None else str(target)}))
        addressed = event.kind is EventKind.COMMAND or event.is_direct
        if not addressed:
            need = self.commands.get("need")
            if need is not None and self._is_help_channel_need(event):
                prefix = self.services.config.bot.need_prefix
                body = text.removeprefix(prefix).strip() if prefix else text
                return ParsedCommand(need, Arguments({"text": body or text}))
            return None
        try:
            return self.commands.parse(text)
        except UsageError as error:
            if self._refused(ctx, error.command):  # not even the usage of an admin command
                return None
            if is_private(event.platform, event.is_direct):
                return self._plain(ctx, text, error)
            self._explain(ctx, error, None)
            return None

    def _plain(self, ctx: Context, text: str, error: UsageError) -> ParsedCommand | None:
        """In a private conversation, a line that is no command, read as plain language."""
        body = without_greeting(text)
        if body != text:  # "hello! skills add Go": the command after the greeting
            try:
                return self.commands.parse(body)
            except UnknownCommand:
                pass
            except UsageError as inner:
                self._explain(ctx, inner, None)
                return None
        plain = read(
            text,
            need_phrases=self.services.config.bot.need_phrases,
            skills=self.services.matcher.recognise,
            command_like=not isinstance(error, UnknownCommand) or bool(error.suggestion),
        )
        need = self.commands.get("need")
        if plain is None:
            self._explain(ctx, error, None)
        elif plain.reading is Reading.NEED and need is not None:
            return ParsedCommand(need, Arguments({"text": plain.text}), plain=True)
        else:
            help_word, thanks_word = self._word(ctx, "help"), self._word(ctx, "thanks")
            ctx.say(f"plain.{plain.reading}", private=True, help=help_word, thanks=thanks_word)
        return None

    def _word(self, ctx: Context, name: str) -> str:
        command = self.commands.get(name)
        return name if command is None else command.word(ctx.language)

    def _concerns_bot(self, event: Event) -> bool:
        if event.kind in (EventKind.COMMAND, EventKind.ACTION) or event.is_direct:
            return True
        if event.kind is EventKind.REACTION:
            return is_meaningful(event.reaction or "")
        return self._is_help_channel_need(event) or is_thread_reply(event)

    def _is_help_channel_need(self, event: Event) -> bool:
        # Only a top-level message starts a need: replies in a thread discuss the one above.
        top_level = event.thread is None or event.thread == event.message_id
        return event.in_help_channel and top_level and self._is_need(event.text.strip())

    def _is_need(self, text: str) -> bool:
        bot = self.services.config.bot
        if bot.need_prefix and text.startswith(bot.need_prefix):
            return True
        folded = fold(text)
        return any(fold(phrase) in folded for phrase in bot.need_phrases)

    def _refused(self, ctx: Context, command: Command | None) -> bool:
        """Refuse, briefly, an admin command to someone who is no community manager."""
        if command is None or not command.admin or ctx.is_admin:
            return False
        ctx.say("error.not_allowed", private=True, command=command.word(ctx.language))
        return True

    def _explain(self, ctx: Context, error: UsageError, parsed: ParsedCommand | None) -> None:
        if isinstance(error, UnknownCommand):
            suggested = self.commands.get(error.suggestion) if error.suggestion else None
            if suggested is not None and suggested.admin and not ctx.is_admin:
                suggested = None  # admin commands are named only to managers, as in help
            key = "error.unknown_command_suggest" if suggested else "error.unknown_command"
            suggestion = suggested.word(ctx.language) if suggested else ""
            ctx.say(key, private=True, word=error.word, suggestion=suggestion, help=self._word(ctx, "help"))
            return
        command = error.command or (parsed.command if parsed else None)
        if self._refused(ctx, command):
            return
        values = {k: ctx.text(v.key) if isinstance(v, Label) else v for k, v in error.values.items()}
        message = ctx.text(error.key, **values)
        if command is None:
            ctx.say("error.plain", private=True, message=message)
            return
        ctx.say("error.with_usage", private=True, message=message, usage=ctx.text(command.usage_key))

    def _mark(self, event: Event) -> bool:
        """Mark the event processed in the current unit of work; False if it already was."""
        at, store = self.services.clock(), self.services.store
        return store.mark_processed(event.platform, event.event_id, account=event.account, at=at)

    def _failed(self, event: Event) -> list[Outgoing] | None:
        """After a handler failed (its work rolled back): mark the event, apologise once."""
        if not self._mark(event):
            return None
        person = self.services.store.find_person(event.platform, event.sender.handle)
        ctx = Context(self.services, event.platform, event.account, event, person)
        ctx.say("error.internal", event_id=event.event_id[:40])
        return ctx.outgoing


def _ids(event: Event) -> dict[str, str]:
    """What a log line says of an event: ids, never its text."""
    return {"event_id": event.event_id, "platform": event.platform}
