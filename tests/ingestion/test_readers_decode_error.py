"""A byte that the detected encoding rejects is reported with the row that contains it."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhike.ingestion.readers import FileError, open_table

HEADER = "external_id,name,note\n"


def _read_all(path: Path) -> None:
    table = open_table(path)
    try:
        for _ in table.rows:
            pass
    finally:
        table.close()


def _decode_error_row(path: Path) -> int:
    with pytest.raises(FileError) as caught:
        _read_all(path)
    assert caught.value.code == "import_decode_error"
    return int(caught.value.params["row"])


def _rows(count: int, line_break: str = "\n") -> str:
    return "".join(f"c{index},客户{index},备注{index}{line_break}" for index in range(count))


@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r"])
def test_decode_error_row_far_into_file(tmp_path: Path, line_break: str) -> None:
    # Rows 2 to 3001 are valid UTF-8 (far beyond the 64 KiB prefix that picks the encoding);
    # row 3002 contains a GBK-encoded name.
    path = tmp_path / "contacts.csv"
    text = HEADER.replace("\n", line_break) + _rows(3000, line_break)
    path.write_bytes(text.encode() + f"c9,陈先生,x{line_break}".encode("gbk") + b"c10,a,b\n")

    assert _decode_error_row(path) == 3002


def test_decode_error_row_counts_quoted_line_breaks(tmp_path: Path) -> None:
    # Row 2 spans three lines inside a quoted cell and row 3 is blank, so the bad bytes sit
    # on line 3006 but in row 3004.
    path = tmp_path / "contacts.csv"
    text = HEADER + 'c0,客户,"第一行\n第二行\n第三行"\n\n' + _rows(3000)
    path.write_bytes(text.encode() + "c9,陈先生,x\n".encode("gbk"))

    assert _decode_error_row(path) == 3004


def test_decode_error_inside_quoted_cell(tmp_path: Path) -> None:
    # The bad bytes are on the second line of a quoted cell that starts in row 3002.
    path = tmp_path / "contacts.csv"
    text = HEADER + _rows(3000) + 'c9,客户,"第一行\n'
    path.write_bytes(text.encode() + '陈先生"\n'.encode("gbk"))

    assert _decode_error_row(path) == 3002


def test_decode_error_at_line_start(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    text = HEADER + _rows(3000)
    path.write_bytes(text.encode() + "陈,c9,x\n".encode("gbk"))

    assert _decode_error_row(path) == 3002
