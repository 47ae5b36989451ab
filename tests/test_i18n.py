"""English and French catalogues carry the same messages with the same placeholders."""

from __future__ import annotations

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
    assert catalog.text("en", "reason.helped", count=1, skill="SQL") == "helped once with SQL"
    assert catalog.text("fr", "reason.helped", count=3, skill="SQL") == "avez aidé 3 fois en SQL"
    assert catalog.text("de", "thanks.recorded", who="x") == "Thanks recorded for x."
