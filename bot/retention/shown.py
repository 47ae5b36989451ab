"""What is shown of a need whose text the retention job removed: its skills, and the truth.

Wherever the bot quotes a need ("your need #12: …"), it quotes it through :func:`quoted_need`: the
text while it is kept, else the skills it was about and "(text removed after 180 days)" in the
reader's language — never an empty quote.
"""

from __future__ import annotations

from bot.chat.context import Services
from bot.chat.text import shorten
from skills_db.storage.models import Need


def quoted_need(services: Services, need: Need, limit: int, language: str | None) -> str:
    """The need's text shortened to ``limit``, or what can truthfully be said once it is gone."""
    if need.text:
        return shorten(need.text, limit)
    days = services.config.retention.text_days
    label = services.matcher.taxonomy.label
    skills = ", ".join(label(skill, language) for skill in need.skills)
    if skills:
        return services.catalog.text(language, "retention.need_skills", skills=skills, days=days)
    return services.catalog.text(language, "retention.text_removed", days=days)
