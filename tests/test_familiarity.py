"""A need is asked about only when its words are this community's (bot.matching.familiarity):
a question from another community shares ordinary words with many threads, not its jargon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.context import Services
from bot.matching.familiarity import Familiarity
from bot.matching.text_index import TextIndex
from skills_db.storage.models import HelpReply, HelpThread
from tests.support import make_services

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
START = NOW - timedelta(days=200)

PROBLEMS = ("sour", "bitter", "watery", "weak", "too strong", "burnt")
GEAR = ("espresso machine", "burr grinder", "portafilter", "moka pot", "aeropress", "chemex")
ANSWERS = (
    "grind finer and tamp evenly, the crema should come back",
    "your roast is too dark, try a medium roast arabica",
    "descale the boiler and check the extraction time",
    "use a scale: an 18 g dose for 36 g of espresso",
    "the beans are stale, buy whole beans roasted this month",
    "lower the kettle temperature, the pour-over will be less bitter",
)
# Each question has a word of its own, as real ones do (a brand, an origin, an ingredient).
DETAILS = """cardamom vanilla oat soy honey cinnamon decaf ethiopian colombian kenyan sumatra guatemala
    hario bialetti breville gaggia rancilio baratza timemore comandante kalita bonavita technivorm
    delonghi nespresso keurig jura saeco lelit profitec ascaso krups melitta chai mocha hazelnut""".split()
COFFEE_QUESTIONS = [
    f"my {gear} with {DETAILS[i * len(PROBLEMS) + j]} makes {problem} coffee, what should I change?"
    for i, gear in enumerate(GEAR)
    for j, problem in enumerate(PROBLEMS)
]
BEER = "which hops give an IPA a citrus aroma when dry hopping the fermenter?"
COFFEE = "why is the crema of my espresso so thin after I changed the grinder?"


def coffee_familiarity() -> Familiarity:
    index = TextIndex(half_life_days=90)
    familiarity = Familiarity(index)
    for number, question in enumerate(COFFEE_QUESTIONS, 1):
        text = f"{question} {ANSWERS[number % len(ANSWERS)]}"
        index.add(number, text, START + timedelta(days=number), [(number % 5 + 1, 1.0)])
        familiarity.add(number, question)
    return familiarity


def test_a_question_of_the_communitys_own_lands_high_and_another_communitys_low() -> None:
    familiarity = coffee_familiarity()
    assert familiarity.of(COFFEE) >= 0.3
    assert familiarity.of(BEER) < 0.05


def test_with_no_past_question_nothing_is_ruled_out() -> None:
    assert Familiarity(TextIndex(half_life_days=90)).of(BEER) == 1.0


def test_a_removed_thread_leaves_the_reference() -> None:
    index = TextIndex(half_life_days=90)
    familiarity = Familiarity(index)
    index.add(1, "espresso crema grinder", START, [(1, 1.0)])
    familiarity.add(1, "espresso crema grinder")
    assert familiarity.of(COFFEE) == 1.0  # more familiar than its only reference question
    familiarity.remove(1)
    assert familiarity.of(COFFEE) == 1.0  # no reference left: nothing to compare with


def test_a_thread_read_again_keeps_its_place_and_a_removed_one_takes_only_its_own_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A reply to a past thread has it read again (removed, then added as it is now): the next
    # need is compared with the same reference, not one scored again from scratch.
    familiarity = coffee_familiarity()
    texts = (COFFEE, BEER, *COFFEE_QUESTIONS[::7])
    before = [familiarity.of(text) for text in texts]
    scored: list[bool] = []
    figure = Familiarity._figure

    def counted(self: Familiarity, *args: object, own: bool) -> float:
        scored.append(own)
        return figure(self, *args, own=own)  # type: ignore[arg-type]

    monkeypatch.setattr(Familiarity, "_figure", counted)
    familiarity.remove(5)
    familiarity.add(5, COFFEE_QUESTIONS[4])
    assert [familiarity.of(text) for text in texts] == before
    assert not any(scored)  # only the needs were scored, none of the reference questions
    # Removed for good, a question leaves the reference, which is otherwise as it was.
    familiarity.remove(12)
    without = Familiarity(familiarity._index)
    for number, question in enumerate(COFFEE_QUESTIONS, 1):
        if number != 12:
            without.add(number, question)
    assert [familiarity.of(text) for text in texts] == [without.of(text) for text in texts]


def test_the_reference_is_kept_scored_by_the_refresh_not_by_the_next_need(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = TextIndex(half_life_days=90)
    familiarity = Familiarity(index)
    scored: list[bool] = []
    figure = Familiarity._figure

    def counted(self: Familiarity, *args: object, own: bool) -> float:
        scored.append(own)
        return figure(self, *args, own=own)  # type: ignore[arg-type]

    monkeypatch.setattr(Familiarity, "_figure", counted)
    for number, question in enumerate(COFFEE_QUESTIONS[:10], 1):
        index.add(number, question, START + timedelta(days=number), [(1, 1.0)])
        familiarity.add(number, question)
    familiarity.keep_scored()
    assert not scored  # never scored (nothing ranked): a first build scores nothing
    familiarity.of(COFFEE)
    assert scored.count(True) == 10
    for number, question in enumerate(COFFEE_QUESTIONS[10:30], 11):  # 20 new threads: stale
        index.add(number, question, START + timedelta(days=number), [(1, 1.0)])
        familiarity.add(number, question)
    familiarity.keep_scored()
    assert scored.count(True) == 10 + 30  # scored again with the threads that called for it
    scored.clear()
    familiarity.of(COFFEE)
    assert scored == [False]  # the next need scores only itself


@pytest.fixture
def services(database_url: str) -> Services:
    return make_services(database_url, clock=lambda: NOW)


def test_a_question_from_another_community_asks_nobody_one_of_its_own_asks_someone(
    services: Services,
) -> None:
    store = services.store
    people = [store.person_for("slack", f"u{i}", f"Barista {i}").id or 0 for i in range(6)]
    with store.session() as session:
        for number, question in enumerate(COFFEE_QUESTIONS):
            when = START + timedelta(days=5 * number)
            row = HelpThread(
                source="test", external_id=str(number), asker_id=people[0], text=question, created_at=when
            )
            session.add(row)
            session.flush()
            helper = people[1 + number % 5]
            answer = ANSWERS[number % len(ANSWERS)]
            session.add(HelpReply(thread_id=row.id or 0, person_id=helper, text=answer, created_at=when))
    matcher = services.matcher
    own = matcher.rank(COFFEE, matcher.recognise(COFFEE), None, NOW)
    assert any(c.relevant for c in own.candidates)
    assert matcher.route(own, NOW, asks_this_week={})
    foreign = matcher.rank(BEER, matcher.recognise(BEER), None, NOW)
    assert foreign.candidates  # still ranked, by their help in general…
    assert not any(c.relevant for c in foreign.candidates)  # …but nobody is asked
    assert matcher.route(foreign, NOW, asks_this_week={}) == []
