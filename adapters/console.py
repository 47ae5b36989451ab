"""A terminal chat to try Entraide without any server, acting as several colleagues.

Every line you type is a command (``need …``, ``skills add …``), also after ``/entraide`` or
``!entraide`` as on Slack and Matrix; ``/as NAME`` changes who you are; private messages to a
colleague are printed as such. On a terminal, lines are edited and recalled with the arrow keys
(:mod:`adapters.terminal`). ``--script FILE`` feeds FILE's lines as if typed and prints every
reply: the tests drive the whole bot this way.

A script's lines have stable event ids, ``script-<script id>-<line number>``, where the
script id is a hash of the file's content (:func:`script_id`): run again on the same database —
after a crash, say — the lines already handled are dropped by the pipeline as duplicates, so the
script resumes where it stopped. ``/as`` and ``/time`` lines touch no record: they are replayed
each run, which puts the right colleague at the keyboard and the clock back where the script
had moved it (on a clock given with ``--clock-at``, exactly; on the real clock, by the same
moves from the restart's time). Up to the last line handled, nothing due is run on the way
(see :meth:`ConsoleAdapter._resume_point`). Typed lines keep ids unique to the session.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, TextIO

from adapters.terminal import LineEditor, LineReader, ReaderKind, load_readline, plain_reader, reader_kind
from bot.chat.adapter import EventSink
from bot.chat.events import SCRIPT_EVENT_PREFIX, Capabilities, Event, EventKind, Reply, Sent, UserRef
from skills_db.vocabulary.textnorm import fold

if TYPE_CHECKING:
    from skills_db.storage.store import Store

PLATFORM = "console"
BANNER = """Entraide console — you are {user}. Type `help` for commands, `/as NAME` to become
another colleague, `/quit` to leave."""
# What Slack's slash command and Matrix's prefix look like; the console takes them too, so that
# what people are used to typing elsewhere works here (the console's own commands are /as, /time…).
COMMAND_PREFIXES = ("/entraide", "!entraide")

# The name an existing console colleague goes by, for a name typed after /as; None if none.
NameLookup = Callable[[str], Awaitable[str | None]]
# The ids of the console events already handled whose id starts with the prefix given.
HandledLookup = Callable[[str], Awaitable[set[str]]]


def script_id(content: bytes) -> str:
    """What makes two runs "the same script": the same lines, wherever the file lies. A path
    alone would take an edited file (or another file saved under the name) for the script that
    already ran there, and skip lines that were never handled; the content cannot."""
    return hashlib.sha256(content).hexdigest()[:16]


def store_names(store: Store) -> NameLookup:
    """Look up /as names among the console people of ``store`` (their identity is the folded name)."""

    def lookup(name: str) -> str | None:
        person = store.find_person(PLATFORM, fold(name))
        return None if person is None else person.name

    return lambda name: asyncio.to_thread(lookup, name)


def store_handled(store: Store) -> HandledLookup:
    """Look up which lines of a script ``store`` has handled (their processed-event marks)."""
    return lambda prefix: asyncio.to_thread(store.processed_ids, PLATFORM, prefix)


class ConsoleAdapter:
    platform = PLATFORM
    account = ""
    capabilities = Capabilities(threads=True, ephemeral=False, reactions=False, buttons=False)

    def __init__(
        self,
        *,
        user: str = "you",
        conversation: str = "general",
        script: Iterable[str] | None = None,
        output: TextIO | None = None,
        banner: str | None = None,
        names: NameLookup | None = None,
        script_id: str | None = None,
        handled: HandledLookup | None = None,
    ) -> None:
        self.bot_user = UserRef(PLATFORM, "entraide", "Entraide")
        self.user = user
        self.conversation = conversation
        self.script = script
        self.output = output or sys.stdout
        self.banner = banner
        self.names = names
        # Who has been who this session, by folded name: "/as chloe" after "/as Chloé" is Chloé.
        self._personas: dict[str, str] = {fold(user): user}
        self._editor: LineEditor | None = None
        self._ids = itertools.count(1)
        self._session = uuid.uuid4().hex[:12]  # event ids must stay unique across runs
        # A script's lines are known by the script and their line number: see the module's doc.
        self._script_id = script_id
        self._handled = handled
        self._closed = asyncio.Event()
        self._message_ids = itertools.count(1)
        # Set by the bot when its clock can move: "/time +3d" runs what became due meanwhile.
        # The second argument is False for a /time line replayed after a crash: move the clock only.
        self.time_travel: Callable[[str, bool], Awaitable[str]] | None = None
        # Set by the bot when its clock stands still (--clock-at): run what a line made due at
        # once, as the ticker would within seconds, but at a known point of the script.
        self.settle: Callable[[], Awaitable[None]] | None = None

    async def run(self, sink: EventSink) -> None:
        if self.script is not None:
            handled, resume = await self._resume_point()
            if resume:
                self._print(f"(resuming the script: its lines up to {resume} were handled before)")
            for number, line in enumerate(self.script, 1):
                if self._closed.is_set():
                    break
                await self._line(
                    line.rstrip("\n"), sink, echo=True, number=number, replay=number <= resume, done=handled
                )
                if number == resume and self.settle is not None:
                    await self.settle()  # what was due where the crash stopped the script
            return
        self._print(self.banner or BANNER.format(user=self.user))
        reader = await self._stdin_reader()
        try:
            while not self._closed.is_set():
                read = asyncio.ensure_future(reader(f"{self.user}> "))
                closed = asyncio.ensure_future(self._closed.wait())
                done, _ = await asyncio.wait({read, closed}, return_when=asyncio.FIRST_COMPLETED)
                closed.cancel()
                if read not in done:
                    read.cancel()
                    break
                typed = read.result()
                if typed is None:  # end of input
                    self._print("")
                    break
                if not await self._line(typed, sink, echo=False):
                    break
        finally:
            if self._editor is not None:
                self._editor.restore()

    async def send(self, reply: Reply) -> Sent | None:
        text = reply.plain
        where = ""
        if reply.to is not None:
            where = f"[private to {reply.to.label}] "
        elif reply.thread:
            where = "  ↳ "
        lines = text.splitlines() or [""]
        self._print(f"{where}entraide: {lines[0]}")
        if reply.attachment is not None:  # a terminal shows no image: say what came with the text
            file = reply.attachment
            lines.append(
                f"[attached: {file.filename} — {file.alt}]" if file.alt else f"[attached: {file.filename}]"
            )
        for line in lines[1:]:
            self._print(f"{' ' * len(where)}          {line}")
        where = f"dm:{reply.to.handle}" if reply.to is not None else reply.conversation or self.conversation
        # Known by its outbox key when it has one: the same message gets the same id in every
        # run, and a restarted console's ids do not collide with its predecessor's.
        return Sent(where, reply.key or f"m-{self._session}-{next(self._message_ids)}")

    async def close(self) -> None:
        self._closed.set()

    async def _resume_point(self) -> tuple[set[str], int]:
        """The script's events handled before (a run cut short) and the last line among them.

        Lines up to that one are replayed, not run: ``/as`` sets who is typing, ``/time`` moves
        the clock without running what was due (that ran before the crash, at its time — run
        again now, it would run at an earlier time than it did), and a line handled is skipped.
        """
        if self._script_id is None or self._handled is None:
            return set(), 0
        prefix = f"{SCRIPT_EVENT_PREFIX}{self._script_id}-"
        done = await self._handled(prefix)
        numbers = [int(tail) for tail in (event.removeprefix(prefix) for event in done) if tail.isdigit()]
        return done, max(numbers, default=0)

    async def _line(
        self,
        line: str,
        sink: EventSink,
        *,
        echo: bool,
        number: int | None = None,
        replay: bool = False,
        done: set[str] | None = None,
    ) -> bool:
        """Handle one typed line; False to stop. ``replay``: a line of a script before the point
        where it resumes; ``done``: the script's events handled before."""
        stripped = line.strip()
        if echo and stripped and not stripped.startswith("#"):
            self._print(f"{self.user}> {line}")
        if not stripped or stripped.startswith("#"):
            return True
        command = _without_prefix(stripped)
        if command is not None:
            line = command or "help"  # a bare prefix asks for help, as on Slack
        elif stripped.startswith("/"):
            return await self._console_command(stripped, replay=replay)
        if number is not None and self._script_id is not None:
            known = f"{SCRIPT_EVENT_PREFIX}{self._script_id}-{number}"  # kept past any retention
        else:
            known = f"console-{self._session}-{next(self._ids)}"
        if done and known in done:
            return True  # handled before the run was cut short
        await sink(
            Event(
                platform=PLATFORM,
                event_id=known,
                conversation=self.conversation,
                sender=UserRef(PLATFORM, fold(self.user), self.user),
                text=line,
                kind=EventKind.COMMAND,
                message_id=f"line-{known}",
                # Everyone at the console shares its one room, where each line is seen: a help
                # channel (needs and thanks said there are public). Lines are commands, so the
                # pipeline never reads this to detect a need in chatter.
                in_help_channel=True,
            )
        )
        if self.settle is not None and not replay:
            await self.settle()
        return True

    async def _console_command(self, line: str, *, replay: bool = False) -> bool:
        verb, _, rest = line.partition(" ")
        if verb == "/as" and rest.strip():
            self.user = await self._persona(rest.strip().split()[0])
            self._print(f"(you are now {self.user})")
        elif verb in ("/quit", "/exit"):
            return False
        elif verb == "/time" and self.time_travel is not None:
            self._print(f"({await self.time_travel(rest.strip(), not replay)})")
        else:
            travel = ", /time +3d to move the clock" if self.time_travel is not None else ""
            self._print(f"(console: /as NAME to act as a colleague{travel}, /quit to leave)")
        return True

    async def _persona(self, name: str) -> str:
        """Who ``/as name`` makes you: a colleague whose name folds the same keeps their own
        spelling ("/as chloe" is Chloé, not a Chloe renaming her), else a new colleague ``name``."""
        known = self._personas.get(fold(name))
        if known is None and self.names is not None:
            known = await self.names(name)
        self._personas[fold(name)] = known = known or name
        return known

    async def _stdin_reader(self) -> LineReader:
        """How to read the next line of stdin without blocking the event loop."""
        readline = load_readline() if sys.stdin.isatty() else None
        kind = reader_kind(
            sys.stdin.fileno(),
            output_is_terminal=self.output is sys.stdout and sys.stdout.isatty(),
            line_editing=readline is not None,
        )
        if kind is ReaderKind.EDITED and readline is not None:
            self._editor = LineEditor(readline, self.output)
            return self._editor.read
        return await plain_reader(kind, self.output)

    def _print(self, text: str) -> None:
        if self._editor is not None:
            self._editor.print(text)  # above a line being typed, if one is
            return
        self.output.write(text + "\n")
        self.output.flush()


def _without_prefix(line: str) -> str | None:
    """The command after ``/entraide`` or ``!entraide`` (case-insensitive), else None."""
    for prefix in COMMAND_PREFIXES:
        head, rest = line[: len(prefix)], line[len(prefix) :]
        if head.casefold() == prefix and (not rest or rest[0].isspace()):
            return rest.strip()
    return None
