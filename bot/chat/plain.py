"""Plain language in a private conversation with the bot: a need, a greeting, a thank-you.

People who talk to the bot in private do not always know its commands. "hi, can someone help
me with pandas?" is a need; "bonjour" deserves a hello, not "I don't know the command". Only
private conversations (a DM, the console) are read this way: in a channel, the bot answers
only what is addressed to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from skills_db.vocabulary.textnorm import fold, fold_with_offsets

# Platforms whose every line is a private conversation with the bot.
PRIVATE_PLATFORMS = frozenset(("console",))


def _folded(*words: str) -> frozenset[str]:
    return frozenset(fold(word) for word in words)


GREETING_PHRASES = _folded(
    *"hi hello hey hiya howdy yo morning greetings bonjour bonsoir salut coucou".split(),
    "good morning",
    "good afternoon",
    "good evening",
)
GREETINGS = frozenset(word for phrase in GREETING_PHRASES for word in phrase.split())
THANKS = _folded(*"thanks thank thx ty cheers merci remercie".split())
# Words that may come with a greeting or a thank-you and change nothing.
COURTESY = _folded(
    *"you all everyone everybody there team folks guys a lot so much very again bot entraide".split(),
    *"tout le monde tous a vous beaucoup bien encore mille fois toi infiniment".split(),
    *"ok okay great cool nice perfect awesome super parfait top genial d'accord".split(),
)
# Whom a greeting at the start of a message may address: "hi all,", "bonjour à tous".
ADDRESSEES = _folded(
    *"there all everyone everybody team folks guys entraide".split(),
    "tout le monde",
    "à tous",
    "à toutes",
)
# Words of someone asking for help, in English and French.
HELP_WORDS = _folded(
    *"help helping anyone anybody someone somebody know knows how advice stuck".split(),
    *"explain question need needs problem issue trouble why recommend".split(),
    *"aide aider aidez quelqu'un connait connaissez sait savez comment conseil conseils".split(),
    *"bloque bloquee explique expliquer question besoin probleme souci pourquoi".split(),
)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")

_GREETING = "|".join(sorted(map(re.escape, GREETING_PHRASES), key=len, reverse=True))
_ADDRESSEE = "|".join(sorted(map(re.escape, ADDRESSEES), key=len, reverse=True))
# A greeting at the start of a message: "hi,", "Hello there!", "bonjour à tous :".
_LEADING_GREETING = re.compile(rf"^[\W_]*(?:{_GREETING})\b[\W_]*(?:(?:{_ADDRESSEE})\b[\W_]*)?")


class Reading(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    NEED = "need"


@dataclass(frozen=True)
class Plain:
    reading: Reading
    text: str = ""  # for a need: the message without its greeting


def is_private(platform: str, is_direct: bool) -> bool:
    return is_direct or platform in PRIVATE_PLATFORMS


def read(
    text: str,
    *,
    need_phrases: Sequence[str],
    skills: Callable[[str], list[str]],
    command_like: bool,
) -> Plain | None:
    """What a private message that is no command says, or None when it is not understood.

    ``command_like`` says the first word is, or nearly is, a command word ("skils add Go"):
    then only clear words of help make it a need, so a mistyped command gets "did you mean".
    """
    words = _WORD.findall(fold(text))
    if not words:
        return None
    if all(w in GREETINGS | COURTESY for w in words) and any(w in GREETINGS for w in words):
        return Plain(Reading.GREETING)
    if all(w in GREETINGS | THANKS | COURTESY for w in words) and any(w in THANKS for w in words):
        return Plain(Reading.THANKS)
    body = without_greeting(text)
    folded = fold(body)
    helpful = any(w in HELP_WORDS for w in _WORD.findall(folded))
    if any(fold(phrase) in folded for phrase in need_phrases):
        return Plain(Reading.NEED, body)
    if helpful and "?" in body:
        return Plain(Reading.NEED, body)
    named = skills(body)
    if named and (helpful or "?" in body or not command_like):
        return Plain(Reading.NEED, body)
    return None


def without_greeting(text: str) -> str:
    """``text`` without the greeting it starts with: "hi, can someone…" → "can someone…"."""
    folded, origin = fold_with_offsets(text)
    match = _LEADING_GREETING.match(folded)
    if match is None:
        return text.strip()
    return text[origin[match.end()] :].strip() or text.strip()
