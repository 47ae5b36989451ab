"""English and French catalogues carry the same messages with the same placeholders."""

from __future__ import annotations

import re
import string

from bot.chat.events import Mention, UserRef
from bot.i18n import Catalog


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_same_keys_and_placeholders() -> None:
    catalog = Catalog.load()
    en, fr = catalog.messages["en"], catalog.messages["fr"]
    assert set(en) == set(fr)
    for key in en:
        assert _fields(en[key]) == _fields(fr[key]), key


def test_mentions_stay_segments_and_plural_forms() -> None:
    catalog = Catalog.load()
    bob = Mention(UserRef("slack", "U1", "Bob"))
    assert catalog.render("en", "thanks.recorded", who=bob) == ("Thanks recorded for ", bob, ".")
    assert catalog.text("en", "reason.helped", count=1, skill="SQL") == "you helped once with SQL"
    assert catalog.text("fr", "reason_them.helped", count=3, skill="SQL") == "a aidé 3 fois en SQL"
    assert catalog.text("de", "thanks.recorded", who="x") == "Thanks recorded for x."


def _outside_placeholders(text: str) -> str:
    """The text a reader sees around placeholders, URLs and `/commands` (left as they are)."""
    return re.sub(r"\{[^}]*\}|https?://\S+|`[^`]*`|/\w+", "", text)


def test_french_typography_no_break_space_before_double_signs_and_inside_guillemets() -> None:
    for key, text in Catalog.load().messages["fr"].items():
        seen = _outside_placeholders(text)
        for at, sign in enumerate(seen):
            before = seen[at - 1] if at else ""
            if sign in ";:?!":
                assert before in NO_BREAK, f"{key}: {sign!r} without a no-break space before it: {text!r}"
            if sign == "«":
                assert seen[at + 1 : at + 2] in NO_BREAK, f"{key}: « without a no-break space: {text!r}"
            if sign == "»":
                assert before in NO_BREAK, f"{key}: » without a no-break space: {text!r}"


NO_BREAK = ("\u00a0", "\u202f")
