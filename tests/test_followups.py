"""A need followed to its end, in console sessions with a moved clock: the next colleague is asked
after a decline or no answer, the asker hears the truth once, the away are asked when back,
offers find open needs, "was it solved?" comes, and nobody is nagged."""

from __future__ import annotations

import asyncio
import io
import itertools
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from adapters.console import ConsoleAdapter
from bot.app import run_adapters
from bot.chat.actions import Actions
from bot.chat.context import Context, Outgoing
from bot.chat.events import EventKind
from bot.chat.pipeline import Pipeline
from bot.followup.notices import SOLVED_CHECK, follow_up
from bot.jobs import MovableClock
from skills_db.storage.models import AskStatus, ClaimSource, NeedStatus, OutboxMessage
from skills_db.storage.store import Store
from tests.support import MemoryAdapter, event, make_services

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday


async def console(url: str, script: str, clock: MovableClock, **routing: Any) -> tuple[str, Store]:
    services = make_services(url, clock.now, routing={"ask_count": 1, **routing})
    out = io.StringIO()
    adapter = ConsoleAdapter(script=script.strip().splitlines(), output=out)
    assert await asyncio.wait_for(run_adapters(services, [adapter], clock=clock), timeout=120)
    return out.getvalue(), make_services(url, clock.now).store


def asked(out: str) -> list[str]:
    """Who received a request for help, in order."""
    return re.findall(r"\[private to (\w+)\] entraide: @you needs help", out)


THREE_EXPERTS = """
/as Alice
skills add Terraform
/as Bruno
skills add Terraform
/as Chloe
skills add Terraform
/as you
need help with terraform state locking
"""


async def test_a_decline_and_a_silence_each_reach_the_next_colleague_then_the_asker_hears_the_truth(
    database_url: str,
) -> None:
    clock = MovableClock(START)
    first, _ = await console(database_url, THREE_EXPERTS, clock)
    who = asked(first)
    assert len(who) == 1
    # Each step continues the same conversation: the same database, a new console session.
    out, store = await console(database_url, f"/as {who[0]}\ndecline", clock)
    assert "No problem: I've asked someone else." in out
    second = asked(out)
    assert len(second) == 1 and second[0] != who[0]
    # The asker hears of it, without anyone named before they accept.
    assert "[private to you] entraide: News of your need #1" in out
    assert "A colleague is considering it." in out
    # Nobody answers within 8 (working) hours: the request expires, the last colleague is asked.
    out, store = await console(database_url, "/time +9h", clock)
    third = asked(out)
    assert len(third) == 1 and third[0] not in (who[0], second[0])
    # The asker heard news already today: that waits for tomorrow (at most one follow-up a day).
    assert "[private to you]" not in out
    out, store = await console(database_url, "/time +9h", clock)
    assert asked(out) == [] and "[private to you]" not in out
    out, store = await console(database_url, "/time +7h", clock)
    statuses = sorted(a.status for a in store.asks_for_need(1))
    assert statuses == [AskStatus.DECLINED, AskStatus.EXPIRED, AskStatus.EXPIRED]
    assert out.count("[private to you] entraide: Nobody I know could take your need #1") == 1
    assert "It stays open until Tuesday 22 December" in out  # the first closing run after 14 days
    # Said once: days later, nothing more but the last word when the need is closed.
    out, store = await console(database_url, "/time +3d", clock)
    assert "[private to you]" not in out
    assert store.get_need(1).status == NeedStatus.OPEN  # type: ignore[union-attr]


async def test_an_away_expert_is_asked_when_back_and_the_asker_is_told_so(sqlite_url: str) -> None:
    clock = MovableClock(START)
    out, store = await console(
        sqlite_url,
        "/as Alice\nskills add Terraform\naway 2d\n/as you\nneed help with terraform state locking\nprofile",
        clock,
    )
    assert "I know nobody" not in out
    assert (
        "Nobody who knows Terraform can be asked right now, but a colleague who knows it is away until "
        "Wednesday 9 December: I'll ask them then if nobody has accepted." in out
    )
    assert asked(out) == []
    # Their own profile says where the need stands.
    assert "Your open needs:" in out
    assert "A colleague who knows it is away until Wednesday 9 December" in out.split("you> profile", 1)[1]
    out, store = await console(sqlite_url, "/time 2026-12-09 11:00", clock)
    assert asked(out) == ["Alice"]
    assert [a.status for a in store.asks_for_need(1)] == [AskStatus.PENDING]


async def test_coming_back_early_sends_the_request_kept_for_the_return(sqlite_url: str) -> None:
    clock = MovableClock(START)
    out, _ = await console(
        sqlite_url,
        "/as Alice\nskills add Terraform\naway 2w\n/as you\nneed help with terraform state locking",
        clock,
    )
    # Two weeks is longer than the wait: nobody is asked, and the asker is told why.
    assert "are away or have had their share of requests for a while, so I asked nobody" in out
    out, _ = await console(sqlite_url, "/as Alice\naway off", clock)
    assert asked(out) == ["Alice"]


async def test_an_offer_lists_the_open_needs_it_matches_and_accept_takes_one(sqlite_url: str) -> None:
    clock = MovableClock(START)
    out, store = await console(
        sqlite_url,
        "/as you\nneed help with terraform state locking\n"
        "/as Dmitri\noffer I can help with Terraform this week\naccept 1",
        clock,
    )
    assert "I know nobody yet for Terraform. Your need #1 stays open" in out
    assert "An open need your offer matches" in out
    assert "• need #1 “help with terraform state locking” — accept 1" in out
    assert "@you, meet @Dmitri, who offers to help with" in out
    assert [a.status for a in store.asks_for_need(1)] == [AskStatus.ACCEPTED]


async def test_declaring_the_skill_later_reaches_the_open_need(sqlite_url: str) -> None:
    clock = MovableClock(START)
    out, _ = await console(
        sqlite_url, "/as you\nneed help with terraform state locking\n/as Emma\nskills add Terraform", clock
    )
    assert asked(out) == ["Emma"]
    assert "I thought of you because you declared Terraform" in out


async def test_was_it_solved_comes_after_the_configured_time_and_one_answer_closes_the_need(
    sqlite_url: str,
) -> None:
    clock = MovableClock(START)
    out, _ = await console(
        sqlite_url,
        "/as Alice\nskills add Terraform\n/as you\nneed help with terraform state locking\n"
        "/as Alice\naccept\n/time +2d",
        clock,
    )
    assert "Was your need" not in out
    out, store = await console(sqlite_url, "/time +1d1h\n/as you\nsolved 1", clock)
    question = "[private to you] entraide: Was your need #1 (“help with terraform state locking”) solved?"
    assert out.count(question) == 1
    assert "Marked as solved" in out and "@Alice is credited" in out
    need = store.get_need(1)
    assert need is not None and need.status == NeedStatus.SOLVED
    # Asked once only.
    out, _ = await console(sqlite_url, "/time +3d", clock)
    assert "Was your need" not in out


async def test_not_yet_keeps_the_need_open_and_asks_more_colleagues(sqlite_url: str) -> None:
    clock = MovableClock(START)
    out, _ = await console(
        sqlite_url,
        "/as Alice\nskills add Terraform\n/as Bruno\nskills add Terraform\n/as you\n"
        "need help with terraform state locking\n/as Alice\naccept\n/time +3d1h\n/as you\nnot-solved",
        clock,
    )
    assert "Was your need #1" in out
    assert "OK, your need #1 stays open. @Alice accepted and was introduced to you." in out
    assert asked(out) == ["Alice", "Bruno"]


def _follow_ups(store: Store) -> dict[tuple[str, int], list[datetime]]:
    """When each person got a message about each need that they did not ask for themselves."""
    sent: dict[tuple[str, int], list[datetime]] = defaultdict(list)
    with store.session() as session:
        for message in session.execute(sa.select(OutboxMessage)).scalars():
            reply, about = message.reply, message.reply.get("about")
            if reply.get("in_reply_to") or not about or not reply.get("to"):
                continue  # answers to someone's own command are not follow-ups
            need = about["id"]
            if about["kind"] == "ask":
                ask = store.get_ask(about["id"])
                assert ask is not None
                need = ask.need_id
            sent[(reply["to"]["handle"], need)].append(message.created_at)
    return sent


async def test_nobody_gets_more_than_one_follow_up_per_need_per_day_over_two_weeks(sqlite_url: str) -> None:
    clock = MovableClock(START)
    experts = ["Alice", "Bruno", "Chloe", "Dmitri", "Emma", "Farid", "Gala", "Hugo"]
    setup = "".join(f"/as {name}\nskills add Terraform\n" for name in experts)
    script = setup + "/as you\nneed help with terraform state locking\nneed a hand with terraform modules\n"
    # Two weeks in steps of three hours; some colleagues decline, one comes back, one declares.
    steps = [
        f"/time +3h\n/as {experts[i % 3]}\ndecline\n" if i % 5 == 0 else "/time +3h\n" for i in range(120)
    ]
    steps.insert(20, "/as Iris\nskills add Terraform\n")
    out, store = await console(sqlite_url, script + "".join(steps), clock)
    follow_ups = _follow_ups(store)
    assert follow_ups, "the scenario produced follow-ups"
    assert any(len(times) > 2 for (who, _), times in follow_ups.items() if who == "you")
    for (who, need), times in follow_ups.items():
        times.sort()
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert all(gap >= timedelta(days=1) for gap in gaps), (who, need, times)
    # And the needs did end: closed after 14 days, with a last word.
    assert out.count("is now closed") + out.count("is closed") == 2


async def test_colleagues_known_only_on_another_platform_are_not_called_busy(sqlite_url: str) -> None:
    clock = MovableClock(START)
    store = make_services(sqlite_url, clock.now).store
    with store.unit_of_work():  # imported from Slack: no console identity
        helper = store.person_for("slack", "U01ALICE", "Alice")
        assert helper.id is not None
        store.add_claim(helper.id, "Terraform", ClaimSource.DECLARED, at=START)
    out, store = await console(sqlite_url, "need help with terraform state locking", clock)
    assert "many requests" not in out
    assert "The colleagues I know for Terraform can't be reached here, so I asked nobody." in out
    assert store.asks_for_need(1) == []


async def test_someone_outside_working_hours_is_asked_when_their_day_starts(sqlite_url: str) -> None:
    clock = MovableClock(datetime(2026, 12, 7, 22, 0, tzinfo=UTC))  # 23:00 in Paris, a Monday
    store = make_services(sqlite_url, clock.now).store
    with store.unit_of_work():
        helper = store.person_for("console", "alice", "Alice")
        assert helper.id is not None
        store.update_person(helper.id, timezone="Europe/Paris")
        store.add_claim(helper.id, "Terraform", ClaimSource.DECLARED, at=START)
    out, store = await console(sqlite_url, "need help with terraform state locking", clock)
    # The asker's time zone is unknown: the time is said in UTC (08:00 in Paris).
    assert "I'll ask them when their day starts (Tuesday 8 December, 07:00 UTC)" in out
    out, store = await console(sqlite_url, "/time 2026-12-08 07:01", clock)
    assert asked(out) == ["Alice"]


# Alice, thanked for Terraform, ranks above Bruno, who only declared it; she is away two days.
BEST_EXPERT_AWAY = (
    "/as Alice\nskills add Terraform\n/as Bruno\nskills add Terraform\n"
    "/as Zoe\nthanks @alice for terraform\n/as Alice\naway 2d\n"
)


async def test_the_best_expert_away_is_waited_for_while_another_is_asked_meanwhile(sqlite_url: str) -> None:
    clock = MovableClock(START)
    out, store = await console(
        sqlite_url,
        BEST_EXPERT_AWAY + "/as you\nneed help with terraform state locking",
        clock,
    )
    assert asked(out) == ["Bruno"]
    assert (
        "I asked a colleague privately about Terraform; besides, a colleague who knows it is away until "
        "Wednesday 9 December: I'll ask them then if nobody has accepted." in out
    )
    out, store = await console(sqlite_url, "/time 2026-12-09 10:30", clock)
    assert asked(out) == ["Alice"]
    # Had Bruno accepted, Alice would not have been bothered.
    statuses = {a.person_id: a.status for a in store.asks_for_need(1)}
    assert sorted(statuses.values()) == [AskStatus.EXPIRED, AskStatus.PENDING]


async def test_a_request_kept_for_later_is_dropped_once_someone_accepted(sqlite_url: str) -> None:
    clock = MovableClock(START)
    out, store = await console(
        sqlite_url,
        BEST_EXPERT_AWAY
        + "/as you\nneed help with terraform state locking\n/as Bruno\naccept\n/time 2026-12-09 10:30",
        clock,
    )
    assert asked(out) == ["Bruno"]
    assert sorted(a.status for a in store.asks_for_need(1)) == [AskStatus.ACCEPTED, AskStatus.SKIPPED]


async def test_a_check_mark_on_was_it_solved_solves_the_need_and_credits_the_helper(sqlite_url: str) -> None:
    clock = MovableClock(START)
    services = make_services(sqlite_url, clock.now, routing={"ask_count": 1})
    adapter = MemoryAdapter()
    actions = Actions(services)
    actions.attach(adapter)
    pipeline = Pipeline(services, actions=actions)
    await pipeline.handle(adapter, event("skills add Terraform", "alice"))
    await pipeline.handle(adapter, event("need help with terraform state locking", "bob", message_id="m1"))
    await pipeline.handle(adapter, event("accept", "alice", conversation="dm:alice", is_direct=True))
    clock.advance(timedelta(days=3, minutes=1))
    need = services.store.get_need(1)
    assert need is not None

    def check() -> list[Outgoing]:
        ctx = Context(services, "")
        follow_up(ctx, need, SOLVED_CHECK)
        return ctx.outgoing

    await actions.run(check, "test:solved-check")
    question = adapter.sent[-1]
    assert question.to is not None and question.to.handle == "bob"
    assert [b.press.verb for b in question.buttons] == ["solved", "not-solved"]
    await pipeline.handle(
        adapter,
        event(
            "",
            "bob",
            kind=EventKind.REACTION,
            reaction="white_check_mark",
            conversation="dm:bob",
            is_direct=True,
            target_message=str(len(adapter.sent)),
        ),
    )
    answer, notice = adapter.sent[-2:]
    assert answer.plain.endswith("@Alice is credited for the help.")
    assert notice.to is not None and notice.to.handle == "alice"  # the helper hears of it privately
    assert notice.plain == "@Bob says your help solved their need #1 (Terraform). Thank you!"
    solved = services.store.get_need(1)
    assert solved is not None and solved.status == NeedStatus.SOLVED
    actions.close()


async def test_when_the_only_colleague_declines_nobody_is_promised_and_the_asker_hears_it(
    sqlite_url: str,
) -> None:
    clock = MovableClock(START)
    out, _ = await console(
        sqlite_url,
        "/as Alice\nskills add Terraform\n/as you\nneed help with terraform state locking\n"
        "/as Alice\ndecline",
        clock,
    )
    assert "I've asked someone else" not in out
    assert "[private to Alice] entraide: No problem, thanks for saying so." in out
    assert out.count("[private to you] entraide: Nobody I know could take your need #1") == 1


async def test_a_colleague_at_their_weekly_cap_is_asked_when_they_have_room_again(sqlite_url: str) -> None:
    clock = MovableClock(START)
    out, _ = await console(
        sqlite_url,
        "/as Alice\nskills add Terraform\ncap 1\n/as Bob\nneed help with terraform modules\n"
        "/as you\nneed help with terraform state locking",
        clock,
        wait_for_hours=8 * 24,  # her room comes back in a week: waited for only with a long wait
    )
    assert asked(out) == []  # Alice was asked for Bob's need: her one request this week
    assert "@Bob needs help" in out
    assert "has had their share of requests this week: I'll ask them on Monday 14 December" in out
    out, _ = await console(sqlite_url, "/time 2026-12-14 10:01", clock, wait_for_hours=8 * 24)
    assert asked(out) == ["Alice"]


async def test_the_asker_is_told_in_french_with_french_dates(sqlite_url: str) -> None:
    clock = MovableClock(START)
    out, _ = await console(
        sqlite_url,
        "/as Alice\nskills add Terraform\naway 2d\n"
        "/as Hugo\nlangue fr\nbesoin d'un coup de main sur terraform",
        clock,
    )
    assert (
        "un collègue qui connaît le sujet est absent jusqu'au mercredi 9 décembre\u00a0: "
        "je le solliciterai à son retour si personne n'a accepté" in out
    )


class DiesBeforeRecording:
    """The scheduler's view of the store when its process dies between a task's unit of work
    and the scheduler's own record of it: that record never happens."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def finish_task(self, *_args: Any, **_kwargs: Any) -> bool:
        return True


async def test_a_follow_up_task_is_done_with_its_effects_and_not_run_again_after_a_crash(
    database_url: str,
) -> None:
    from bot.followup.tasks import register
    from bot.jobs.scheduler import Scheduler

    clock = MovableClock(frozen_at=START)
    services = make_services(database_url, clock.now)
    store = services.store
    scheduler = Scheduler(DiesBeforeRecording(store), clock, owner="killed")  # type: ignore[arg-type]
    register(scheduler, Actions(services))
    store.schedule_task("solved-check", "solved-check:1", START, {"need": 1}, now=START)
    await scheduler.run_due()
    task = store.get_task("solved-check:1")
    assert task is not None and task.status == "done"
    store.release_leases(START + timedelta(hours=1))  # whoever takes over finds nothing to redo
    assert store.claim_due_tasks(START + timedelta(hours=1), "next", timedelta(minutes=5), 10) == []
