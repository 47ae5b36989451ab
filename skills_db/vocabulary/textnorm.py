"""Text folding and tokenisation helpers shared by the skills vocabulary.

Everything that compares skill names goes through :func:`fold` (or the offset-keeping
:func:`fold_with_offsets`) and :func:`tokens`, so vocabulary keys and free text are
always normalised the same way:

* lower case, accents stripped (NFKD, combining marks dropped), ``œ``→``oe``,
  ``æ``→``ae``, ``ß``→``ss``; typographic apostrophes, quotes and dashes mapped to
  their ASCII forms; any Unicode space becomes a plain space;
* tokens are runs of letters/digits that may contain ``.``, ``/``, ``&`` and ``_``
  *between* alphanumerics (``node.js``, ``ci/cd``, ``a/b``, ``r&d``) and may end with
  ``+``/``#`` (``c++``, ``c#``, ``notepad++``); a leading dot is kept after a space or
  at the start (``.net``). Hyphens and apostrophes split tokens (``e-commerce`` →
  ``e commerce``, ``l'apprentissage`` → ``l apprentissage``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "TokenSpan",
    "fold",
    "fold_with_offsets",
    "singular_variants",
    "stem",
    "token_spans",
    "tokens",
]

_SPECIAL: dict[str, str] = {
    "œ": "oe",
    "æ": "ae",
    "ß": "ss",
    "ø": "o",
    "đ": "d",
    "ł": "l",
    "ı": "i",
    "ð": "d",
    "þ": "th",
}

_PUNCT: dict[str, str] = {
    "\u2018": "'",  # left single quote
    "\u2019": "'",  # right single quote / typographic apostrophe
    "\u201a": "'",
    "\u201b": "'",
    "\u02bc": "'",  # modifier letter apostrophe
    "\u2032": "'",  # prime
    "\u00b4": "'",  # acute accent used as apostrophe
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """Fold one character; the result may be empty (combining mark) or longer (œ)."""
    mapped = _PUNCT.get(char)
    if mapped is not None:
        return mapped
    if char.isspace():
        return " "
    decomposed = unicodedata.normalize("NFKD", char.lower())
    return "".join(_SPECIAL.get(part, part) for part in decomposed if not unicodedata.combining(part))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` character by character, keeping a map back to the original.

    Returns ``(folded, origin)`` where ``origin[j]`` is the index in ``text`` of the
    character that produced ``folded[j]``; ``origin`` has one extra trailing entry equal
    to ``len(text)`` so that an end offset can always be mapped. Whitespace is *not*
    collapsed here (use :func:`fold` for that).
    """
    if text.isascii():
        return text.lower().replace("`", "'"), list(range(len(text) + 1))
    parts: list[str] = []
    origin: list[int] = []
    _fold_runs(text, parts, origin)
    origin.append(len(text))
    return "".join(parts), origin


# The characters folded one by one; runs of ASCII between them are lower-cased whole (a long
# need with one curly apostrophe was folded a character at a time: 2 ms a call).
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _fold_runs(text: str, parts: list[str], origin: list[int] | None) -> None:
    last = 0
    for found in _NON_ASCII.finditer(text):
        index = found.start()
        if index > last:
            parts.append(text[last:index].lower())
            if origin is not None:
                origin.extend(range(last, index))
        folded = _fold_char(found.group())
        parts.append(folded)
        if origin is not None:
            origin.extend([index] * len(folded))
        last = index + 1
    if last < len(text):
        parts.append(text[last:].lower())
        if origin is not None:
            origin.extend(range(last, len(text)))


def _folded(text: str) -> str:
    """The folded characters of ``text`` alone, as :func:`fold_with_offsets` (no offsets: an
    ASCII text, the usual one, needs no map back)."""
    if text.isascii():
        return text.lower().replace("`", "'")
    parts: list[str] = []
    _fold_runs(text, parts, None)
    return "".join(parts)


def fold(text: str) -> str:
    """Lower-case, strip accents, normalise quotes/dashes and collapse whitespace.

    >>> fold("  Développement   WEB ")
    'developpement web'
    >>> fold("Cœur d’œuvre")
    "coeur d'oeuvre"
    """
    return " ".join(_folded(text).split())


# A token starts with an alphanumeric (or a dot after whitespace/"("/start, for ".net"),
# continues with alphanumerics or single connectors followed by an alphanumeric, and
# may end with "+"/"#" runs (c++, c#, f#, notepad++).
_TOKEN_RE = re.compile(r"(?:(?<![^\s(\[{\"'])\.)?[^\W_](?:[^\W_]|[._/&](?=[^\W_]))*[+#]*")

TokenSpan = tuple[str, int, int]
"""``(token, start, end)`` with offsets into the *folded* string."""


def token_spans(folded: str) -> list[TokenSpan]:
    """Tokenise an already folded string, keeping offsets into it."""
    return [(m[0], *m.span()) for m in _TOKEN_RE.finditer(folded)]


def tokens(text: str) -> list[str]:
    """Folded word tokens of ``text``.

    >>> tokens("C++, C# and Node.js in CI/CD; A/B testing & .NET")
    ['c++', 'c#', 'and', 'node.js', 'in', 'ci/cd', 'a/b', 'testing', '.net']
    """
    return _TOKEN_RE.findall(_folded(text))


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """Very light, symmetric EN/FR plural stemmer used to compare phrases.

    It is deliberately crude (``caches``/``cache`` → ``cach``, ``libraries``/``library``
    → ``librari``, ``réseaux``/``réseau`` → ``reseau``): both sides of a comparison go
    through it, so only consistency matters. Tokens of three characters or fewer and
    tokens with non-letters are returned unchanged.
    """
    if len(token) <= 3 or not token.isalpha():
        return token
    word = token
    plural_x = word.endswith("x") and word[-2] == "u"  # réseaux, jeux, bijoux
    if plural_x or (word.endswith("s") and not word.endswith(("ss", "us", "is"))):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("y"):
        word = word[:-1] + "i"
    return word


def singular_variants(token: str) -> tuple[str, ...]:
    """Likely singular forms of a plural-looking token (most likely first).

    >>> singular_variants("dockers")
    ('docker',)
    >>> singular_variants("libraries")
    ('library', 'librarie')
    >>> singular_variants("boxes")
    ('boxe', 'box')
    >>> singular_variants("docker"), singular_variants("canvas")
    ((), ())
    """
    if len(token) <= 3 or not token.isalpha():
        return ()
    variants: list[str] = []
    if token.endswith("ies") and len(token) > 4:
        variants.append(token[:-3] + "y")
    if token.endswith("x") and token[-2] == "u":  # réseaux, jeux
        variants.append(token[:-1])
    if token.endswith("s") and not token.endswith(("ss", "us", "is", "as")):
        variants.append(token[:-1])
        if token.endswith(("ses", "xes", "zes", "ches", "shes")):
            variants.append(token[:-2])
    return tuple(variants)
