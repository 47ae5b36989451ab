"""Snowball stemming of the text index: a need finds threads written with other forms of its words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.chat.context import Services
from bot.matching.text_index import TextIndex, index_terms
from skills_db.storage.models import HelpReply, HelpThread
from skills_db.vocabulary.language import language_of
from skills_db.vocabulary.stemming import Stems, stemmed_content_words
from skills_db.vocabulary.textnorm import fold, tokens
from tests.support import make_services

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)


def test_english_inflections_meet() -> None:
    assert index_terms("connection connected connecting connections") == ["connect"] * 4
    assert index_terms("deploying deployments") == index_terms("deployed deployment")
    assert index_terms("configure") == index_terms("configuration") == index_terms("configuring")


def test_french_inflections_meet_with_or_without_accents() -> None:
    assert index_terms("les réseaux") == index_terms("le réseau")
    assert index_terms("configurer le serveur") == index_terms("la configuration des serveurs")
    assert index_terms("elle a mangé")[-1] == index_terms("elle veut manger")[-1]
    assert index_terms("télécharger un fichier") == index_terms("le téléchargement des fichiers")
    # Many people write French without accents: both spellings give one stem.
    assert index_terms("Sécurité des données") == index_terms("securite des donnees")
    assert index_terms("la tâche validée") == index_terms("la tache valider")


def test_the_language_is_the_majority_of_function_words_english_by_default() -> None:
    assert language_of(tokens("The deployments fail when the cluster is full")) == "english"
    assert language_of(tokens("Les déploiements échouent quand le cluster est plein")) == "french"
    # French, quoting an English error: the majority of function words decides.
    assert language_of(tokens("J'ai une erreur avec le build : the file is missing")) == "french"
    assert language_of(tokens("kubernetes helm terraform")) == "english"
    # The same word is stemmed by the rules of its text's language.
    french = stemmed_content_words("les déploiements de la semaine")
    english = stemmed_content_words("the deploiements of the week")
    assert french[0] == "deploi" != english[0]


def test_tokens_with_digits_dots_or_symbols_are_kept_as_they_are() -> None:
    words = index_terms("node.js and k8s with c++, v2, ipv6, ci/cd and .net")
    assert words == ["node.js", "k8s", "c++", "v2", "ipv6", "ci/cd", ".net"]


def test_each_word_is_stemmed_once_per_language() -> None:
    stems = Stems()
    assert stems.stem("english", ["grinders", "grinders"]) == ["grinder", "grinder"]
    assert stems.stem("french", ["moulins"]) == ["moulin"]
    cache = vars(stems)["_cache"]
    assert cache == {"english": {"grinders": "grinder"}, "french": {"moulins": "moulin"}}


def test_a_search_finds_a_thread_written_with_other_inflections() -> None:
    index = TextIndex(half_life_days=180)
    index.add(1, "Why does the pool keep disconnecting?", NOW, [(7, 1.0)])
    index.add(2, "Comment télécharger les sauvegardes chiffrées ?", NOW, [(8, 1.0)])
    index.add(3, "Best beans for a light roast", NOW, [(9, 1.0)])
    assert [doc for doc, _score in index.search("my sessions got disconnected")] == [0]
    assert [doc for doc, _score in index.search("le téléchargement échoue")] == [1]


def _thread(services: Services, asker: str, helper: str, question: str, answer: str) -> None:
    store = services.store
    asker_id = store.person_for("console", fold(asker), asker).id
    helper_id = store.person_for("console", fold(helper), helper).id
    assert asker_id is not None and helper_id is not None
    when = NOW - timedelta(days=10)
    with store.session() as session:
        row = HelpThread(
            source="test", external_id=question, asker_id=asker_id, text=question, created_at=when
        )
        session.add(row)
        session.flush()
        session.add(HelpReply(thread_id=row.id or 0, person_id=helper_id, text=answer, created_at=when))


def test_a_need_finds_who_answered_it_in_other_words_forms(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    _thread(services, "Dmitri", "Alice", "Why does the pool keep disconnecting?", "raise the idle timeout")
    _thread(services, "Dmitri", "Chloé", "Comment télécharger les sauvegardes chiffrées ?", "avec la clé")
    _thread(services, "Dmitri", "Bruno", "Which beans for a light roast?", "washed Ethiopian ones")
    for need, helper in (
        ("my sessions got disconnected", "Alice"),
        ("Le téléchargement échoue", "Chloé"),
    ):
        match = services.matcher.rank(need, services.matcher.recognise(need), None, NOW)
        assert [c.name for c in match.candidates if c.relevant] == [helper], need
