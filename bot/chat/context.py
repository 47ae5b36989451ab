"""What a handler works with: its trigger, who it acts for, the services it may use, its outbox.

Every action — an inbound event, a scheduled job, a CLI command — runs with a :class:`Context`
inside one database unit of work, in a worker thread (see :mod:`bot.chat.actions`). What it says
is collected in ``outgoing`` and leaves, after the commit, through the one outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.chat.events import About, Button, Capabilities, Event, Mention, Reply, Segment, UserRef
from bot.config import Config
from bot.i18n import Catalog
from bot.matching.engine import Matcher
from skills_db.storage.models import Identity, Person
from skills_db.storage.store import Store
from skills_db.vocabulary.taxonomy import Taxonomy


@dataclass(frozen=True)
class Services:
    """Everything long-lived the core needs, passed in rather than reached as globals."""

    config: Config
    store: Store
    catalog: Catalog
    taxonomy: Taxonomy
    matcher: Matcher
    clock: Callable[[], datetime]

    def is_admin(self, event: Event) -> bool:
        """The one check of who is a community manager: the platform says so, or the config."""
        return event.sender_is_admin or self.config.is_admin(event.platform, event.sender.handle)

    def erasure_salt(self) -> str:
        """The salt of the hashes kept of erased identities (``[privacy] erasure_salt``, else
        the database's own)."""
        return self.store.erasure_salt(self.config.privacy.erasure_salt)


@dataclass(frozen=True)
class Outgoing:
    """A message to deliver: on which platform and account, and what."""

    platform: str
    account: str
    reply: Reply


@dataclass
class Context:
    services: Services
    platform: str
    account: str = ""
    event: Event | None = None
    person: Person | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    outgoing: list[Outgoing] = field(default_factory=list)
    _identities: dict[int, list[Identity]] = field(default_factory=dict)
    # Makes the record of a sender Entraide does not know yet, when a handler first needs it:
    # someone whose message is only answered (a greeting, an unknown command) leaves none.
    make_person: Callable[[], Person] | None = None

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def trigger(self) -> Event:
        """The event this action answers; only handlers of events may ask."""
        if self.event is None:
            raise RuntimeError("this action has no inbound event")
        return self.event

    @property
    def sender(self) -> Person:
        if self.person is None and self.make_person is not None:
            self.person = self.make_person()
        if self.person is None:
            raise RuntimeError("this action acts for nobody")
        return self.person

    @property
    def language(self) -> str:
        return (self.person.language if self.person else None) or self.config.bot.language

    @property
    def person_id(self) -> int:
        assert self.sender.id is not None
        return self.sender.id

    @property
    def is_admin(self) -> bool:
        return self.event is not None and self.services.is_admin(self.event)

    def now(self) -> datetime:
        return self.services.clock()

    def render(self, key: str, language: str | None = None, **values: Any) -> tuple[Segment, ...]:
        return self.services.catalog.render(language or self.language, key, **values)

    def text(self, key: str, language: str | None = None, **values: Any) -> str:
        return self.services.catalog.text(language or self.language, key, **values)

    # -- saying things -------------------------------------------------------------------------

    def send(self, reply: Reply, platform: str | None = None, account: str | None = None) -> None:
        """The one way out: everything the action says goes through here, to the outbox."""
        self.outgoing.append(
            Outgoing(platform or self.platform, self.account if account is None else account, reply)
        )

    def say(self, key: str, *, private: bool = False, regarding: About | None = None, **values: Any) -> None:
        """Answer the sender where they spoke: in the thread if there is one.

        ``private`` answers only the sender (ephemeral where the platform can, else a DM) —
        for personal commands that the channel need not see.
        """
        self.say_segments(self.render(key, **values), private=private, regarding=regarding)

    def say_segments(
        self,
        body: tuple[Segment, ...],
        *,
        private: bool = False,
        buttons: tuple[Button, ...] = (),
        regarding: About | None = None,
    ) -> None:
        event = self.trigger
        reply = Reply(
            body=body,
            conversation=event.conversation,
            thread=event.thread,
            buttons=buttons,
            about=regarding,
            in_reply_to=event.event_id,
            language=self.language,
        )
        if private and not event.is_direct:
            if self.capabilities.ephemeral:
                reply = replace(reply, to=event.sender, ephemeral=True)
            else:  # a DM instead
                reply = replace(reply, conversation=None, thread=None, to=event.sender)
        self.send(reply)

    def tell(
        self,
        user: UserRef,
        language: str | None,
        key: str,
        *,
        buttons: tuple[Button, ...] = (),
        regarding: About | None = None,
        **values: Any,
    ) -> None:
        """Send a private message to someone else, in their language."""
        language = language or self.config.bot.language
        body = self.render(key, language, **values)
        reply = Reply(body=body, to=user, buttons=buttons, about=regarding, language=language)
        self.send(reply, user.platform)

    def post(
        self,
        platform: str,
        conversation: str,
        thread: str | None,
        body: tuple[Segment, ...],
        *,
        language: str | None = None,
        regarding: About | None = None,
    ) -> None:
        """Post into a conversation, not in answer to anything in it."""
        reply = Reply(body=body, conversation=conversation, thread=thread, language=language, about=regarding)
        self.send(reply, platform)

    # -- naming people ---------------------------------------------------------------------------

    def know(self, person_ids: Iterable[int]) -> None:
        """Read the identities of these people in one query, before mentioning them."""
        missing = [pid for pid in set(person_ids) if pid not in self._identities]
        if missing:
            self._identities.update(self.store.identities_for(missing))

    def mention(self, person: Person, platform: str | None = None) -> Mention:
        """A mention of ``person`` on ``platform`` (by name if they have no identity there)."""
        assert person.id is not None
        platform = platform or self.platform
        self.know([person.id])
        for identity in self._identities.get(person.id, ()):
            if identity.platform == platform:
                return Mention(UserRef(identity.platform, identity.handle, identity.display or person.name))
        return Mention(UserRef(platform, f"~{person.id}", person.name))

    def reachable(self, person_id: int, platform: str) -> bool:
        """Whether this person has an identity on ``platform`` (after :meth:`know`, no query)."""
        self.know([person_id])
        return any(identity.platform == platform for identity in self._identities.get(person_id, ()))

    def user_ref(self, person: Person, platform: str | None = None) -> UserRef | None:
        """Where to reach ``person`` on ``platform``; None when they have no identity there."""
        mention = self.mention(person, platform)
        return None if mention.user.handle.startswith("~") else mention.user
