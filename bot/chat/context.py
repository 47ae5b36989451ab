"""What a command handler works with: the event, who sent it, and the services it may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.chat.events import Button, Capabilities, Event, Mention, Reply, Segment, UserRef
from bot.config import Config
from bot.i18n import Catalog
from bot.matching.engine import Matcher
from skills_db.storage.models import Person
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


@dataclass
class Context:
    services: Services
    event: Event
    person: Person
    capabilities: Capabilities
    replies: list[Reply] = field(default_factory=list)

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def language(self) -> str:
        return self.person.language or self.config.bot.language

    @property
    def person_id(self) -> int:
        assert self.person.id is not None
        return self.person.id

    def now(self) -> datetime:
        return self.services.clock()

    def render(self, key: str, language: str | None = None, **values: Any) -> tuple[Segment, ...]:
        return self.services.catalog.render(language or self.language, key, **values)

    def text(self, key: str, language: str | None = None, **values: Any) -> str:
        return self.services.catalog.text(language or self.language, key, **values)

    def say(self, key: str, *, private: bool = False, tag: str | None = None, **values: Any) -> None:
        """Answer the sender where they spoke: in the thread if there is one.

        ``private`` answers only the sender (ephemeral where the platform can, else a DM) —
        for personal commands that the channel need not see.
        """
        self.say_segments(self.render(key, **values), private=private, tag=tag)

    def say_segments(
        self,
        body: tuple[Segment, ...],
        *,
        private: bool = False,
        buttons: tuple[Button, ...] = (),
        tag: str | None = None,
    ) -> None:
        event = self.event
        if private and not event.is_direct and not self.capabilities.ephemeral:
            self.replies.append(Reply(body=body, to=event.sender, buttons=buttons, tag=tag))
            return
        self.replies.append(
            Reply(
                body=body,
                conversation=event.conversation,
                thread=event.thread,
                to=event.sender if private and not event.is_direct else None,
                ephemeral=private and not event.is_direct,
                buttons=buttons,
                tag=tag,
            )
        )

    def tell(
        self,
        user: UserRef,
        language: str | None,
        key: str,
        *,
        buttons: tuple[Button, ...] = (),
        tag: str | None = None,
        **values: Any,
    ) -> None:
        """Send a private message to someone else, in their language."""
        self.replies.append(
            Reply(body=self.render(key, language, **values), to=user, buttons=buttons, tag=tag)
        )

    def post(
        self,
        conversation: str,
        thread: str | None,
        body: tuple[Segment, ...],
        key: str | None = None,
    ) -> None:
        self.replies.append(Reply(body=body, conversation=conversation, thread=thread, key=key))

    def mention(self, person: Person) -> Mention:
        """A mention of ``person`` on this event's platform (by name if they have no identity here)."""
        assert person.id is not None
        for identity in self.store.identities(person.id):
            if identity.platform == self.event.platform:
                return Mention(UserRef(identity.platform, identity.handle, identity.display or person.name))
        return Mention(UserRef(self.event.platform, f"~{person.id}", person.name))

    def user_ref(self, person: Person) -> UserRef | None:
        """Where to reach ``person`` on this event's platform."""
        mention = self.mention(person)
        return None if mention.user.handle.startswith("~") else mention.user
