"""The in-memory indexes follow the database: erasures, removed skills, other instances, and rows
committed out of id order (the change feed and the gap cursors of skills_db.storage.feed)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col

from bot.chat.context import Services
from bot.matching import text_index
from bot.matching.candidates import Match
from skills_db.storage.evidence import ensure_skill_in
from skills_db.storage.feed import ChangeKind, Gap, GapCursor, record_change
from skills_db.storage.models import ClaimSource, HelpReply, HelpThread, SkillClaim
from skills_db.vocabulary.textnorm import fold
from tests.support import make_services, run_console

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 UTC

FREEZER = "How do I defrost the walk-in freezer compressor without losing the stock?"
GASKET = "The freezer door gasket is torn, who orders spare parts?"
PRINTER = "The printer on floor 3 jams with envelopes"


def services_for(url: str) -> Services:
    return make_services(url, clock=lambda: NOW, routing={"mode": "suggest"})


def person(services: Services, name: str) -> int:
    """A colleague, with the identity the console gives ``/as NAME``."""
    pid = services.store.person_for("console", fold(name), name).id
    assert pid is not None
    return pid


def thread(
    services: Services, asker: int, question: str, replies: list[tuple[int, str, bool]], days_ago: float = 10
) -> int:
    when = NOW - timedelta(days=days_ago)
    with services.store.session() as session:
        solver = next((p for p, _text, solved in replies if solved), None)
        row = HelpThread(
            source="test",
            external_id=question,
            asker_id=asker,
            text=question,
            created_at=when,
            solved_by_id=solver,
        )
        session.add(row)
        session.flush()
        for helper, text, solved in replies:
            session.add(
                HelpReply(thread_id=row.id or 0, person_id=helper, text=text, created_at=when, solved=solved)
            )
        session.flush()
        assert row.id is not None
        return row.id


def rank(services: Services, text: str, skills: list[str] | None = None) -> Match:
    return services.matcher.rank(text, [] if skills is None else skills, None, NOW)


def suggested(match: Match) -> list[str]:
    return [c.name for c in match.candidates if c.relevant]


def examples(match: Match) -> list[str]:
    """Every question quoted as a "similar question" to anyone."""
    return [
        str(r.values["example"]) for c in match.candidates for r in c.reasons if r.key == "reason.similar"
    ]


def quoted(match: Match, *questions: str) -> list[str]:
    """The questions quoted (a quote starts with the question, then the answers follow)."""
    known = questions or (FREEZER, GASKET, PRINTER)
    return [q for example in examples(match) for q in known if example.startswith(q)]


def after(out: str, line: str) -> str:
    return out.split(line, 1)[1]


# -- erasure ---------------------------------------------------------------------------------------


async def test_a_forgotten_askers_question_is_never_quoted_again(database_url: str) -> None:
    services = services_for(database_url)
    alice, bob, carol, dana = (person(services, n) for n in ("Alice", "Bob", "Carol", "Dana"))
    thread(services, alice, FREEZER, [(bob, "switch it to manual defrost first", True)])
    thread(services, carol, GASKET, [(dana, "facilities keep spare gaskets", True)])

    out = await run_console(
        services,
        """
/as Erin
need the freezer compressor is icing up, how to defrost it?
/as Alice
forget-me confirm
/as Erin
need the freezer compressor is icing up, how to defrost it?
""",
    )
    before, erased = out.split("Alice> forget-me confirm", 1)
    assert f"@Bob — answered a similar question: “{FREEZER}" in before
    answer = after(erased, "Erin> need")
    assert "defrost the walk-in" not in answer and "@Bob" not in answer
    # The colleague who answered another freezer question shares one word with this one: not a
    # reason to suggest her, and her question is not quoted either.
    assert "@Dana" not in answer and GASKET not in answer

    match = rank(services, "defrost the walk-in freezer compressor stock")
    assert "Bob" not in suggested(match) and "Alice" not in [c.name for c in match.candidates]
    assert all("defrost" not in example for example in examples(match))
    assert not any(r.key == "reason.active" for c in match.candidates if c.name == "Bob" for r in c.reasons)


async def test_a_forgotten_replier_loses_the_credit_and_the_words_of_their_reply(database_url: str) -> None:
    services = services_for(database_url)
    bob, carol, dana = (person(services, n) for n in ("Bob", "Carol", "Dana"))
    thread(
        services,
        carol,
        PRINTER,
        [(bob, "select the zephyr quokka profile on the tray", True), (dana, "clean the rollers too", False)],
    )

    out = await run_console(
        services,
        """
/as Erin
need what is the zephyr quokka profile?
/as Bob
forget-me confirm
/as Erin
need what is the zephyr quokka profile?
need the printer jams with envelopes
""",
    )
    before, erased = out.split("Bob> forget-me confirm", 1)
    assert f"@Bob — answered a similar question: “{PRINTER}" in before
    # Only Bob's reply said "zephyr quokka": with it gone, nobody is known for it.
    assert "I know nobody yet for" in after(erased, "Erin> need what is the zephyr").split("Erin> need")[0]
    printer = after(erased, "Erin> need the printer jams")
    assert f"@Dana — answered a similar question: “{PRINTER}" in printer
    assert "@Bob" not in printer
    match = rank(services, "printer jams envelopes zephyr")
    assert suggested(match) == ["Dana"]


# -- a second instance on the same database --------------------------------------------------------


async def test_a_second_instance_stops_suggesting_and_quoting_an_erased_person(database_url: str) -> None:
    first, second = services_for(database_url), services_for(database_url)
    assert first.store.engine is not second.store.engine
    alice, bob = person(first, "Alice"), person(first, "Bob")
    thread(first, alice, FREEZER, [(bob, "switch it to manual defrost first", True)])
    first.store.add_claim(alice, "Kubernetes", ClaimSource.HELPED, at=NOW - timedelta(days=3))
    first.matcher.refresh()
    second.matcher.refresh()
    assert suggested(rank(second, "kubernetes pods", ["Kubernetes"])) == ["Alice"]
    assert quoted(rank(second, "defrost the freezer compressor")) == [FREEZER]

    await run_console(first, "/as Alice\nforget-me confirm")

    # The periodic refresh alone brings the erasure in; rank refreshes first anyway.
    second.matcher.refresh()
    assert suggested(rank(second, "kubernetes pods", ["Kubernetes"])) == []
    match = rank(second, "defrost the freezer compressor")
    assert examples(match) == [] and "Bob" not in suggested(match)
    out = await run_console(second, "/as Erin\nneed who knows kubernetes or how to defrost the freezer?")
    answer = after(out, "Erin> need")
    assert "@Alice" not in answer and "defrost the walk-in" not in answer


async def test_a_removed_declaration_made_again_at_once_still_counts_everywhere(database_url: str) -> None:
    first, second = services_for(database_url), services_for(database_url)
    first.matcher.refresh()
    second.matcher.refresh()
    out = await run_console(
        first, "/as Ana\nskills add Kubernetes\n/as Bob\nneed kubernetes pods keep restarting"
    )
    assert "• @Ana — declared Kubernetes" in out
    assert suggested(rank(second, "kubernetes", ["Kubernetes"])) == ["Ana"]

    # Withdrawn and declared again before either instance looks: the declaration stands.
    await run_console(first, "/as Ana\nskills remove Kubernetes\nskills add Kubernetes")
    for services in (first, second):
        match = rank(services, "kubernetes", ["Kubernetes"])
        assert suggested(match) == ["Ana"]
        assert match.candidates[0].reasons[0].key == "reason.declared"

    await run_console(first, "/as Ana\nskills remove Kubernetes")
    out = await run_console(second, "/as Bob\nneed kubernetes pods keep restarting")
    assert "I know nobody yet for Kubernetes" in out
    assert suggested(rank(first, "kubernetes", ["Kubernetes"])) == []


async def test_a_merged_person_is_replaced_by_the_one_kept(database_url: str) -> None:
    """Merges have no writer yet: this one moves the rows itself, as a writer would."""
    services = services_for(database_url)
    old, kept, carol = person(services, "Old"), person(services, "Kept"), person(services, "Carol")
    thread(services, carol, PRINTER, [(old, "select the zephyr profile", True)])
    services.store.add_claim(old, "Kubernetes", ClaimSource.HELPED, at=NOW - timedelta(days=2))
    assert suggested(rank(services, "printer zephyr")) == ["Old"]
    with services.store.session() as session:
        for table, column in ((HelpReply, HelpReply.person_id), (SkillClaim, SkillClaim.person_id)):
            session.execute(sa.update(table).where(col(column) == old).values({column: kept}))
        session.execute(
            sa.update(HelpThread).where(col(HelpThread.solved_by_id) == old).values(solved_by_id=kept)
        )
        record_change(session, ChangeKind.PEOPLE_MERGED, person_id=old, other_person_id=kept)
    match = rank(services, "printer zephyr")
    assert suggested(match) == ["Kept"] and quoted(match) == [PRINTER]
    assert suggested(rank(services, "kubernetes", ["Kubernetes"])) == ["Kept"]


def test_a_changed_thread_counts_its_answers_as_they_are_now(database_url: str) -> None:
    """The words of each helper's answers are indexed apart (Matcher.answers): a thread read
    again after a change takes its old answers back, whoever wrote them, and only its own."""
    services = services_for(database_url)
    bob, carol, dana = person(services, "Bob"), person(services, "Carol"), person(services, "Dana")
    printer = thread(
        services,
        carol,
        PRINTER,
        [(bob, "pick the zephyr quokka tray", True), (dana, "wipe the rollers", False)],
    )
    other = thread(services, carol, GASKET, [(dana, "ask facilities for a gasket", True)])

    def answered(text: str) -> set[int]:
        rank(services, text)  # brings the indexes up to date
        return set(services.matcher.answers.people(text, NOW))

    assert answered("zephyr quokka") == {bob} and answered("rollers") == {dana}
    with services.store.session() as session:
        query = sa.update(HelpReply).where(col(HelpReply.person_id) == bob)
        session.execute(query.values(text="use the manual feed slot"))
        record_change(session, ChangeKind.THREAD_CHANGED, thread_id=printer)
    assert suggested(rank(services, "zephyr quokka")) == []
    assert answered("zephyr quokka") == set() and answered("manual feed slot") == {bob}
    with services.store.session() as session:
        record_change(session, ChangeKind.THREAD_CHANGED, thread_id=other)  # read again, unchanged
    assert answered("facilities gasket") == {dana} and answered("rollers") == {dana}
    assert answered("manual feed slot") == {bob}
    assert len(services.matcher.answers) == 3  # Bob's and Dana's on the printer, Dana's on the gasket


def test_a_need_checks_what_is_committed_once_and_the_next_need_sees_what_came_meanwhile(
    database_url: str,
) -> None:
    """A need's reads (skills, ranking, routing) share one unit of work: the indexes are brought
    up to date once in it, and routing uses the people ranking read. What another instance
    commits meanwhile is in the next need."""
    services, other = services_for(database_url), services_for(database_url)
    bob, carol = person(services, "Bob"), person(services, "Carol")
    dana = person(services, "Dana")
    thread(services, carol, FREEZER, [(bob, "defrost it with the compressor off", True)])
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(" ".join(statement.lower().split()))

    engine = services.store.engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        with services.store.reading():
            services.matcher.recognise(GASKET)
            first = rank(services, "freezer compressor gasket")
            thread(other, carol, GASKET, [(dana, "the freezer gasket comes from facilities", True)])
            again = rank(services, "freezer compressor gasket")
            ranked = len(statements)
            route = services.matcher.route(first, NOW, asks_this_week={bob: 1})
            routing = statements[ranked:]
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert sum("max(helpthread.id)" in s for s in statements) == 1
    assert suggested(first) == suggested(again) == ["Bob"]
    assert [c.name for c in route] == ["Bob"] and not [s for s in routing if "from person" in s]
    assert set(suggested(rank(services, "freezer compressor gasket"))) == {"Bob", "Dana"}


# -- rows committed out of id order ----------------------------------------------------------------


def test_rows_committed_after_a_higher_id_are_still_read(database_url: str) -> None:
    services = services_for(database_url)
    store = services.store
    late, live, asker = person(services, "Late"), person(services, "Live"), person(services, "Asker")
    with store.session() as session:
        for name in ("Erlang", "Elixir"):
            ensure_skill_in(session, name)
    services.matcher.refresh()
    question = "Erlang supervisor trees restart intensity is exceeded"
    if database_url.startswith("sqlite"):
        # Writers serialize on SQLite: a transaction cannot commit a lower id after a higher one.
        # A hole below the largest id is what it would leave, and is read again all the same.
        with store.session() as session:
            top_claim = session.execute(sa.select(sa.func.max(SkillClaim.id))).scalar() or 0
            top_thread = session.execute(sa.select(sa.func.max(HelpThread.id))).scalar() or 0
        _live_rows(services, live, claim_id=top_claim + 10, thread_id=top_thread + 10)
        services.matcher.refresh()
        _late_rows(
            Session(store.engine), services, late, asker, question, top_claim + 5, top_thread + 5
        ).commit()
    else:
        transaction = _late_rows(Session(store.engine), services, late, asker, question)  # T1, open
        _live_rows(services, live)  # higher ids, committed first
        services.matcher.refresh()
        assert suggested(rank(services, "erlang", ["Erlang"])) == []
        transaction.commit()
        transaction.close()
    assert suggested(rank(services, "elixir", ["Elixir"])) == ["Live"]
    erlang = rank(services, "erlang", ["Erlang"])
    assert suggested(erlang) == ["Late"]
    assert erlang.candidates[0].reasons[0].key in ("reason.helped", "reason.helped_recently")
    assert quoted(rank(services, "supervisor trees restart intensity"), question) == [question]


def _late_rows(
    session: Session,
    services: Services,
    person: int,
    asker: int,
    question: str,
    claim_id: int | None = None,
    thread_id: int | None = None,
) -> Session:
    """A claim and a thread, in ``session``, flushed (their ids taken), not committed."""
    skill = ensure_skill_in(session, "Erlang")
    session.add(
        SkillClaim(
            id=claim_id, person_id=person, skill_id=skill.id or 0, source=ClaimSource.HELPED, created_at=NOW
        )
    )
    row = HelpThread(
        id=thread_id,
        source="test",
        external_id="late",
        asker_id=asker,
        text=question,
        created_at=NOW,
        solved_by_id=person,
    )
    session.add(row)
    session.flush()
    session.add(
        HelpReply(thread_id=row.id or 0, person_id=person, text="lower it", created_at=NOW, solved=True)
    )
    session.flush()
    return session


def _live_rows(
    services: Services, person: int, claim_id: int | None = None, thread_id: int | None = None
) -> None:
    with services.store.session() as session:
        skill = ensure_skill_in(session, "Elixir")
        session.add(
            SkillClaim(
                id=claim_id,
                person_id=person,
                skill_id=skill.id or 0,
                source=ClaimSource.HELPED,
                created_at=NOW,
            )
        )
        session.add(
            HelpThread(
                id=thread_id,
                source="test",
                external_id="live",
                asker_id=person,
                text="Elixir genserver call timeouts",
                created_at=NOW,
            )
        )


# -- the cursor itself -----------------------------------------------------------------------------


def test_a_gap_cursor_keeps_ranges_fills_them_and_lets_them_go() -> None:
    cursor = GapCursor()
    cursor.advance(list(range(1, 101)), now=0.0)  # dense: no gap, as reading costs today
    assert (cursor.last, cursor.gaps) == (100, [])
    cursor.advance([101, 105, 200], now=1.0)
    assert cursor.last == 200
    assert cursor.ranges(now=2.0) == [(102, 104), (106, 199)]
    cursor.advance([103, 150, 151, 201], now=3.0)  # fills, and one more above
    assert cursor.ranges(now=4.0) == [(102, 102), (104, 104), (106, 149), (152, 199)]
    assert cursor.pending(104) and cursor.pending(202) and not cursor.pending(150)
    cursor.advance([210], now=300.0)
    assert cursor.ranges(now=700.0) == [(202, 209)]  # the first ones expired: holes for good
    assert cursor.ranges(now=901.0) == []


def test_a_gap_cursor_keeps_the_highest_gaps_of_a_large_unordered_first_read() -> None:
    ids = [i for i in range(1, 1_000_001) if i % 1000]  # every thousandth id missing
    ids.reverse()
    cursor = GapCursor(max_gaps=5)
    cursor.advance(ids, now=0.0)
    assert cursor.last == 999_999
    assert cursor.gaps == [Gap(k * 1000, k * 1000, 0.0) for k in range(995, 1000)]


def test_the_text_index_forgets_a_removed_thread() -> None:
    index = text_index.TextIndex(90)
    index.add(1, "espresso grinder burrs squeak", NOW, [(7, 2.0)])
    index.add(2, "espresso machine descaling", NOW, [(8, 1.0)])
    index.add(3, "quarterly budget spreadsheet", NOW, [(7, 1.0)])
    assert set(index.people("espresso", NOW)) == {7, 8}
    assert index.remove(1) is not None and index.remove(1) is None
    assert set(index.people("espresso grinder", NOW)) == {8}
    assert index.title(0) == ""
    index.add(1, "espresso grinder burrs squeak again", NOW, [(9, 1.0)])  # changed, added again
    assert set(index.people("grinder", NOW)) == {9}
    assert index.threads_of(9) == [1]
    index.remove(3)
    assert index.most_active(10) == [8, 9]
    assert index.activity(7, NOW) == 0.0
    assert len(index) == 2


@pytest.mark.parametrize("vectorised", [False, True])
def test_search_skips_removed_threads(vectorised: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if vectorised and text_index.numpy is None:
        pytest.skip("numpy is not installed")
    if not vectorised:
        monkeypatch.setattr(text_index, "numpy", None)
    index = text_index.TextIndex(90)
    for number in range(1, 401):
        index.add(number, f"alpha beta gamma{number % 7} delta{number % 3}", NOW, [(number, 1.0)])
    for number in range(1, 401, 2):
        index.remove(number)
    found = index.search("alpha gamma3 delta1", 50)
    assert len(found) == 50
    assert all(index.title(doc) for doc, _score in found)
    assert all(doc % 2 == 1 for doc, _score in found)  # document d is thread d + 1: even threads


def test_worker_threads_rank_while_people_are_erased(sqlite_url: str) -> None:
    services = services_for(sqlite_url)
    asker = person(services, "Asker")
    helpers = [person(services, f"Helper{n}") for n in range(12)]
    for number, helper in enumerate(helpers):
        thread(
            services, asker if number % 2 else helper, f"{PRINTER} {number}", [(helper, "reboot it", True)]
        )
        services.store.add_claim(helper, "Kubernetes", ClaimSource.HELPED, at=NOW - timedelta(days=1))
    services.matcher.refresh()
    erased = helpers[::3]
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                match = services.matcher.rank("printer jams kubernetes", ["Kubernetes"], asker, NOW)
                services.matcher.route(match, NOW)
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for pid in erased:
        services.store.forget_person(pid, services.erasure_salt())
        services.matcher.refresh()
    for worker in workers:
        worker.join()
    assert failures == []
    match = rank(services, "printer jams kubernetes", ["Kubernetes"])
    names = {c.name for c in match.candidates}
    assert names.isdisjoint(f"Helper{helpers.index(pid)}" for pid in erased)
    assert len(suggested(match)) == len(helpers) - len(erased)
