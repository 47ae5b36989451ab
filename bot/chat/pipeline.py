"""The one inbound funnel every adapter feeds.

normalise (done by the adapter) → drop the bot's own and other bots' messages → drop duplicates
by (platform, event id), persisted so a restart or a platform retry does not handle an event
twice → route to a command, or to need detection in help channels. A handler that raises is
logged with the event id and answered briefly; the bot goes on with the next event.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from bot.chat.adapter import Adapter
from bot.chat.context import Context, Services
from bot.chat.events import Event, EventKind, Reply
from bot.chat.reactions import handle_reaction, is_meaningful
from bot.chat.text import safe_reply
from bot.commands import registry
from bot.commands.registry import Arguments, ParsedCommand, Registry, UnknownCommand, UsageError
from skills_db.vocabulary.textnorm import fold

log = logging.getLogger("entraide.pipeline")


class Pipeline:
    def __init__(self, services: Services, commands: Registry | None = None) -> None:
        self.services = services
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
        store = self.services.store
        if not store.mark_processed(event.platform, event.event_id):
            log.info(
                "duplicate event dropped",
                extra={"event_id": event.event_id, "platform": event.platform},
            )
            return
        log.info(
            "event",
            extra={"event_id": event.event_id, "platform": event.platform, "kind": str(event.kind)},
        )
        replies: list[Reply] = []
        try:
            replies = await self._route(adapter, event)
        except Exception:
            log.exception("handler failed", extra={"event_id": event.event_id, "platform": event.platform})
            replies = [self._error_reply(event)]
        for index, reply in enumerate(replies):
            # A key derived from the event makes a resend after a crash recognisable as such.
            reply = replace(safe_reply(reply), key=reply.key or f"{event.event_id}:{index}")
            try:
                message_id = await adapter.send(reply)
                if reply.tag and message_id:
                    self._remember(event.platform, message_id, reply.tag)
            except Exception:
                log.exception("send failed", extra={"event_id": event.event_id, "platform": event.platform})

    async def _route(self, adapter: Adapter, event: Event) -> list[Reply]:
        config = self.services.config
        text = event.text.strip()
        person = self.services.store.person_for(event.platform, event.sender.handle, event.sender.display)
        ctx = Context(self.services, event, person, adapter.capabilities)
        if person.deleted:
            return []
        if len(event.text) > config.bot.max_message_length:
            ctx.say(
                "error.too_long",
                private=True,
                length=len(event.text),
                limit=config.bot.max_message_length,
            )
            return ctx.replies
        if event.kind is EventKind.REACTION:
            try:
                await handle_reaction(ctx, event, self.commands)
            except UsageError as error:
                self._explain(ctx, error, None)
            return ctx.replies
        parsed = self._parse(ctx, event, text)
        if parsed is None:
            return ctx.replies
        is_admin = event.sender_is_admin or config.is_admin(event.platform, event.sender.handle)
        if parsed.command.admin and not is_admin:
            ctx.say("error.not_allowed", private=True, command=parsed.command.name)
            return ctx.replies
        try:
            await parsed.command.handler(ctx, parsed.arguments)
        except UsageError as error:
            ctx.replies.clear()
            self._explain(ctx, error, parsed)
        return ctx.replies

    def _parse(self, ctx: Context, event: Event, text: str) -> ParsedCommand | None:
        """The command to run, or None when there is nothing to do (or the error is answered)."""
        if event.kind is EventKind.ACTION and event.action:
            verb, _, ident = event.action.partition(":")
            command = self.commands.get(verb)
            if command is None:
                return None
            return ParsedCommand(command, Arguments({"id": ident}))
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
            self._explain(ctx, error, None)
            return None

    def _remember(self, platform: str, message_id: str, tag: str) -> None:
        """Keep what a sent message was about, so reactions and threads under it make sense."""
        store = self.services.store
        store.set_state(platform, f"message:{message_id}", tag)
        kind, _, ident = tag.partition(":")
        if kind == "need" and ident.isdigit():
            store.set_need_thread(int(ident), message_id)

    def _concerns_bot(self, event: Event) -> bool:
        if event.kind in (EventKind.COMMAND, EventKind.ACTION) or event.is_direct:
            return True
        if event.kind is EventKind.REACTION:
            return is_meaningful(event.reaction or "")
        return self._is_help_channel_need(event)

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

    def _explain(self, ctx: Context, error: UsageError, parsed: ParsedCommand | None) -> None:
        if isinstance(error, UnknownCommand):
            key = "error.unknown_command_suggest" if error.suggestion else "error.unknown_command"
            ctx.say(key, private=True, word=error.word, suggestion=error.suggestion or "")
            return
        command = error.command or (parsed.command if parsed else None)
        message = ctx.text(error.key, **error.values)
        if command is None:
            ctx.say("error.plain", private=True, message=message)
            return
        ctx.say("error.with_usage", private=True, message=message, usage=ctx.text(command.usage_key))

    def _error_reply(self, event: Event) -> Reply:
        person = self.services.store.find_person(event.platform, event.sender.handle)
        language = (person.language if person else None) or self.services.config.bot.language
        body = self.services.catalog.render(language, "error.internal", event_id=event.event_id[:40])
        return Reply(body=body, conversation=event.conversation, thread=event.thread)
