"""The fast paths of matching give the answers of the plain computations they replace."""

from __future__ import annotations

import math
import pickle
import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.matching import text_index
from bot.matching.engine import Matcher
from bot.matching.skill_index import KINDS, SOURCE_WEIGHTS, SkillIndex
from bot.matching.text_index import K1, B, TextIndex, index_terms
from skills_db.storage.models import ClaimSource

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
WORDS = [f"w{n}" for n in range(60)]


def _corpus(seed: int, documents: int) -> list[str]:
    rng = random.Random(seed)
    # Zipf-like: a few words in most documents, most words in few.
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    return [" ".join(rng.choices(WORDS, weights, k=rng.randint(3, 30))) for _ in range(documents)]


def _bm25(texts: list[str], query: str) -> dict[int, float]:
    """BM25 as the index defines it, the slow way."""
    docs = [index_terms(t) for t in texts]
    average = max(sum(len(d) for d in docs) / len(docs), 1.0)
    scores: dict[int, float] = {}
    for term in set(index_terms(query)):
        having = [i for i, d in enumerate(docs) if term in d]
        idf = math.log(1 + (len(docs) - len(having) + 0.5) / (len(having) + 0.5))
        if not having or idf < 0.1:
            continue
        for i in having:
            tf = docs[i].count(term)
            norm = K1 * (1 - B + B * len(docs[i]) / average)
            scores[i] = scores.get(i, 0.0) + idf * tf * (K1 + 1) / (tf + norm)
    return scores


@pytest.mark.parametrize("vectorised", [False, True])
def test_search_returns_the_exact_bm25_top(vectorised: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if vectorised and text_index.numpy is None:
        pytest.skip("numpy is not installed")
    if not vectorised:
        monkeypatch.setattr(text_index, "numpy", None)
    texts = _corpus(1, 3000)
    index = TextIndex(90)
    for number, text in enumerate(texts):
        index.add(number + 1, text, NOW - timedelta(hours=number), [(number % 50, 1.0)])
    rng = random.Random(2)
    for _ in range(40):
        query = " ".join(rng.sample(WORDS, rng.randint(1, 8)))
        expected = _bm25(texts, query)
        for limit in (1, 10, 300):
            found = index.search(query, limit)
            assert len(found) == min(limit, len(expected))
            best = sorted(expected.values(), reverse=True)[: len(found)]
            assert [s for _, s in found] == pytest.approx(best, rel=1e-9)
            for doc, score in found:
                assert score == pytest.approx(expected[doc], rel=1e-9)


@pytest.mark.parametrize("vectorised", [False, True])
def test_equal_scores_come_in_document_order_among_many(
    vectorised: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of documents scoring the same (the top found from a sample of the scores
    first, with numpy): the first ones, in order, and none that scores less before them."""
    if vectorised and text_index.numpy is None:
        pytest.skip("numpy is not installed")
    if not vectorised:
        monkeypatch.setattr(text_index, "numpy", None)
    index = TextIndex(90)
    texts = ["alpha gamma"] * 2500 + ["alpha alpha delta"] * 10 + ["beta gamma"] * 500
    for number, text in enumerate(reversed(texts)):  # the best ten come last
        index.add(number + 1, text, NOW, [(number % 50, 1.0)])
    found = index.search("alpha", 300)
    assert [doc for doc, _ in found[:10]] == list(range(500, 510))  # "alpha alpha delta"
    assert [doc for doc, _ in found[10:]] == list(range(510, 800))  # then equals, in order
    assert len({score for _, score in found[10:]}) == 1 and found[9][1] > found[10][1]


def test_shares_of_the_need_are_the_same_with_numpy_as_one_by_one() -> None:
    if text_index.numpy is None:
        pytest.skip("numpy is not installed")
    texts = _corpus(3, 2000)
    index = TextIndex(90)
    for number, text in enumerate(texts):
        index.add(number + 1, text, NOW - timedelta(hours=number), [(number % 50, 1.0)])
    rng = random.Random(4)
    closes = 0
    for _ in range(60):
        # Some words no thread has ("unseen…") weigh most, as in a need from elsewhere.
        words = rng.sample(WORDS, rng.randint(1, 6)) + [f"unseen{n}" for n in range(rng.randint(0, 2))]
        terms = index._query_terms(" ".join(words))
        docs = [doc for doc, _score in index.search(" ".join(words), 300)]
        one_by_one = {doc: index._share(doc, terms) for doc in docs}
        assert index._shares(docs, terms) == pytest.approx(one_by_one, rel=1e-9)
        closes += sum(share >= text_index.CLOSE_SHARE for share in one_by_one.values())
    assert closes  # the queries did find close threads


@pytest.mark.parametrize("read_back", [False, True], ids=["built", "read back from a snapshot"])
def test_skill_index_sums_what_the_claims_say(read_back: bool) -> None:
    rng = random.Random(3)
    claims = []
    for number in range(2000):
        source = rng.choice([s.value for s in ClaimSource])
        when = (NOW - timedelta(days=rng.uniform(0, 900))).timestamp()
        claims.append(
            (number + 1, rng.randint(1, 40), rng.choice("abc"), source, rng.choice([0.5, 1.0, 2.0]), when)
        )
    first, later, after = claims[:1200], claims[1200:1700], claims[1700:]
    index = SkillIndex(180)
    index.add(sorted(first, key=lambda c: (c[2], c[1], c[5])), appending=True)
    index.add(later)
    if read_back:  # the skills stay packed until asked for; claims read after still count
        index = pickle.loads(pickle.dumps(index))
        assert all(isinstance(holders, bytes) for holders in index._skills.values())
        assert index.holds("a", next(c[1] for c in claims if c[2] == "a"))
    index.add(after)
    rate = math.log(2) / (180 * 86400)
    at, since = NOW.timestamp(), (NOW - timedelta(days=90)).timestamp()
    for skill in "abc":
        for person in range(1, 41):
            mine = [c for c in claims if c[2] == skill and c[1] == person]
            found = index.evidence(skill, person, at, since)
            if not mine:
                assert found is None
                continue
            assert found is not None
            others = [c for c in mine if c[3] != ClaimSource.DECLARED.value]
            weight = sum(SOURCE_WEIGHTS[c[3]] * c[4] * math.exp(-rate * (at - c[5])) for c in others)
            declared = [
                c[4] * math.exp(-rate * (at - c[5])) for c in mine if c[3] == ClaimSource.DECLARED.value
            ]
            assert found.weight == pytest.approx(weight, rel=1e-9)
            assert found.declared == pytest.approx(max(declared, default=0.0), rel=1e-9)
            assert found.counts == tuple(sum(c[3] == k for c in others) for k in KINDS)
            assert found.recent == tuple(sum(c[3] == k and c[5] >= since for c in others) for k in KINDS)


def test_a_removed_skill_stops_counting_at_once(matcher_and_store: tuple[Matcher, object]) -> None:
    matcher, store = matcher_and_store
    ana = store.person_for("console", "ana", "Ana")  # type: ignore[attr-defined]
    asker = store.person_for("console", "bob", "Bob")  # type: ignore[attr-defined]
    store.add_claim(ana.id, "Kubernetes", ClaimSource.DECLARED, at=NOW)  # type: ignore[attr-defined]
    ranked = matcher.rank("kubernetes", ["Kubernetes"], asker.id, NOW)
    assert [c.person_id for c in ranked.candidates if c.relevant] == [ana.id]
    assert store.remove_declared(ana.id, "Kubernetes")  # type: ignore[attr-defined]
    ranked = matcher.rank("kubernetes", ["Kubernetes"], asker.id, NOW)
    assert [c.person_id for c in ranked.candidates if c.relevant] == []


@pytest.fixture
def matcher_and_store(tmp_path: object) -> tuple[Matcher, object]:
    from bot.config import Config
    from skills_db.storage.store import Store
    from skills_db.vocabulary.taxonomy import Taxonomy

    store = Store.open(f"sqlite:///{tmp_path}/t.db")
    config = Config()
    return Matcher(store, Taxonomy.load_default(), config.routing, config.matching), store


def test_claims_read_from_the_store_add_up_as_the_claims_do(
    matcher_and_store: tuple[Matcher, object],
) -> None:
    matcher, store = matcher_and_store
    people = [store.person_for("console", f"p{n}", f"P{n}").id for n in range(6)]  # type: ignore[attr-defined]
    rng = random.Random(4)
    sources = [ClaimSource.ENDORSED, ClaimSource.HELPED, ClaimSource.IMPORTED]

    def add_claims(count: int) -> None:
        for _ in range(count):
            store.add_claim(  # type: ignore[attr-defined]
                rng.choice(people),
                rng.choice(["Python", "Docker"]),
                rng.choice(sources),
                weight=rng.choice([0.5, 1.0, 2.0]),
                at=NOW - timedelta(days=rng.uniform(0, 400)),
            )

    add_claims(150)
    matcher.refresh()  # the first read: sorted by skill, person and time
    add_claims(50)
    matcher.refresh()  # then only the new claims
    rate = math.log(2) / (180 * 86400)
    at, since = NOW.timestamp(), (NOW - timedelta(days=90)).timestamp()
    for person in people:
        for skill in ("Python", "Docker"):
            claims = store.claims(person_ids=[person], skills=[skill])  # type: ignore[attr-defined]
            found = matcher.skills.evidence(skill, person, at, since)
            assert (found is None) == (not claims)
            if found is None:
                continue
            when = [c.created_at.timestamp() for c in claims]
            weight = sum(
                SOURCE_WEIGHTS[c.source] * c.weight * math.exp(-rate * (at - t))
                for c, t in zip(claims, when, strict=True)
            )
            assert found.weight == pytest.approx(weight, rel=1e-9)
            assert found.counts == tuple(sum(c.source == k for c in claims) for k in KINDS)
            assert found.recent == tuple(
                sum(c.source == k and t >= since for c, t in zip(claims, when, strict=True)) for k in KINDS
            )


def test_activities_of_many_people_are_each_ones_decayed_help() -> None:
    index = TextIndex(30)
    assert index.activities([1, 2], NOW) == [0.0, 0.0]  # nothing indexed yet
    helped: dict[int, list[tuple[datetime, float]]] = {}
    for number in range(40):
        when, person, weight = NOW - timedelta(days=number), number % 7, 1.0 + number % 3
        index.add(number + 1, f"w{number}", when, [(person, weight)])
        helped.setdefault(person, []).append((when, weight))
    people = [3, 99, 0, 6, 3]  # someone who never helped, and someone twice
    later = NOW + timedelta(days=5)
    expected = [
        sum(w * math.exp(-index.decay_rate * (later - when).total_seconds()) for when, w in helped.get(p, []))
        for p in people
    ]
    assert index.activities(people, later) == pytest.approx(expected, rel=1e-9)
    assert [index.activity(person, later) for person in people] == index.activities(people, later)
    assert index.activities(people, later)[1] == 0.0 and index.activities(people, later)[0] > 0
