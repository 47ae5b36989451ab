"""What counts as something to store: no invisible characters, no mention taken for a skill.

People paste text from everywhere: zero-width spaces come with it, a skill list may end with a
comma, a mention lands where a skill was expected. These checks run before anything is stored
and raise :class:`UsageError` with a short explanation instead.
"""

from __future__ import annotations

import re
import unicodedata

from bot.commands.registry import Arguments, UsageError
from skills_db.vocabulary.textnorm import fold

# Characters that show nothing: zero-width space, non-joiner and joiner, word joiner, the
# invisible operators, the byte-order mark, the soft hyphen, the Mongolian vowel separator.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"))
_MENTION = re.compile(r"(?<![^\W_])@[^\s,;]+")  # "@bob", "!@bob"; not "me@example.org"
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")

# Words that say "help" without saying with what: "need help please", "besoin d'aide svp".
_FILLER = frozenset(
    fold(word)
    for word in (
        *"help me please pls plz with on for some a an the i need needed someone anyone".split(),
        *"somebody anybody can could you hi hello hey urgent asap thanks quick question".split(),
        *"aide d'aide l'aide de du moi svp stp s'il vous te plait plaît avec sur pour un une".split(),
        *"besoin j'ai quelqu'un bonjour salut urgent merci question rapide".split(),
    )
)


def visible(text: str) -> str:
    """``text`` without invisible characters, anywhere in it."""
    return text.translate(_INVISIBLE)


def has_words(text: str) -> bool:
    """Whether ``text`` says something: letters or digits outside mentions (not only 🎉 or ",;")."""
    return any(_is_word_char(char) for char in _MENTION.sub(" ", visible(text)))


def mentions_in(text: str) -> list[str]:
    """The @mentions written in ``text``, as written."""
    return [m.group().rstrip(",.;:!?") for m in _MENTION.finditer(visible(text)) if len(m.group()) > 1]


def says_more_than_help(text: str) -> bool:
    """Whether a need or offer names something: "need help" alone does not."""
    words = _WORD.findall(fold(_MENTION.sub(" ", visible(text))))
    return any(word not in _FILLER for word in words)


def skill_terms(text: str) -> list[str]:
    """The comma- or semicolon-separated terms of ``text`` that can be skills, as written.

    Empty, punctuation-only and emoji-only terms are dropped (a trailing comma is common);
    a mention is refused, since a colleague is not a skill.
    """
    terms = []
    for raw in visible(text).replace(";", ",").split(","):
        term = " ".join(raw.split())[:60]
        mentioned = mentions_in(term)
        if mentioned:
            raise UsageError(None, "error.mention_as_skill", word=mentioned[0][:40])
        if has_words(term):
            terms.append(term)
    if not terms:
        raise UsageError(None, "error.no_skill", words=_shown(text))
    return terms


def _shown(text: str) -> str:
    """How to quote what someone wrote back to them: visible, short, never empty."""
    return " ".join(visible(text).split())[:40] or "…"


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def need_text(args: Arguments, kind: str = "need") -> str:
    """The text of a need (or an offer, ``kind="offer"``), refused when it names nothing."""
    text = visible(args.text("text")).strip()
    if not says_more_than_help(text):
        raise UsageError(None, f"error.empty_{kind}")
    return text
