"""Two real `entraide run` instances on one PostgreSQL database take one Slack stream together.

One Slack double (HTTP mode) stands for Slack and its load balancer: each Events API delivery
goes to one instance or the other, and many are retried the way Slack retries (the same
envelope again, with ``X-Slack-Retry-Num``) — to the other instance, at the same moment, or to
the same one. Requests are accepted by button or by ``/entraide accept N``, sometimes twice,
each reaching another instance. At the
end each need is recorded once, each request for help sent once (one DM each), nobody is asked
more than their weekly cap, each thanks counted once, and every Web API call was valid.
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, func, select

from skills_db.storage.models import Ask, AskStatus, ClaimSource, Need, OutboxMessage, OutboxStatus, Thanks
from skills_db.storage.store import Store
from tests.entraide_process import WEEK_ONE, EntraideProcess, starting, until, up
from tests.slack_double import payloads
from tests.slack_double.server import Delivery, SlackDouble
from tests.slack_double.spec_check import web_api_spec
from tests.slack_double.workspace import BOT_USER, Message

pytestmark = pytest.mark.postgres

HELP = "C0HELP"
CAP = 2
NEEDS = 24
SKILLS = ("Terraform", "Kubernetes", "PostgreSQL", "React")
PEOPLE = [
    (f"U0P{n:02d}", name)
    for n, name in enumerate(
        ("Ana", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gus", "Hana", "Ivo", "Jade", "Kai", "Lou"), 1
    )
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Balancer:
    """Slack behind a load balancer: deliveries split between the instances, retries included."""

    def __init__(self, double: SlackDouble, urls: list[str], rng: random.Random) -> None:
        self.double, self.urls, self.rng = double, urls, rng
        self.deliveries = 0
        self.retries = 0

    async def event(self, envelope: dict[str, Any]) -> None:
        first = self.rng.choice(self.urls)
        sends = [self.double.send_event(envelope, to=first)]
        roll = self.rng.random()
        if roll < 0.5:  # Slack gave up waiting and retries: the other instance, at once
            other = next(url for url in self.urls if url != first)
            sends.append(self.double.send_event(envelope, retry=1, to=other))
        elif roll < 0.7:  # …or the same one
            sends.append(self.double.send_event(envelope, retry=1, to=first))
        self.deliveries += len(sends)
        self.retries += len(sends) - 1
        answers: list[Delivery] = await asyncio.gather(*sends)
        assert all(answer.status == 200 for answer in answers), answers

    async def say(self, user: str, text: str) -> Message:
        message = self.double.space.add_message(HELP, user, text)
        await asyncio.gather(*(self.event(e) for e in payloads.message_events(self.double.space, message)))
        return message

    def _targets(self) -> list[str]:
        targets = [self.rng.choice(self.urls)]
        if self.rng.random() < 0.4:  # a double click, a command sent twice: each to another instance
            targets.append(next(url for url in self.urls if url != targets[0]))
        self.deliveries += len(targets)
        self.retries += len(targets) - 1
        return targets

    async def click(self, user: str, message: Message, label: str) -> None:
        targets = self._targets()
        answers = await asyncio.gather(*(self.double.click(user, message, label, to=url) for url in targets))
        assert all(answer.status == 200 for answer in answers), answers

    async def command(self, user: str, text: str) -> None:
        targets = self._targets()
        answers = await asyncio.gather(*(self.double.command(user, HELP, text, to=url) for url in targets))
        assert all(answer.status == 200 for answer in answers), answers

    async def accept(self, user: str, request: Message) -> None:
        """Accept a request by its button, or by ``/entraide accept N`` (half of the time)."""
        if self.rng.random() < 0.5:
            await self.click(user, request, "Accept")
            return
        number = re.search(r"accept (\d+)", request.text)
        assert number is not None, request.text
        await self.command(user, f"accept {number.group(1)}")


def count(store: Store, query: Any) -> int:
    with store.session() as session:
        return int(session.exec(query).one())


def settled(store: Store) -> bool:
    """Nothing left to deliver, nothing being handled: what the instances said has landed."""
    pending = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
    )
    return count(store, pending) == 0


async def test_two_instances_take_one_stream_with_retries_without_duplicates(
    postgres_url: str, tmp_path: Path
) -> None:
    rng = random.Random(1204)
    spec = web_api_spec()
    double = SlackDouble()
    await double.start()
    for user, name in PEOPLE:
        double.space.add_user(user, name)
    double.space.add_channel(HELP, "help", [user for user, _ in PEOPLE] + [BOT_USER])
    store = Store.open(postgres_url)  # migrated once here: the processes do not race on the schema
    for user, name in PEOPLE:
        person = store.person_for("slack", user, name, at=WEEK_ONE - timedelta(days=400))
        assert person.id is not None
        for skill in rng.sample(SKILLS, 2):
            store.add_claim(person.id, skill, ClaimSource.DECLARED)
    ports = [free_port(), free_port()]

    def config(name: str) -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(
            f"""
[database]
url = "{postgres_url}"
[bot]
log_format = "json"
[routing]
mode = "consent"
ask_count = 2
weekly_ask_cap = {CAP}
[slack]
enabled = true
mode = "http"
bot_token = "{double.bot_token}"
signing_secret = "{double.signing_secret}"
api_url = "{double.api_url}"
host = "127.0.0.1"
port = {ports[0] if name == "one" else ports[1]}
help_channels = ["{HELP}"]
""",
            "utf-8",
        )
        return path

    try:
        with starting(config, tmp_path) as start:
            pair: list[EntraideProcess] = [start(name, WEEK_ONE) for name in ("one", "two")]
            for process in pair:
                await up(process, "slack connected")
            lb = Balancer(double, [f"http://127.0.0.1:{port}/slack/events" for port in ports], rng)

            # Needs, a few at a time: each batch's deliveries and retries race each other.
            texts = [f"anyone know {rng.choice(SKILLS)}? case {n}: it fails in staging" for n in range(NEEDS)]
            askers = {text: rng.choice(PEOPLE)[0] for text in texts}
            for batch in range(0, NEEDS, 6):
                await asyncio.gather(*(lb.say(askers[text], text) for text in texts[batch : batch + 6]))
            await until(
                lambda: count(store, select(func.count()).select_from(Need)) >= NEEDS and settled(store),
                "every need recorded and answered",
                pair,
            )

            # Accepts: for each need, one of the colleagues asked accepts, by button or command.
            requests = [
                (user, message)
                for user, _ in PEOPLE
                for message in double.dms_to(user)
                if "needs help" in message.text
            ]
            chosen: dict[str, tuple[str, Message]] = {}
            for user, message in requests:
                text = next(t for t in texts if t in message.text)
                chosen.setdefault(text, (user, message))
            await asyncio.gather(*(lb.accept(user, message) for user, message in chosen.values()))
            await until(
                lambda: (
                    count(
                        store,
                        select(func.count()).select_from(Ask).where(col(Ask.status) == AskStatus.ACCEPTED),
                    )
                    >= len(chosen)
                    and settled(store)
                ),
                "every accept recorded and answered",
                pair,
            )

            # Thanks, by mention: Slack sends the message and an app_mention, each retried.
            thanked = list(chosen.items())[:10]
            await asyncio.gather(
                *(
                    lb.say(askers[text], f"<@{BOT_USER}> thanks <@{helper}> for the help with case {n}")
                    for n, (text, (helper, _)) in enumerate(thanked)
                )
            )
            await until(
                lambda: (
                    count(store, select(func.count()).select_from(Thanks)) >= len(thanked) and settled(store)
                ),
                "every thanks recorded",
                pair,
            )
            assert [process.stop() for process in pair] == [0, 0], [p.describe() for p in pair]
            print(f"two instances: {lb.deliveries} deliveries, {lb.retries} retries, {len(chosen)} accepts")

        with store.session() as session:
            needs = list(session.exec(select(Need)).all())
            asks = list(session.exec(select(Ask)).all())
            thanks = list(session.exec(select(Thanks)).all())
        # Each need once.
        assert sorted(need.text for need in needs) == sorted(texts)
        # Each request sent once: one DM per ask sent, none for a request never sent.
        by_id = {need.id: need for need in needs}
        sent = [ask for ask in asks if ask.status not in (AskStatus.WAITING, AskStatus.SKIPPED)]
        dms = Counter(
            (user, text)
            for user, _ in PEOPLE
            for message in double.dms_to(user)
            if "needs help" in message.text
            for text in texts
            if text in message.text
        )
        people = {user: store.find_person("slack", user) for user, _ in PEOPLE}
        handles = {person.id: user for user, person in people.items() if person is not None}
        expected = Counter((handles[ask.person_id], by_id[ask.need_id].text) for ask in sent)
        assert dms == expected
        assert all(n == 1 for n in dms.values())
        # Caps held: nobody asked more than their weekly cap.
        per_person = Counter(ask.person_id for ask in sent)
        assert max(per_person.values()) <= CAP, per_person
        # Accepted once each; one introduction in each need's thread.
        accepted = Counter(ask.need_id for ask in asks if ask.status == AskStatus.ACCEPTED)
        assert sorted(accepted.values()) == [1] * len(chosen)
        for text in chosen:
            [message] = [m for m in double.space.messages[HELP] if m.text == text]
            intros = [m for m in double.bot_messages(HELP, thread=message.ts) if "meet" in m.text]
            assert len(intros) == 1, (text, [m.text for m in intros])
        # Thanks once each, acknowledged once.
        assert len(thanks) == len(thanked)
        recorded = [m for m in double.bot_messages(HELP) if m.text.startswith("Thanks recorded")]
        assert len(recorded) == len(thanked)
    finally:
        await double.stop()
        store.close()
    assert spec.problems_in(double.calls) == []
