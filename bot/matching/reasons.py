"""Reasons in words: to the candidate ("you helped…") or about them, to the asker ("helped…").

The same :class:`~bot.matching.candidates.Reason` is shown to two readers: the colleague asked
(second person, ``[reason]`` in the catalogues) and the asker in suggest mode (third person,
after the colleague's name, ``[reason_them]``). A count of help given comes with how much of it
is recent (``[reason_detail]``), so a ranking that weighs recent help more reads as it ranks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from bot.i18n import Catalog
from bot.matching.candidates import Reason

Grammatical = Literal["you", "them"]
SECTIONS: dict[Grammatical, str] = {"you": "reason", "them": "reason_them"}
SHOWN = 3  # reasons shown at most


def explain(
    catalog: Catalog,
    reasons: Sequence[Reason],
    language: str,
    *,
    person: Grammatical = "you",
    label: Callable[[str, str], str] | None = None,
) -> str:
    """The reasons as one phrase; ``label(skill, language)`` names skills in the reader's language."""
    parts = []
    for reason in reasons[:SHOWN]:
        values = dict(reason.values)
        if label is not None and isinstance(values.get("skill"), str):
            values["skill"] = label(values["skill"], language)
        name = reason.key.partition(".")[2]
        text = catalog.text(language, f"{SECTIONS[person]}.{name}", **values)
        if isinstance(values.get("recent"), int) and isinstance(values.get("count"), int):
            text += catalog.text(language, "reason_detail.comma") + _recent(catalog, language, values)
        parts.append(text)
    return catalog.text(language, "reason_detail.separator").join(parts)


def _recent(catalog: Catalog, language: str, values: dict[str, object]) -> str:
    """How many of ``count`` were in the last ``days`` days: some, all or none of them."""
    count, recent, days = values["count"], values["recent"], values.get("days", 90)
    if not recent:
        return catalog.text(language, "reason_detail.recent_none", days=days)
    if recent == count:
        return catalog.text(language, "reason_detail.recent_all", count=count, days=days)
    return catalog.text(language, "reason_detail.recent", count=recent, days=days)
