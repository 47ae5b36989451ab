"""A small organisation whose barometer is computed by hand (tests/test_barometer_figures.py).

The barometer runs on Wednesday 9 December 2026 (``NOW``) over 2 weeks: W48 (Monday 23 to
Sunday 29 November) and W49 (30 November to 6 December); it ends at ``END``, Monday 7 December
00:00 UTC, where the current week starts. The previous period is W46 and W47.

Askers: Ana, Ben, Cid, Dan, Eva (live needs), Fay (imported history), Gus. Helpers: Hugo, Ines,
Kim, Lea; Jade, Omar are asked and have not answered. Every need below says what it is as of END.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from skills_db.storage.models import (
    AskStatus,
    ClaimSource,
    HelpReply,
    HelpThread,
    LearningGoal,
    Need,
    Skill,
    Thanks,
    ThanksKind,
)
from skills_db.storage.store import Store

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
END = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
PLATFORM = "console"
PEOPLE = (
    "Ana Ben Cid Dan Eva Fay Gus Hugo Ines Jade Kim Lea Omar Zoe Max Nia cam".split()  # cam: the manager
)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class Org:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.ids = {
            name: store.person_for(PLATFORM, name.lower(), name, at=at(1, 5)).id or 0 for name in PEOPLE
        }

    def need(self, who: str, skills: list[str], when: datetime) -> int:
        need = self.store.create_need(
            Need(
                person_id=self.ids[who],
                text=f"help with {' and '.join(skills)}",
                skills=skills,
                platform=PLATFORM,
                conversation="general",
                created_at=when,
                public=True,
            )
        )
        assert need.id is not None
        return need.id

    def ask(
        self, need: int, who: str, when: datetime, answer: AskStatus | None = None, *, after: float = 0
    ) -> None:
        """``who`` asked at ``when``; with ``answer``, answering ``after`` hours later."""
        (row,) = self.store.create_asks(need, [(self.ids[who], [])], at=when)
        if answer is not None:
            self.store.answer_ask(row.id or 0, answer, at=when + timedelta(hours=after))

    def solve(self, need: int, who: str, when: datetime) -> None:
        self.store.solve_need(need, self.ids[who], at=when)

    def imported(
        self, who: str, skills: list[str], when: datetime, helper: str, after: float, *, solved: bool
    ) -> None:
        """An imported thread: ``helper`` replied ``after`` hours later (the solving reply if ``solved``)."""
        reply_at = when + timedelta(hours=after)
        with self.store.session() as session:
            thread = HelpThread(
                source="slack-export",
                external_id=f"C1:{when.timestamp()}",
                channel="help",
                asker_id=self.ids[who],
                text=f"how do I use {' '.join(skills)}?",
                created_at=when,
                solved_by_id=self.ids[helper] if solved else None,
                skills=skills,
            )
            session.add(thread)
            session.flush()
            session.add(
                HelpReply(
                    thread_id=thread.id or 0, person_id=self.ids[helper], created_at=reply_at, solved=solved
                )
            )
        for skill in skills:  # what import_archive credits a reply with
            self.store.add_claim(
                self.ids[helper], skill, ClaimSource.IMPORTED, ref=f"thread:{thread.id}", at=reply_at
            )

    def learns(self, who: str, skill: str, when: datetime) -> None:
        self.store.add_learning_goal(self.ids[who], skill)
        skill_id = sa.select(col(Skill.id)).where(col(Skill.name) == skill).scalar_subquery()
        with self.store.session() as session:  # dated as the test says
            session.execute(
                sa.update(LearningGoal)
                .where(col(LearningGoal.person_id) == self.ids[who], col(LearningGoal.skill_id) == skill_id)
                .values(created_at=when)
            )


def build(store: Store) -> Org:
    org = Org(store)
    # -- W48 ---------------------------------------------------------------------------------
    n1 = org.need("Ana", ["Python"], at(11, 23))
    org.ask(n1, "Hugo", at(11, 23), AskStatus.ACCEPTED, after=2)  # offered after 2 h
    org.solve(n1, "Hugo", at(11, 24))  # solved after 24 h
    n2 = org.need("Ben", ["Python"], at(11, 24, 10))
    org.ask(n2, "Ines", at(11, 24, 10), AskStatus.ACCEPTED, after=4)  # 4 h
    org.solve(n2, "Ines", at(11, 26, 10))  # 48 h
    n3 = org.need("Cid", ["Python", "SQL"], at(11, 25))
    org.ask(n3, "Hugo", at(11, 25), AskStatus.DECLINED, after=1)
    org.ask(n3, "Jade", at(11, 25))  # still pending at END: somebody was found
    n4 = org.need("Dan", ["Python"], at(11, 26))
    org.ask(n4, "Lea", at(11, 26), AskStatus.EXPIRED, after=48)  # nobody found
    org.need("Eva", ["SQL"], at(11, 27))  # nobody asked: nobody found
    n6 = org.need("Ana", ["Python"], at(11, 28))
    org.ask(n6, "Kim", at(11, 28), AskStatus.ACCEPTED, after=1)  # 1 h
    org.solve(n6, "Kim", at(11, 28, 12))  # 3 h
    org.imported("Fay", ["Python"], at(11, 29, 8), "Hugo", 0.5, solved=True)  # offered and solved in 0.5 h
    # Thanks for no need in particular: help given by Kim in W48 (and a HELPED claim on Python).
    store.add_thanks(
        Thanks(
            from_person_id=org.ids["Ana"],
            to_person_id=org.ids["Kim"],
            text="thanks for the pairing",
            created_at=at(11, 25, 15),
            kind=ThanksKind.THANKS,
            skills=["Python"],
        ),
        ["Python"],
    )
    # -- W49 ---------------------------------------------------------------------------------
    n7 = org.need("Ben", ["Python"], at(11, 30))
    org.ask(n7, "Lea", at(11, 30), AskStatus.ACCEPTED, after=6)  # 6 h, not solved
    n8 = org.need("Cid", ["Python"], at(12, 1))
    org.ask(n8, "Hugo", at(12, 1), AskStatus.ACCEPTED, after=2)  # 2 h
    org.solve(n8, "Hugo", at(12, 2))  # 24 h (its "live" help thread is not imported history)
    n9 = org.need("Dan", ["SQL"], at(12, 1, 10))
    org.ask(n9, "Omar", at(12, 1, 10), AskStatus.ACCEPTED, after=7 * 24)  # accepted on 8 Dec: after END
    n10 = org.need("Eva", ["Python"], at(12, 1, 11))
    org.ask(n10, "Ines", at(12, 1, 11), AskStatus.ACCEPTED, after=3)  # 3 h
    org.solve(n10, "Ines", at(12, 6, 11))  # 120 h
    org.need("Gus", ["Rust"], at(12, 3))  # nobody asked
    n12 = org.need("Ana", ["Python"], at(12, 2))
    org.ask(n12, "Hugo", at(12, 2), AskStatus.DECLINED, after=1)
    org.ask(n12, "Kim", at(12, 2, 1), AskStatus.EXPIRED, after=48)  # nobody found
    org.imported("Fay", ["Python"], at(12, 4), "Ines", 1, solved=False)  # offered after 1 h
    # -- after END (the current week): not counted -------------------------------------------
    n13 = org.need("Ben", ["Python"], at(12, 8))
    org.ask(n13, "Hugo", at(12, 8), AskStatus.ACCEPTED, after=1)
    # -- the previous period: W46 and W47 ----------------------------------------------------
    org.need("Ana", ["Python"], at(11, 10))
    org.need("Ben", ["SQL"], at(11, 17))
    org.need("Cid", ["SQL"], at(11, 18))
    org.need("Dan", ["Python"], at(11, 19))
    # -- evidence of help on skills, for the gaps: the year before END ------------------------
    store.add_claim(org.ids["Omar"], "SQL", ClaimSource.HELPED, ref="need:old", at=at(6, 1))
    store.add_claim(
        org.ids["Zoe"], "SQL", ClaimSource.HELPED, ref="need:older", at=at(1, 1) - timedelta(days=400)
    )
    store.add_claim(org.ids["Max"], "SQL", ClaimSource.DECLARED, at=at(6, 1))  # declared: not help given
    store.add_claim(
        org.ids["Nia"], "Rust", ClaimSource.IMPORTED, ref="import:profile", at=at(6, 1)
    )  # not a reply
    # -- learners ------------------------------------------------------------------------------
    org.learns("Ana", "SQL", at(10, 1))
    org.learns("Ben", "SQL", at(11, 1))
    org.learns("Cid", "SQL", at(12, 8))  # after END
    org.learns("Dan", "Go", at(11, 1))
    store.set_setting("focus_skills", {"skills": ["SQL", "Go"], "since": at(10, 1).isoformat()})
    return org
