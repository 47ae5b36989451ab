"""A long need (a pasted paragraph) is searched by its most informative terms only
(bot.matching.text_index.MAX_QUERY_TERMS): what it costs is bounded, and it still finds who
answered the question it is really about."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.matching.text_index import MAX_QUERY_TERMS, TextIndex

AT = datetime(2026, 11, 4, tzinfo=UTC)
COMMON = (
    "server deploy error build config version cluster network request response timeout table "
    "index cache memory disk proxy token login password account user permission role policy "
    "pipeline job task queue worker schedule backup restore migration schema field column"
).split()


def index_with_one_expert() -> TextIndex:
    index = TextIndex(half_life_days=90)
    for number in range(200):  # everyday threads, each answered by someone else
        words = [COMMON[(number * 7 + k) % len(COMMON)] for k in range(8)]
        index.add(number + 1, " ".join(words), AT, [(100 + number, 1.0)])
    index.add(500, "fluentd sidecar drops logs after logrotate", AT, [(7, 1.0)])
    return index


def test_a_long_need_is_searched_by_its_rarest_terms_and_finds_the_expert() -> None:
    index = index_with_one_expert()
    need = " ".join(COMMON) + " and our fluentd sidecar keeps dropping logs, any idea?"
    terms = index._query_terms(need)
    assert len([t for t in terms if t[1] is not None]) == MAX_QUERY_TERMS < len(COMMON)
    people = index.people(need, AT)
    best = max(people, key=lambda p: people[p].score)
    assert best == 7


def test_a_short_need_keeps_every_term() -> None:
    index = index_with_one_expert()
    need = "fluentd sidecar with a proxy token"
    assert len(index._query_terms(need)) == 4  # fluentd, sidecar, proxy, token ("with", "a": stopwords)
