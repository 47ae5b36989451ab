"""Property: no command stores an empty, mention-only or invisible skill, need, offer or thanks.

Texts made only of zero-width characters, whitespace, punctuation, emoji or mentions go through
the whole pipeline (SQLite); the store must hold nothing new, and the sender must get an answer.
"""

from __future__ import annotations

import asyncio
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.events import EventKind
from tests.support import MemoryAdapter, event, make_services, pipeline_for
from tests.test_clean_input import stored

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad"]
SPACES = [" ", "\u00a0", "\t", "\u3000", "\u202f"]
PUNCTUATION = [*string.punctuation.replace("@", ""), "…", "«", "»", "—", "“", "”"]
EMOJI = ["🎉", "🚀", "👍", "❤️", "👨‍👩‍👧", "🇫🇷", "✅", "🙏🏽"]
MENTIONS = ["@bob", "@carol", "@alice", "@nobody", "@bob,"]

nothing = st.lists(st.sampled_from(INVISIBLE + SPACES + PUNCTUATION + EMOJI), max_size=12).map("".join)
only_mentions = st.lists(
    st.tuples(st.sampled_from(MENTIONS), st.sampled_from([" ", ", ", " ; ", "\u200b ", " 🎉 "])),
    min_size=1,
    max_size=4,
).map(lambda pairs: "".join(m + sep for m, sep in pairs))
empty_text = st.one_of(nothing, only_mentions, st.tuples(nothing, only_mentions).map("".join))

TEMPLATES = [
    "skills add {}",
    "compétences ajouter {}",
    "learn {}",
    "endorse @bob {}",
    "need {}",
    "need help {}",
    "besoin d'aide {}",
    "offer {}",
    "thanks @bob {}",
    "thanks @bob for {}",
    "merci @carol pour {}",
    "{}",  # plain language in a private conversation
]


def test_nothing_empty_is_ever_stored(sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    with asyncio.Runner() as runner:
        for who in ("alice", "bob", "carol"):  # they exist, so a thanks can name them
            runner.run(pipeline.handle(adapter, event("skills list", who)))

        @settings(max_examples=60, deadline=None)
        @given(st.sampled_from(TEMPLATES), empty_text, st.booleans())
        def check(template: str, text: str, private: bool) -> None:
            line = template.format(text)
            before, sent = stored(services), len(adapter.sent)
            kind = EventKind.MESSAGE if private else EventKind.COMMAND
            runner.run(pipeline.handle(adapter, event(line, "alice", kind=kind, is_direct=private)))
            assert stored(services) == before, repr(line)
            answers = adapter.sent[sent:]
            assert answers and answers[0].plain.strip(), repr(line)

        check()
        assert stored(services) == dict.fromkeys(stored(services), 0)
