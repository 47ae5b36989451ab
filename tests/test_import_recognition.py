"""A large import recognises its questions' skills in a second process: the same skills, the
same database, and nothing lost when that process dies."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col

from bench.shared import DEV_DATA
from skills_db.importers import history
from skills_db.importers import recognition as recognition_module
from skills_db.importers.history import import_history, import_texts, questions_to_write
from skills_db.importers.read import read_history
from skills_db.importers.recognition import Recognition
from skills_db.storage.curation import LEARNED_CATEGORY
from skills_db.storage.models import Identity, Skill, SkillClaim
from skills_db.vocabulary.taxonomy import Taxonomy
from tests.support import make_services

EXPORT = DEV_DATA / "se-coffee.zip"


def skills_in(taxonomy: Taxonomy, text: str) -> list[str]:
    """The skills of ``text`` as the mentions name them, each once: what an import stores."""
    return list(dict.fromkeys(mention.skill for mention in taxonomy.recognise(text)))


def _questions() -> list[str]:
    threads = read_history(EXPORT).threads
    return [thread.root.text for thread in threads] + [threads[0].root.text, "nothing to see here"]


def test_skills_recognised_in_another_process_are_the_same(sqlite_url: str) -> None:
    taxonomy = make_services(sqlite_url).taxonomy
    texts = _questions()
    with Recognition(taxonomy, texts, parallel=True) as recognition:
        assert recognition.parallel
        found = [recognition(text) for text in texts]
        assert recognition("a text it was not given: python") == skills_in(
            taxonomy, "a text it was not given: python"
        )
    assert found == [skills_in(taxonomy, text) for text in texts]
    assert any(found)  # coffee questions name skills: the comparison is not of empty lists


def _silenced(monkeypatch: pytest.MonkeyPatch) -> None:
    """The other process is given nothing (it waits for its vocabulary), so that it is killed
    before it can answer: otherwise how much it answered first would depend on timing."""
    monkeypatch.setattr(recognition_module, "_feed", lambda *given: None)


def test_a_dead_recognition_process_leaves_its_texts_to_this_one(
    sqlite_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    taxonomy = make_services(sqlite_url).taxonomy
    texts = _questions()
    _silenced(monkeypatch)
    with Recognition(taxonomy, texts, parallel=True) as recognition:
        assert recognition._worker is not None
        recognition._worker.kill()  # as the OOM killer would
        with caplog.at_level(logging.WARNING, "entraide.import"):
            found = [recognition(text) for text in texts]
        assert not recognition.parallel
    assert found == [skills_in(taxonomy, text) for text in texts]
    assert "skill recognition goes on in this process" in caplog.text


def _claims(url: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    query = (
        sa.select(
            col(Identity.handle),
            col(Skill.name),
            col(SkillClaim.weight),
            col(SkillClaim.created_at),
            col(SkillClaim.ref),
        )
        .join(Identity, col(Identity.person_id) == col(SkillClaim.person_id))
        .join(Skill, col(Skill.id) == col(SkillClaim.skill_id))
    )  # refs name threads by id: both imports write the same threads in the same order
    with engine.connect() as conn:
        rows: list[tuple[object, ...]] = sorted(tuple(row) for row in conn.execute(query))
    engine.dispose()
    return rows


def test_an_import_with_two_processes_stores_what_one_does(tmp_path: Path) -> None:
    """The other process learns the phrases and recognises with them: the same phrases, and the
    same claims, as one process alone."""
    archive = read_history(EXPORT)
    urls, learned = [], []
    for parallel in (True, False):
        url = f"sqlite:///{tmp_path}/{parallel}.db"
        services = make_services(url)
        report, phrases = import_history(services.store, archive, services.taxonomy, parallel=parallel)
        services.store.close()
        urls.append(url)
        learned.append(phrases)
        assert report.claims > 0
    assert learned[0] == learned[1] and learned[0]  # se-coffee has phrases of its own
    assert _claims(urls[0]) == _claims(urls[1])
    with sa.create_engine(urls[0]).connect() as conn:
        categories = dict(conn.execute(sa.select(col(Skill.name), col(Skill.category))).all())
    assert {categories[phrase] for phrase in learned[0]} == {LEARNED_CATEGORY}


def test_a_recognition_process_dead_before_learning_leaves_the_phrases_to_this_one(
    sqlite_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    taxonomy = make_services(sqlite_url).taxonomy
    texts = _questions()
    alone = Recognition(taxonomy, texts, learn_from=texts, parallel=False)
    assert not alone.parallel and alone.learned()
    _silenced(monkeypatch)
    with Recognition(taxonomy, texts, learn_from=texts, parallel=True) as recognition:
        assert recognition._worker is not None
        recognition._worker.kill()
        with caplog.at_level(logging.WARNING, "entraide.import"):
            assert recognition.learned() == alone.learned()
            found = [recognition(text) for text in texts]
        assert not recognition.parallel
    assert found == [alone(text) for text in texts]
    assert "learning phrases goes on in this process" in caplog.text
    # the phrases learned count: some question is recognised with one of them
    assert any(set(skills) & set(alone.learned()) for skills in found)


def test_only_the_questions_an_import_will_write_go_to_recognition(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-import hands nothing to recognise again, and the questions of someone who asked to be
    forgotten never reach the recognition process, not even to learn phrases from."""
    services = make_services(sqlite_url)
    store, archive = services.store, read_history(EXPORT)
    asker = archive.threads[0].root.author
    asked = {thread.root.text for thread in archive.threads if thread.root.author == asker}
    store.forget_person(store.person_for("slack", asker).id or 0, store.erasure_salt())

    questions = questions_to_write(store, archive, "slack", erasure_salt="")
    assert len(questions) == len(archive.threads) - len(asked) and not asked & set(questions)
    given: list[object] = []

    class Seen(Recognition):
        def __init__(self, *args: Any, learn_from: Any = None, **kwargs: Any) -> None:
            given.extend(learn_from or ())
            super().__init__(*args, learn_from=learn_from, **kwargs)

    monkeypatch.setattr(history, "Recognition", Seen)
    import_history(store, archive, services.taxonomy, parallel=False)
    answered = [thread.root.text for thread in archive.threads if thread.replies]
    # the phrases are learned from every answered question but the forgotten asker's
    assert given == [text for text in answered if text not in asked] and len(given) < len(answered)
    assert questions_to_write(store, archive, "slack", erasure_salt="") == []


def test_profile_titles_are_recognised_ahead_after_the_questions(tmp_path: Path) -> None:
    """The titles an import declares go to recognition after its questions (it writes them
    last); a bot's, a deleted account's and a forgotten person's do not, and the declared skills
    are the same whichever process recognised them."""
    archive = read_history(EXPORT)
    handles = list(dict.fromkeys(thread.root.author for thread in archive.threads))[:4]
    titles = ["Kubernetes and Terraform", "Python developer", "barista, espresso", "PostgreSQL DBA"]
    users = {
        handle: replace(archive.users[handle], title=title)
        for handle, title in zip(handles, titles, strict=True)
    }
    users[handles[1]] = replace(users[handles[1]], is_bot=True)
    users[handles[2]] = replace(users[handles[2]], deleted=True)
    archive = replace(archive, users={**archive.users, **users})
    declared: list[list[tuple[object, ...]]] = []
    for parallel in (True, False):
        url = f"sqlite:///{tmp_path}/{parallel}.db"
        services = make_services(url)
        store = services.store
        texts, _learn_from = import_texts(store, archive, "slack", erasure_salt="")
        questions = questions_to_write(store, archive, "slack", erasure_salt="")
        assert texts == [*questions, titles[0], titles[3]]
        import_history(store, archive, services.taxonomy, parallel=parallel)
        engine = sa.create_engine(url)
        query = (
            sa.select(col(Identity.handle), col(Skill.name))
            .select_from(SkillClaim)
            .join(Identity, col(Identity.person_id) == col(SkillClaim.person_id))
            .join(Skill, col(Skill.id) == col(SkillClaim.skill_id))
            .where(col(SkillClaim.source) == "declared")
        )
        with engine.connect() as conn:
            declared.append(sorted(tuple(row) for row in conn.execute(query)))
        engine.dispose()
        store.close()
    assert declared[0] == declared[1]
    assert {handle for handle, _skill in declared[0]} == {handles[0], handles[3]}

    services = make_services(f"sqlite:///{tmp_path}/erased.db")
    store = services.store
    import_history(store, archive, services.taxonomy, parallel=False)
    store.forget_person(store.person_for("slack", handles[3]).id or 0, store.erasure_salt())
    assert titles[3] not in import_texts(store, archive, "slack", erasure_salt="")[0]
