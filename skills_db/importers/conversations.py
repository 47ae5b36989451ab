"""Rebuild conversations from a channel's flow, for history written before (or without) threads.

Pure: given one channel's top-level messages (bots, joins and other noise already removed by
the reader), group them into conversations and return those someone other than the asker
answered, as :class:`HistoryThread` values. The rules (``docs/import-formats.md``, "Channels
without threads") read the order of messages, their time gaps, their mentions and their quotes;
they know nothing of any particular workspace.

>>> flow = rebuild_conversations(messages, channel="general", channel_id="C1")  # doctest: +SKIP
>>> [(t.root.text, [r.author for r in t.replies]) for t in flow.threads]  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from skills_db.importers.model import (
    SOURCE_SLACK,
    HistoryMessage,
    HistoryThread,
    find_solved_by,
    message_order,
)

FLOW_PREFIX = "flow:"


@dataclass(frozen=True)
class FlowRules:
    """The time limits of the rules (why these values: ``docs/import-formats.md``)."""

    # A reply by anyone comes within this gap of the conversation's previous message.
    window: timedelta = timedelta(minutes=45)
    # Two people answering each other in turn keep one conversation over longer gaps.
    pair_window: timedelta = timedelta(hours=3)
    # A mention or a quote links back to a conversation at most this long after its last message.
    horizon: timedelta = timedelta(days=3)


DEFAULT_RULES = FlowRules()


@dataclass(frozen=True)
class ChannelFlow:
    threads: tuple[HistoryThread, ...]  # conversations with a reply by someone other than the asker
    messages: int  # messages read
    grouped: int  # messages in ``threads`` (the asker's opening lines, merged into the root, included)

    @property
    def unanswered(self) -> int:
        """Messages left out: in no conversation that someone other than its asker answered."""
        return self.messages - self.grouped


def flow_thread_id(channel_id: str, root_ts: str) -> str:
    """Stable across re-imports of the same export: the channel and the first message's ts."""
    return f"{FLOW_PREFIX}{channel_id}:{root_ts}"


def is_flow_thread(thread: HistoryThread) -> bool:
    return thread.thread_id.startswith(FLOW_PREFIX)


# --------------------------------------------------------------------------- what a message says

_URL = re.compile(r"\b[a-z][a-z0-9+.\-]*://\S+", re.IGNORECASE)
_LEADING = re.compile(r"^(?:[\s>*_~`\"'(\[]|@\S+|[,:;!.-])+")
_WORD = re.compile(r"[\w'’-]+")
# Openers that make a sentence a question, English and French. Words that also open
# statements ("will", "have", "quand", "que") are left out on purpose.
_OPENERS = (
    "how", "what", "why", "where", "which", "who", "whom", "whose", "does", "did", "do", "is there",
    "are there", "is it", "can", "could", "anyone", "anybody", "any", "has anyone", "has anybody",
    "comment", "pourquoi", "où", "quel", "quelle", "quels", "quelles", "qui", "combien", "est-ce",
    "y a-t-il", "peut-on", "sait-on", "savez-vous", "connaissez-vous", "avez-vous", "pouvez-vous",
    "quelqu'un", "quelqu’un",
)  # fmt: skip
# Phrases that ask for help wherever they stand in the message.
_ASKING = (
    "anyone", "anybody", "does anybody", "does anyone", "any idea", "any ideas", "looking for",
    "need help", "can someone", "could someone", "recommend", "quelqu'un", "quelqu’un",
    "est-ce que", "une idée", "je cherche", "besoin d'aide", "besoin d’aide", "savez-vous",
)  # fmt: skip
_OPENER_RE = re.compile(r"^(?:" + "|".join(re.escape(o) for o in _OPENERS) + r")(?![\w'’-])")
_ASKING_RE = re.compile(r"(?<![\w'’-])(?:" + "|".join(re.escape(a) for a in _ASKING) + r")(?![\w'’-])")
_QUOTE_MIN_WORDS = 3
_QUOTE_OVERLAP = 0.6


def looks_like_question(text: str) -> bool:
    """A question mark (outside links), a question word first, or a phrase asking for help."""
    plain = _URL.sub(" ", text).lower()
    if "?" in plain:
        return True
    opening = _LEADING.sub("", plain)
    return _OPENER_RE.match(opening) is not None or _ASKING_RE.search(plain) is not None


def quoted_words(text: str) -> frozenset[str]:
    """The words of the message's ``>`` lines (Slack's quote), lower-cased."""
    lines = (line[1:] for line in text.splitlines() if line.lstrip().startswith(">"))
    return frozenset(word.lower() for line in lines for word in _WORD.findall(line))


def _words(text: str) -> frozenset[str]:
    return frozenset(word.lower() for word in _WORD.findall(text))


# --------------------------------------------------------------------------- grouping


@dataclass
class _Open:
    """A conversation being built (mutable while the channel is read)."""

    number: int
    messages: list[HistoryMessage]
    people: set[str] = field(default_factory=set)
    words: list[frozenset[str]] = field(default_factory=list)  # of each message, once quoted

    @property
    def asker(self) -> str:
        return self.messages[0].author

    @property
    def last_at(self) -> datetime:
        return self.messages[-1].posted_at

    def add(self, message: HistoryMessage) -> None:
        self.messages.append(message)
        self.people.add(message.author)

    def pair_turn(self, author: str) -> bool:
        """``author`` answers the other of exactly two people talking in turn."""
        return len(self.people) == 2 and author in self.people and self.messages[-1].author != author

    def quotes(self, words: frozenset[str]) -> bool:
        if len(words) < _QUOTE_MIN_WORDS:
            return False
        self.words.extend(_words(m.text) for m in self.messages[len(self.words) :])
        return any(len(words & said) >= _QUOTE_OVERLAP * len(words) for said in self.words)


class _Grouper:
    def __init__(self, rules: FlowRules) -> None:
        self.rules = rules
        self.all: list[_Open] = []
        # By last message time, oldest first: what a mention or a quote may still reach.
        self.recent: OrderedDict[int, _Open] = OrderedDict()
        # Person -> numbers of the recent conversations they took part in / started, so that
        # a mention costs a set lookup, not a scan of every recent conversation.
        self.took_part: dict[str, set[int]] = {}
        self.started: dict[str, set[int]] = {}
        self.current: _Open | None = None

    def add(self, message: HistoryMessage) -> None:
        self._forget_before(message.posted_at - self.rules.horizon)
        target = self._addressed(message)
        if target is None and self.current is not None:
            target = self._continued(self.current, message)
        if target is None:
            target = _Open(len(self.all), [message], {message.author})
            self.all.append(target)
            self.started.setdefault(message.author, set()).add(target.number)
        else:
            target.add(message)
        self.took_part.setdefault(message.author, set()).add(target.number)
        self.recent[target.number] = target
        self.recent.move_to_end(target.number)
        self.current = target

    def _forget_before(self, limit: datetime) -> None:
        while self.recent:
            oldest = next(iter(self.recent.values()))
            if oldest.last_at >= limit:
                return
            self.recent.popitem(last=False)
            for person in oldest.people:
                self.took_part[person].discard(oldest.number)
            self.started[oldest.asker].discard(oldest.number)

    def _latest(self, numbers: set[int]) -> _Open | None:
        """Of these recent conversations, the one whose last message is the latest."""
        found = [self.recent[n] for n in numbers]
        return max(found, key=lambda c: (c.last_at, c.number)) if found else None

    def _addressed(self, message: HistoryMessage) -> _Open | None:
        """The conversation a quote or a mention points back to, the latest first."""
        quoted = quoted_words(message.text)
        if quoted:
            for conversation in reversed(self.recent.values()):
                if conversation.quotes(quoted):
                    return conversation
        mentioned = set(message.mentions) - {message.author}
        if not mentioned:
            return None
        mine = self.took_part.get(message.author, set())
        shared = {n for person in mentioned for n in self.took_part.get(person, ()) if n in mine}
        if shared:
            return self._latest(shared)
        if looks_like_question(message.text):
            return None  # a new question put to someone starts a conversation, not a reply to theirs
        return self._latest({n for person in mentioned for n in self.started.get(person, ())})

    def _continued(self, current: _Open, message: HistoryMessage) -> _Open | None:
        gap = message.posted_at - current.last_at
        if gap <= self.rules.window:
            newcomer = message.author not in current.people
            if newcomer and looks_like_question(message.text) and not set(message.mentions) & current.people:
                return None  # someone else's new question starts a conversation of its own
            return current
        if gap <= self.rules.pair_window and current.pair_turn(message.author):
            return current
        return None


def _thread(conversation: _Open, channel: str, channel_id: str, public: bool) -> HistoryThread | None:
    messages = conversation.messages
    first_other = next((i for i, m in enumerate(messages) if m.author != conversation.asker), None)
    if first_other is None:
        return None
    opening = messages[:first_other]  # the asker's lines before anyone answered: the question
    root = opening[0]
    if len(opening) > 1:
        mentions = tuple(dict.fromkeys(h for m in opening for h in m.mentions))
        root = replace(root, text="\n".join(m.text for m in opening), mentions=mentions)
    replies = tuple(messages[first_other:])
    return HistoryThread(
        source=SOURCE_SLACK,
        channel=channel,
        thread_id=flow_thread_id(channel_id, root.ts),
        root=root,
        replies=replies,
        solved_by=find_solved_by(root, replies),
        public=public,
    )


def rebuild_conversations(
    messages: Iterable[HistoryMessage],
    *,
    channel: str,
    channel_id: str,
    public: bool = True,
    rules: FlowRules = DEFAULT_RULES,
) -> ChannelFlow:
    """Group one channel's top-level messages into conversations; keep the answered ones."""
    ordered: Sequence[HistoryMessage] = sorted(messages, key=message_order)
    grouper = _Grouper(rules)
    for message in ordered:
        grouper.add(message)
    threads: list[HistoryThread] = []
    grouped = 0
    for conversation in grouper.all:
        thread = _thread(conversation, channel, channel_id, public)
        if thread is not None:
            threads.append(thread)
            grouped += len(conversation.messages)
    return ChannelFlow(tuple(threads), len(ordered), grouped)
