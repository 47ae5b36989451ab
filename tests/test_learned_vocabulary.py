"""Each workspace's own phrases are learned from its history; common-word filler never is."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import wordfreq

from bench.shared import DEV_DATA
from bot.app import vocabulary
from skills_db.importers.history import import_history, learn_vocabulary
from skills_db.importers.model import HistoryArchive, HistoryMessage, HistoryThread, HistoryUser
from skills_db.importers.read import read_history
from skills_db.vocabulary.taxonomy import Taxonomy
from tests.support import config_with, make_services

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPORTS = sorted(DEV_DATA.glob("*.zip"))

# Ordinary questions of a small office, none of them about the same thing twice in a row.
SUBJECTS = [
    "the printer on the second floor",
    "my laptop battery",
    "the meeting room screen",
    "the shared calendar",
    "the parking badge",
    "the office kitchen",
    "my phone headset",
    "the holiday request form",
    "the train tickets for the conference",
    "the new desk chairs",
]
ASKS = [
    "Who knows how to fix {}?",
    "Can someone help me with {} today?",
    "Is there a trick for {}?",
    "What is wrong with {} this morning?",
    "Where do I report a problem with {}?",
]
FILLER = [
    "Coffee seems to help while I wait.",
    "Anyone tried restarting it?",
    "It works fine for everyone else.",
]
# This workspace's own terms ("burr grinder" is a known one: recognised, never learned again).
JARGON = ["flux capacitor", "billing-v2 cluster", "kiln schedule", "burr grinder"]
ABOUT = ["Who can help with the {}?", "Is the {} down again?", "Where is the {} documented?"]


def common(word: str) -> bool:
    """An ordinary word of English or French (wordfreq Zipf >= 4.5, once per 30,000 words)."""
    return max(wordfreq.zipf_frequency(word, "en"), wordfreq.zipf_frequency(word, "fr")) >= 4.5


def office_history() -> HistoryArchive:
    """200 answered questions; each filler and jargon phrase comes back in 6 of them."""
    rng = random.Random(13)
    users = {h: HistoryUser(h, h, h, "", None, False, False) for h in ("ana", "ben", "chen", "dev")}
    threads = []
    for number in range(200):
        text = rng.choice(ASKS).format(rng.choice(SUBJECTS))
        if number % 8 == 0 and number // 8 < 24:  # 24 questions: each filler and term 6 times
            k = number // 8
            text = f"{text} {FILLER[k % 3]} {ABOUT[k % 3].format(JARGON[k // 6])}"
        when = START + timedelta(hours=3 * number)
        root = HistoryMessage(f"{number}.0", "ana", text, (), when, ())
        reply = HistoryMessage(f"{number}.1", "ben", "Done, try now.", (), when + timedelta(minutes=5), ())
        threads.append(HistoryThread("jsonl", "help", f"help:{number}", root, (reply,), None))
    return HistoryArchive("office.jsonl", users, tuple(threads), 0)


def test_recurring_jargon_is_learned_and_common_word_filler_is_not(database_url: str) -> None:
    archive = office_history()
    assert sum("flux capacitor" in t.root.text for t in archive.threads) == 6
    assert sum("Coffee seems" in t.root.text for t in archive.threads) == 8
    store = make_services(database_url).store
    _report, learned = import_history(store, archive, vocabulary(config_with(database_url), store))
    assert {"flux capacitor", "billing v2", "v2 cluster", "kiln schedule"} <= set(learned)
    assert "burr grinder" not in learned
    filler_words = {"coffee", "seems", "anyone", "tried", "works", "fine"}
    assert not [p for p in learned if filler_words.intersection(p.split())]
    assert not [p for p in learned if all(common(w) for w in p.split())]
    # Learned, a phrase is a skill: recognised in new needs, after a restart too.
    services = make_services(database_url)
    assert "flux capacitor" in services.matcher.recognise("our flux capacitors are overheating")
    assert "billing v2" in services.matcher.recognise("is the billing-v2 cluster down?")
    assert "coffee seems" not in services.matcher.recognise("the coffee seems cold")
    assert services.matcher.recognise("the burr grinder is stuck") == ["Coffee grinding"]


def test_no_dev_export_teaches_a_phrase_of_common_words_only() -> None:
    assert len(EXPORTS) >= 2, f"no dev exports in {DEV_DATA}"
    taxonomy = Taxonomy.load_default()
    learned_somewhere = 0
    for path in EXPORTS:
        learned = learn_vocabulary(read_history(path), taxonomy.canonical)
        assert not [p for p in learned if all(common(w) for w in p.split())], path.name
        learned_somewhere += bool(learned)
    assert learned_somewhere >= len(EXPORTS) // 2  # the filter leaves each workspace its jargon


def test_starting_the_bot_does_not_load_the_word_frequency_lists(tmp_path: object) -> None:
    script = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from tests.support import make_services\n"
        f"services = make_services('sqlite:///{tmp_path}/start.db')\n"
        "services.matcher.rank('my burr grinder jams', [], None, datetime.now(UTC))\n"
        "print('wordfreq' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_general_frequencies_read_from_the_files_are_wordfreqs_own() -> None:
    # The lists are read from wordfreq's data files without importing it (start-up time): the
    # same buckets as its API gives, so the same Zipf figures for every word.
    from skills_db.vocabulary.frequency import GeneralFrequencies, _word_lists

    for code in ("en", "fr"):
        assert _word_lists(code) == wordfreq.get_frequency_list(code, "small")
    general = GeneralFrequencies()
    for word, language, code in [
        ("the", "english", "en"),
        ("portafilter", "english", "en"),
        ("grinder", "english", "en"),
        ("boulangerie", "french", "fr"),
        ("mouture", "french", "fr"),
    ]:
        assert general.zipf(word, language) == max(wordfreq.zipf_frequency(word, code), 3.0)


def test_the_phrases_learned_and_their_order_do_not_depend_on_string_hashing() -> None:
    """The import's other process learns them under its own hash seed: the same phrases in the
    same order as in this process, or skill ids (and ties at the limit) would change by run."""
    script = (
        "from bench.shared import DEV_DATA\n"
        "from skills_db.importers.read import read_history\n"
        "from skills_db.vocabulary.terms import recurring_phrases\n"
        "exports = [read_history(DEV_DATA / f'{name}.zip') for name in ('se-beer', 'se-coffee')]\n"
        "print(recurring_phrases([t.root.text for e in exports for t in e.threads], limit=40))\n"
    )
    found = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(found) == 1 and found.pop().count(",") >= 20
