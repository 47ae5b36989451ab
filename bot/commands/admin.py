"""Commands for community managers. They see aggregates, never one person's scores."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from bot.chat.context import Context
from bot.commands.registry import Arguments
from skills_db.storage.models import Need, NeedStatus


def cmd_stats(ctx: Context, args: Arguments) -> None:
    since = ctx.now() - timedelta(days=7)
    with ctx.store.session() as session:
        open_needs = session.exec(
            select(sa.func.count()).select_from(Need).where(Need.status == NeedStatus.OPEN)
        ).one()
        solved_week = session.exec(
            select(sa.func.count())
            .select_from(Need)
            .where(Need.status == NeedStatus.SOLVED, col(Need.solved_at) >= since)
        ).one()
    ctx.store.audit(ctx.person_id, "admin.stats")
    ctx.say(
        "admin.stats",
        private=True,
        people=ctx.store.count_people(),
        open=int(open_needs),
        solved=int(solved_week),
    )
