"""A terminal chat to try Entraide without any server, acting as several colleagues.

Every line you type is a command (``need …``, ``skills add …``); ``/as NAME`` changes who you
are; private messages to a colleague are printed as such. ``--script FILE`` feeds FILE's lines
as if typed and prints every reply: the tests drive the whole bot this way.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import stat
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TextIO

from bot.chat.adapter import EventSink
from bot.chat.events import Capabilities, Event, EventKind, Reply, Sent, UserRef
from skills_db.vocabulary.textnorm import fold

PLATFORM = "console"
BANNER = """Entraide console — you are {user}. Type `help` for commands, `/as NAME` to become
another colleague, `/quit` to leave."""


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
    ) -> None:
        self.bot_user = UserRef(PLATFORM, "entraide", "Entraide")
        self.user = user
        self.conversation = conversation
        self.script = script
        self.output = output or sys.stdout
        self.banner = banner
        self._ids = itertools.count(1)
        self._session = uuid.uuid4().hex[:12]  # event ids must stay unique across runs
        self._closed = asyncio.Event()
        self._message_ids = itertools.count(1)
        # Set by the bot when its clock can move: "/time +3d" runs what became due meanwhile.
        self.time_travel: Callable[[str], Awaitable[str]] | None = None

    async def run(self, sink: EventSink) -> None:
        if self.script is not None:
            for line in self.script:
                if self._closed.is_set():
                    break
                await self._line(line.rstrip("\n"), sink, echo=True)
            return
        self._print(self.banner or BANNER.format(user=self.user))
        reader = await self._stdin_reader()
        while not self._closed.is_set():
            self.output.write(f"{self.user}> ")
            self.output.flush()
            read = asyncio.ensure_future(reader())
            closed = asyncio.ensure_future(self._closed.wait())
            done, _ = await asyncio.wait({read, closed}, return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            if read not in done:
                read.cancel()
                break
            data = read.result()
            if not data:  # end of input
                self._print("")
                break
            if not await self._line(data.decode("utf-8", "replace").rstrip("\n"), sink, echo=False):
                break

    async def send(self, reply: Reply) -> Sent | None:
        text = reply.plain
        where = ""
        if reply.to is not None:
            where = f"[private to {reply.to.label}] "
        elif reply.thread:
            where = "  ↳ "
        lines = text.splitlines() or [""]
        self._print(f"{where}entraide: {lines[0]}")
        for line in lines[1:]:
            self._print(f"{' ' * len(where)}          {line}")
        where = f"dm:{reply.to.handle}" if reply.to is not None else reply.conversation or self.conversation
        return Sent(where, f"m{next(self._message_ids)}")

    async def close(self) -> None:
        self._closed.set()

    async def _line(self, line: str, sink: EventSink, *, echo: bool) -> bool:
        """Handle one typed line; False to stop."""
        stripped = line.strip()
        if echo and stripped and not stripped.startswith("#"):
            self._print(f"{self.user}> {line}")
        if not stripped or stripped.startswith("#"):
            return True
        if stripped.startswith("/"):
            return await self._console_command(stripped)
        number = next(self._ids)
        await sink(
            Event(
                platform=PLATFORM,
                event_id=f"console-{self._session}-{number}",
                conversation=self.conversation,
                sender=UserRef(PLATFORM, fold(self.user), self.user),
                text=line,
                kind=EventKind.COMMAND,
                message_id=f"line-{number}",
            )
        )
        return True

    async def _console_command(self, line: str) -> bool:
        verb, _, rest = line.partition(" ")
        if verb == "/as" and rest.strip():
            self.user = rest.strip().split()[0]
            self._print(f"(you are now {self.user})")
        elif verb in ("/quit", "/exit"):
            return False
        elif verb == "/time" and self.time_travel is not None:
            self._print(f"({await self.time_travel(rest.strip())})")
        else:
            travel = ", /time +3d to move the clock" if self.time_travel is not None else ""
            self._print(f"(console: /as NAME to act as a colleague{travel}, /quit to leave)")
        return True

    async def _stdin_reader(self) -> Callable[[], Awaitable[bytes]]:
        """How to read the next line of stdin without blocking the event loop.

        A terminal, a pipe or a socket is watched by the event loop; a file or /dev/null cannot
        be (epoll refuses them), but reading one never waits: a worker thread reads those.
        """
        mode = os.fstat(sys.stdin.fileno()).st_mode
        if not (sys.stdin.isatty() or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
            return lambda: asyncio.to_thread(sys.stdin.buffer.readline)
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        return reader.readline

    def _print(self, text: str) -> None:
        self.output.write(text + "\n")
        self.output.flush()
