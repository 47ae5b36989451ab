"""One command grammar for every platform.

A command is declared once — name, aliases (English and French), typed arguments, help text,
who may run it — and Slack's ``/entraide need …``, Matrix's ``!entraide need …`` and the
console's ``need …`` all arrive here as the same line of text. Parsing never raises anything
but :class:`UsageError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from skills_db.vocabulary.textnorm import fold

if TYPE_CHECKING:
    from bot.chat.context import Context


class ArgKind(StrEnum):
    WORD = "word"  # one token
    CHOICE = "choice"  # one token among fixed values
    PERSON = "person"  # one @mention
    PEOPLE = "people"  # one @mention or more, one after the other ("@ana @bob", "@ana and @bob")
    REST = "rest"  # the rest of the line


@dataclass(frozen=True)
class Label:
    """A value of a message that is itself a catalogue text, rendered in the reader's language."""

    key: str


@dataclass(frozen=True)
class Argument:
    name: str
    kind: ArgKind
    required: bool = True
    choices: Mapping[str, str] = field(default_factory=dict)  # folded spelling -> value
    label: str = ""  # its catalogue label is argument.<label>, or argument.<name> by default

    @property
    def label_key(self) -> str:
        """What messages call it: people never see the internal name ("per_week")."""
        return f"argument.{self.label or self.name}"


@dataclass(frozen=True)
class PersonToken:
    """An @mention as written; the handler resolves it against the people it knows."""

    raw: str
    handle: str


# Handlers are synchronous: they run in a worker thread, inside their action's unit of work.
Handler = Callable[["Context", "Arguments"], None]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    arguments: tuple[Argument, ...] = ()
    aliases: tuple[str, ...] = ()
    admin: bool = False  # only community managers may run it
    words: Mapping[str, str] = field(default_factory=dict)  # language -> the word shown, if not name

    def word(self, language: str | None) -> str:
        """The command word to propose to someone speaking ``language``."""
        return self.words.get(language or "", self.name)

    @property
    def help_key(self) -> str:
        return f"help.{self.name}"

    @property
    def usage_key(self) -> str:
        return f"usage.{self.name}"


@dataclass(frozen=True)
class Arguments:
    values: Mapping[str, Any]

    def text(self, name: str) -> str:
        value = self.values.get(name)
        return value if isinstance(value, str) else ""

    def person(self, name: str) -> PersonToken | None:
        value = self.values.get(name)
        if isinstance(value, tuple):
            return value[0] if value else None
        return value if isinstance(value, PersonToken) else None

    def people(self, name: str) -> tuple[PersonToken, ...]:
        value = self.values.get(name)
        if isinstance(value, PersonToken):
            return (value,)
        return value if isinstance(value, tuple) else ()


@dataclass(frozen=True)
class ParsedCommand:
    command: Command
    arguments: Arguments
    plain: bool = False  # read from plain language in a private conversation, not typed as a command


class UsageError(Exception):
    """The line cannot run as written; ``key`` names the message explaining why."""

    def __init__(self, command: Command | None, key: str, **values: Any) -> None:
        super().__init__(key)
        self.command = command
        self.key = key
        self.values = values


class UnknownCommand(UsageError):
    def __init__(self, word: str, suggestion: str | None) -> None:
        super().__init__(None, "error.unknown_command", word=word, suggestion=suggestion)
        self.word = word
        self.suggestion = suggestion


_TOKEN = re.compile(r"\S+")


class Registry:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._by_word: dict[str, Command] = {}
        self._longest = 1  # words in the longest command word ("besoin d'aide": 2)

    def add(self, command: Command) -> Command:
        for word in (command.name, *command.aliases):
            key = fold(word)
            if key in self._by_word:
                raise ValueError(f"command word {word!r} is already taken")
            self._by_word[key] = command
            self._longest = max(self._longest, len(key.split()))
        for word in command.words.values():
            if self._by_word.get(fold(word)) is not command:
                raise ValueError(f"{word!r} is shown for {command.name!r} but does not run it")
        self._commands[command.name] = command
        return command

    def __iter__(self) -> Any:
        return iter(self._commands.values())

    def get(self, word: str) -> Command | None:
        return self._by_word.get(fold(word))

    def suggest(self, word: str) -> str | None:
        """The command closest to ``word``, by name, for "did you mean"; never used to run anything.

        Show it with :meth:`Command.word` in the reader's language.
        """
        folded = fold(word)
        if not folded:
            return None
        found = process.extractOne(folded, list(self._by_word), scorer=fuzz.WRatio, score_cutoff=75)
        return None if found is None else self._by_word[found[0]].name

    def parse(self, line: str) -> ParsedCommand:
        tokens = list(islice(_TOKEN.finditer(line), self._longest))
        if not tokens:
            raise UnknownCommand("", None)
        # Longest command word first: "besoin d'aide avec Kubernetes" is the need "avec
        # Kubernetes", not "besoin" with the need "d'aide avec Kubernetes".
        for count in range(len(tokens), 0, -1):
            command = self.get(" ".join(t.group() for t in tokens[:count]))
            if command is not None:
                rest = line[tokens[count - 1].end() :]
                return ParsedCommand(command, parse_arguments(command, rest))
        first = tokens[0].group()[:40]
        raise UnknownCommand(first, self.suggest(first))


def parse_arguments(command: Command, rest: str) -> Arguments:
    values: dict[str, Any] = {}
    remaining = rest.strip()
    for argument in command.arguments:
        if not remaining:
            if argument.required:
                raise UsageError(command, "error.missing_argument", argument=Label(argument.label_key))
            continue
        if argument.kind is ArgKind.REST:
            values[argument.name] = remaining
            remaining = ""
            continue
        token, _, remaining = remaining.partition(" ")
        remaining = remaining.strip()
        if argument.kind is ArgKind.WORD:
            values[argument.name] = token
        elif argument.kind is ArgKind.CHOICE:
            choice = argument.choices.get(fold(token))
            if choice is None:
                raise UsageError(
                    command, "error.bad_choice", argument=Label(argument.label_key), word=token[:40]
                )
            values[argument.name] = choice
        elif argument.kind is ArgKind.PEOPLE:
            values[argument.name], remaining = parse_people(command, token, remaining)
        else:
            values[argument.name] = parse_person(command, token)
    if remaining:
        raise UsageError(command, "error.extra_words", words=remaining[:40])
    return Arguments(values)


def parse_person(command: Command | None, token: str) -> PersonToken:
    handle = token[1:] if token.startswith("@") else ""
    # A mention is "@" and a handle made of visible characters, without a second "@" glued on
    # (Matrix ids "@user:server" keep their one leading "@").
    if not handle or handle.startswith("@") or not handle.isprintable() or len(handle) > 255:
        raise UsageError(command, "error.bad_mention", word=token[:40])
    return PersonToken(raw=token, handle=handle.rstrip(",.;:!?") or handle)


def parse_people(command: Command, first: str, rest: str) -> tuple[tuple[PersonToken, ...], str]:
    """The mentions at the start of ``first rest``, and what follows them."""
    people = [parse_person(command, first)]
    while True:
        token, _, after = rest.partition(" ")
        if fold(token) in ("and", "et", "&", ",") and after.lstrip().startswith("@"):
            token, _, after = after.strip().partition(" ")
        if not token.startswith("@"):
            return tuple(people), rest
        people.append(parse_person(command, token))
        rest = after.strip()


def choices(*groups: tuple[str, ...]) -> dict[str, str]:
    """Map each spelling (first of a group is the value) to its value: ("add", "ajouter")."""
    table: dict[str, str] = {}
    for group in groups:
        for spelling in group:
            table[fold(spelling)] = group[0]
    return table
