"""Numbers as the reader's language writes them.

English: "1,234.5" and "42%". French: "1 234,5" with a narrow no-break space (U+202F) between
thousands and a decimal comma, and "42 %" with the same narrow no-break space before the sign
(the French typography the catalogues use), so a line never breaks inside a number.
"""

from __future__ import annotations

NNBSP = "\u202f"  # narrow no-break space
MINUS = "\u2212"


def number(value: float, language: str | None, decimals: int = 0) -> str:
    """``value`` with ``decimals`` digits after the point ("1,234.5"; "1 234,5" in French),
    a trailing ",0" / ".0" dropped."""
    text = f"{abs(value):,.{decimals}f}"
    if decimals and text.endswith("." + "0" * decimals):
        text = text[: -(decimals + 1)]
    if language == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return (MINUS if value < 0 and text.strip("0.,") else "") + text


def percent(share: float, language: str | None) -> str:
    """A share (0.42) as a percentage: "42%", "42 %" in French."""
    return _percent_sign(number(round(share * 100), language), language)


def change(value: float, language: str | None) -> str:
    """A change in percent, signed: "+12%", "−5%" (French: "+12 %")."""
    rounded = round(value)
    sign = "+" if rounded > 0 else ""
    return _percent_sign(sign + number(rounded, language), language)


def _percent_sign(text: str, language: str | None) -> str:
    return f"{text}{NNBSP}%" if language == "fr" else f"{text}%"
