"""Cell values for exported files, safe to open in a spreadsheet."""

from __future__ import annotations

# A spreadsheet runs text starting with these characters as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_text(text: str) -> str:
    """Prefix text that a spreadsheet would read as a formula with a single quote.

    Only text is changed: numbers are written as numbers by the exporters, so a
    legitimate negative amount stays a number.
    """
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
