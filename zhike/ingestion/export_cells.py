"""Cell values for exported files, safe to open in a spreadsheet."""

from __future__ import annotations

import re

# A spreadsheet runs text starting with these characters as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A phone number in E.164 (optionally with an extension) or a signed plain number: a
# spreadsheet can only read it as a number, never call a function, so it is kept as is.
_INERT = re.compile(r"^[+-]?\d[\d.]*(;ext=\d+)?$")


def neutralize_text(text: str) -> str:
    """Prefix text that a spreadsheet would read as a formula with a single quote.

    Only text is changed: numbers are written as numbers by the exporters, so a
    legitimate negative amount stays a number, and E.164 phone numbers such as
    +8613800138000 stay as they are.
    """
    if text.startswith(FORMULA_TRIGGERS) and not _INERT.match(text):
        return "'" + text
    return text
