"""The barometer as a PNG: a real chart drawn by matplotlib, read back with Pillow.

What a chart shows is embedded in the file (a text chunk of JSON), so these tests check that the
picture carries exactly the figures it was given, in the reader's language, at the size set.
"""

from __future__ import annotations

import io
import sys
import zlib
from dataclasses import replace

import pytest
from PIL import Image

from bot.barometer.chart import DATA_KEY, DPI, HEIGHT_INCHES, WIDTH_INCHES, chart_from_json, render_png
from bot.barometer.model import ChartData

WEEKS = ("2026-W47", "2026-W48", "2026-W49", "2026-W50", "2026-W51", "2026-W52", "2027-W01")
DATA = ChartData(
    title="Baromètre des besoins — 7 semaines",
    weeks=WEEKS,
    series=(
        ("Kubernetes", (5, 7, 6, 9, 8, 11, 12)),
        ("Python", (3, 2, 4, 3, 5, 4, 6)),
        ("Sécurité", (0, 1, 0, 2, 1, 1, 3)),
    ),
    gaps=(("Rust", 12, 1), ("Accessibilité", 7, 0)),
    needs_label="besoins",
    helpers_label="personnes qui aident",
    gaps_title="Compétences qui manquent",
)
SIZE = (int(WIDTH_INCHES * DPI), int(HEIGHT_INCHES * DPI))


def opened(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()  # reads every chunk, the text ones included, and checks their CRCs
    return image


def pixels(png: bytes) -> bytes:
    """What the picture shows, without the data embedded beside it."""
    return opened(png).convert("RGB").tobytes()


def chunk_types(png: bytes) -> list[bytes]:
    """The PNG's chunk types in order, read from the bytes themselves."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    types, offset = [], 8
    while offset < len(png):
        length = int.from_bytes(png[offset : offset + 4], "big")
        kind = png[offset + 4 : offset + 8]
        body = png[offset + 8 : offset + 8 + length]
        crc = png[offset + 8 + length : offset + 12 + length]
        assert zlib.crc32(kind + body) == int.from_bytes(crc, "big")
        types.append(kind)
        offset += 12 + length
    return types


def test_the_chart_is_a_png_of_the_size_set_carrying_exactly_the_data_it_shows() -> None:
    png = render_png(DATA)
    assert png is not None
    image = opened(png)
    assert image.format == "PNG" and image.size == SIZE == (800, 600)
    assert chart_from_json(image.text[DATA_KEY]) == DATA  # accents and all
    assert len(png) < 80_000  # a chat client loads it at once


def test_the_same_data_gives_the_same_bytes_without_date_or_software_name() -> None:
    png = render_png(DATA)
    assert png is not None and render_png(DATA) == png
    assert set(opened(png).text) == {DATA_KEY}
    types = chunk_types(png)
    assert b"tIME" not in types and types[0] == b"IHDR" and types[-1] == b"IEND"


def test_gaps_alone_or_weeks_alone_still_make_a_chart_of_the_same_size() -> None:
    for data in (
        ChartData("Gaps only", (), (), DATA.gaps),
        ChartData("Weeks only", WEEKS, DATA.series, ()),
    ):
        png = render_png(data)
        assert png is not None
        image = opened(png)
        assert image.size == SIZE and chart_from_json(image.text[DATA_KEY]) == data


def test_names_are_drawn_as_text_whatever_they_contain() -> None:
    # matplotlib would read "$…$" as mathematics (and fail on "$^$"), and leave out of the legend
    # a name starting with "_": names are the people's words, drawn as they are.
    data = ChartData("Costs $^$", WEEKS[:2], (("_internal", (1, 2)), ("C$ & $x$", (2, 1))), (("_ops", 3, 1),))
    png = render_png(data)
    assert png is not None and chart_from_json(opened(png).text[DATA_KEY]) == data
    other = replace(data, series=(("_external", (1, 2)), data.series[1]))
    drawn = render_png(other)
    assert drawn is not None
    assert pixels(drawn) != pixels(png)  # the legend shows that name too


def test_nothing_to_draw_is_no_chart() -> None:
    assert render_png(ChartData("Empty", WEEKS, (), ())) is None
    assert render_png(ChartData("No weeks", (), (("Go", ()),), ())) is None


def test_without_matplotlib_there_is_no_chart(monkeypatch: pytest.MonkeyPatch) -> None:
    assert render_png(DATA) is not None  # it is installed here, and imported now
    # As on an install without the charts extra: importing matplotlib (or any part of it) fails.
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert render_png(DATA) is None


def test_a_gap_with_fewer_helpers_than_the_minimum_is_drawn_without_a_number() -> None:
    hidden = replace(DATA, gaps=(("Rust", 12, -1), ("Go", 9, 6)), fewer_than=7)
    png = render_png(hidden)
    assert png is not None
    read = chart_from_json(opened(png).text[DATA_KEY])
    assert read.gaps == (("Rust", 12, -1), ("Go", 9, 6)) and read.fewer_than == 7
    assert pixels(png) != pixels(render_png(replace(hidden, gaps=(("Rust", 12, 0), ("Go", 9, 6)))) or b"")
