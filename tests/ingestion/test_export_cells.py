"""Formula neutralisation of exported cells."""

from __future__ import annotations

import pytest

from zhike.ingestion.export_cells import neutralize_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+公司", "'+公司"),
        ("-2+cmd|' /C calc'!A0", "'-2+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("+8613800138000", "+8613800138000"),
        ("+861062345678;ext=8001", "+861062345678;ext=8001"),
        ("-42.50", "-42.50"),
        ("张伟", "张伟"),
    ],
)
def test_neutralize_text(text: str, expected: str) -> None:
    assert neutralize_text(text) == expected
