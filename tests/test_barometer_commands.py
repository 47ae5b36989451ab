"""`admin barometer` and `admin export` in a console session: a manager gets the barometer and
its CSV privately, in their language; anyone else is refused; a bad number of weeks gets the
usage; every call is audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from bot.chat.context import Services
from tests.barometer_world import NOW, build
from tests.support import Clock, make_services, run_console

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    made = make_services(database_url, Clock(NOW), bot={"admins": ["console:cam"]})
    build(made.store)
    yield made
    made.store.close()


async def test_a_manager_reads_the_barometer_and_its_csv_and_a_colleague_is_refused(
    services: Services,
) -> None:
    out = await run_console(
        services,
        """
admin barometer
/as cam
admin barometer 2
admin barometer 99
admin export 2
admin audit 3
""",
        user="Ana",
    )
    refused = out.split("cam> admin barometer 2")[0]
    assert "Only community managers may run admin." in refused and "Barometer" not in refused
    reply = out.split("cam> admin barometer 2\n", 1)[1].split("cam> admin barometer 99", 1)[0]
    lines = [line.strip() for line in reply.splitlines()]
    assert lines[0] == (
        "[private to cam] entraide: Barometer of the 2 weeks from 23 November 2026 to 6 December 2026"
        " (2026-W48 – 2026-W49)"
    )
    assert "Needs posted: 14; from imported history: not shown (fewer than 5 people)" in lines
    assert "Week by week: ██ (7, 7)" in lines
    assert "Colleagues who asked: hidden · who helped: fewer than 5" in reply
    assert "Ana" not in reply and "Hugo" not in reply  # nobody is named
    assert "“99” is not a number of weeks from 1 to 52.\n" in out
    assert "Usage: admin barometer [weeks, 1 to 52]" in out
    export = out.split("cam> admin export 2\n", 1)[1].split("cam> admin audit 3", 1)[0]
    assert "The barometer's figures, 2 weeks (23 November 2026 to 6 December 2026), as CSV:" in export
    rows = list(csv.reader(io.StringIO("\n".join(line.strip() for line in export.splitlines()[1:]))))
    assert rows[0] == ["section", "skill", "week", "figure", "value", "suppressed"]
    assert ["figures", "", "", "needs", "14", ""] in rows
    assert ["figures", "", "", "helpers", "", "few"] in rows  # suppressed: no value, the reason
    assert ["weekly", "", "2026-W49", "needs", "7", ""] in rows
    actions = [(e.action, e.details["arguments"].get("weeks")) for e in services.store.audit_log(4)]
    assert actions[1:] == [("admin.export", "2"), ("admin.barometer", "99"), ("admin.barometer", "2")]


async def test_in_french_with_french_numbers(services: Services) -> None:
    out = await run_console(services, "language fr\nadmin barometre 2", user="cam")
    reply = out.split("cam> admin barometre 2\n", 1)[1]
    assert "Baromètre des 2 semaines du 23 novembre 2026 au 6 décembre 2026" in reply
    assert f"Besoins exprimés{NBSP}: 14{NBSP}; venant de l'historique importé{NBSP}: non affiché" in reply
    assert f"Collègues ayant demandé{NBSP}: masqué · ayant aidé{NBSP}: moins de 5" in reply
