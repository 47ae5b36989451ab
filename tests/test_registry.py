"""The command grammar: aliases, typed arguments, suggestions — and no input makes it crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands import registry
from bot.commands.registry import PersonToken, UnknownCommand, UsageError


def test_french_and_accented_aliases_reach_the_same_command() -> None:
    r = registry()
    for word in ("skills", "compétences", "competences", "COMPÉTENCES"):
        assert r.parse(f"{word} ajouter Python").command.name == "skills"
    parsed = r.parse("compétences retirer Python, SQL")
    assert parsed.arguments.text("action") == "remove"
    assert parsed.arguments.text("skills") == "Python, SQL"


def test_person_argument_keeps_the_handle() -> None:
    parsed = registry().parse("thanks @bob, for the SQL help")
    assert parsed.arguments.person("someone") == PersonToken(raw="@bob,", handle="bob")
    assert parsed.arguments.text("reason") == "for the SQL help"
    matrix = registry().parse("profile @alice:example.org")
    assert matrix.arguments.person("someone") == PersonToken("@alice:example.org", "alice:example.org")


def test_extra_words_are_refused() -> None:
    with pytest.raises(UsageError) as error:
        registry().parse("export-me please now")
    assert error.value.key == "error.extra_words"


def test_suggestion_never_runs_the_command() -> None:
    with pytest.raises(UnknownCommand) as error:
        registry().parse("thnaks @bob")
    assert error.value.suggestion == "thanks"


def test_every_command_has_help_and_usage_in_both_languages() -> None:
    from bot.i18n import Catalog

    catalog = Catalog.load()
    for command in registry():
        for language in ("en", "fr"):
            assert command.help_key in catalog.messages[language], (language, command.name)
            assert command.usage_key in catalog.messages[language], (language, command.name)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_parser_raises_nothing_but_usage_errors(text: str) -> None:
    try:
        parsed = registry().parse(text)
    except UsageError:
        return
    assert parsed.command.name


command_words = st.sampled_from(sorted({w for c in registry() for w in (c.name, *c.aliases)}))


@settings(max_examples=400, deadline=None)
@given(command_words, st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_known_commands_with_any_arguments_raise_only_usage_errors(word: str, rest: str) -> None:
    try:
        parsed = registry().parse(f"{word} {rest}")
    except UsageError as error:
        assert error.key.startswith("error.")
        return
    assert parsed.command is registry().get(word)
