"""`entraide barometer`: the same figures on the command line, as text, as the documented JSON,
and as a PNG chart — or a clear message and exit status 2 when the chart cannot be drawn."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from bot.barometer import chart
from bot.barometer.model import ChartData
from bot.cli import main
from bot.cli.barometer import MISSING_MATPLOTLIB, NO_CHART, NOTHING_TO_DRAW
from skills_db.storage.store import Store
from tests.barometer_world import build

UNTIL = "2026-12-09"  # the Wednesday of tests/barometer_world.py


@pytest.fixture
def config(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path}/entraide.db"
    store = Store.open(url)
    build(store)
    store.close()
    path = tmp_path / "entraide.toml"
    path.write_text(f'[database]\nurl = "{url}"\n[bot]\nlog_format = "text"\n', "utf-8")
    return path


def test_text_and_the_documented_json(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["barometer", "--config", str(config), "--weeks", "2", "--until", UNTIL]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Barometer of the 2 weeks from 23 November 2026 to 6 December 2026")
    assert "Needs posted: 14;" in text
    assert main(["barometer", "--config", str(config), "--weeks", "2", "--until", UNTIL, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == [
        "format",
        "min_group_size",
        "period",
        "previous",
        "figures",
        "weekly_needs",
        "top_skills",
        "gaps",
        "focus",
    ]
    assert data["format"] == "entraide-barometer/1" and data["min_group_size"] == 5
    assert data["period"] == {
        "weeks": 2,
        "start": "2026-11-23T00:00:00+00:00",
        "end": "2026-12-07T00:00:00+00:00",
        "iso_weeks": ["2026-W48", "2026-W49"],
    }
    assert data["figures"]["needs"] == {"value": 14, "suppressed": None}
    assert data["figures"]["helpers"] == {"value": None, "suppressed": "few"}
    assert data["figures"]["askers"] == {"value": None, "suppressed": "comparison"}
    assert data["weekly_needs"] == [
        {"week": "2026-W48", "value": 7, "suppressed": None},
        {"week": "2026-W49", "value": 7, "suppressed": None},
    ]
    assert [f["skill"] for f in data["focus"]] == ["SQL", "Go"]
    assert data["focus"][0]["learners"] == {"value": None, "suppressed": "few"}


def test_a_bad_number_of_weeks_is_a_usage_error(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["barometer", "--config", str(config), "--weeks", "53"])
    assert exit.value.code == 2
    assert "a number of weeks from 1 to 52, not '53'" in capsys.readouterr().err


def test_the_chart_is_written_or_the_reason_why_not_is_said(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "barometer.png"
    status = main(
        ["barometer", "--config", str(config), "--weeks", "2", "--until", UNTIL, "--chart", str(png)]
    )
    sample = ChartData("needs", ("2026-W48",), (("Python", (3,)),), ())
    if chart.render_png(sample) is None:  # no chart renderer here: the message says what to do
        assert status == 2 and not png.exists()
        said = capsys.readouterr().err.strip()
        missing = importlib.util.find_spec("matplotlib") is None
        assert said == (MISSING_MATPLOTLIB if missing else NO_CHART)
        if missing:
            assert "install entraide[charts]" in said
        return
    assert status == 0 and png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Barometer of the 2 weeks" in capsys.readouterr().out


def test_a_chart_shows_all_needs_when_no_skill_may_be_named_and_nothing_when_nothing_may(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")  # the extra is installed by `make test`
    from PIL import Image

    from bot.barometer.chart import DATA_KEY, chart_from_json

    png = tmp_path / "barometer.png"
    arguments = ["barometer", "--config", str(config), "--weeks", "2", "--until", UNTIL, "--chart", str(png)]
    assert main(arguments) == 0
    shown = chart_from_json(Image.open(png).text[DATA_KEY])
    assert shown.series[0][0] == "All needs" and sum(shown.series[0][1]) == 14  # "Needs posted: 14"
    empty = tmp_path / "empty.toml"
    empty.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/empty.db"\n', "utf-8")
    capsys.readouterr()
    nothing = tmp_path / "no.png"
    assert main(["barometer", "--config", str(empty), "--weeks", "2", "--chart", str(nothing)]) == 2
    assert capsys.readouterr().err.strip() == NOTHING_TO_DRAW and not nothing.exists()
