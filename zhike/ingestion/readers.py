"""Streaming readers of CSV, TSV and XLSX files with encoding and delimiter detection.

Encoding: a byte-order mark decides first (UTF-8, UTF-16). Otherwise the first
64 KiB are decoded strictly as UTF-8, then as GB18030 (the superset of GBK and
GB2312 that Chinese Excel writes). Statistical detection (charset-normalizer)
was not chosen: on the short, mostly-ASCII files CRM exports are, it guesses
between GBK, Big5 and Latin code pages, while strict decoding either succeeds
or fails loudly, costs one pass over a prefix and cannot silently garble text.
The rest of the file is decoded strictly while streaming, so a bad byte later
on is reported with its row instead of turning into replacement characters.

Rows are yielded one at a time with the row number a spreadsheet shows
(header = row 1), so memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from zhike.core.errors import InvalidInput

SNIFF_BYTES = 64 * 1024
XLSX_SCAN_BYTES = 1024 * 1024
# How many cells an error names before it gives only their count.
MAX_CELLS_NAMED = 5
# A formula cell whose <f> is followed by the cell's end, with no <v> value or an empty one.
_UNCOMPUTED_FORMULA = re.compile(
    r"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]+[0-9]+)\"[^>]*>\s*"
    r"<(?:\w+:)?f\b(?:[^>]*/>|[^>]*>[^<]*</(?:\w+:)?f>)\s*"
    r"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
DELIMITERS = (",", ";", "\t")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
# Cells above max_cell_bytes are rejected by the importer with their column; the csv
# module only needs a hard ceiling so that one runaway quote cannot fill memory.
CSV_FIELD_CEILING = 64 * 1024 * 1024
# Line breaks as open(newline="") reads them: \n, \r\n, or a \r not followed by \n.
_LINE_BREAK = re.compile(r"(?<=\n)|(?<=\r)(?=[^\n])")


class FileError(InvalidInput):
    """A file that cannot be read at all; the import stops and stores nothing."""

    code = "import_file_error"


@dataclass
class Table:
    """An open source file: its header and an iterator of (row number, cells)."""

    path: Path
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    encoding: str | None = None
    delimiter: str | None = None
    size: int = 0
    _position: Any = field(default=None, repr=False)
    _closers: list[Any] = field(default_factory=list, repr=False)

    def position(self) -> int:
        """Bytes read so far, for progress bars."""
        return int(self._position()) if self._position is not None else 0

    def close(self) -> None:
        for closer in self._closers:
            closer()


def detect_encoding(prefix: bytes, path: Path) -> str:
    if prefix.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if prefix.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if prefix.startswith(b"PK\x03\x04"):
        raise FileError("import_xlsx_named_csv", file=path.name)
    if b"\x00" in prefix:
        raise FileError("import_binary_file", file=path.name)
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            # final=False: the prefix may end in the middle of a multi-byte character.
            decoder.decode(prefix, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileError("import_unknown_encoding", file=path.name)


def detect_delimiter(first_line: str) -> str:
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def open_table(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Table:
    """Open ``path`` as a table; raise FileError naming the problem and its fix."""
    if not path.is_file():
        raise FileError("import_file_missing", file=str(path))
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _open_xlsx(path, sheet)
    return _open_text(path, encoding, delimiter)


def _open_text(path: Path, encoding: str | None, delimiter: str | None) -> Table:
    raw = path.open("rb")
    try:
        prefix = raw.read(SNIFF_BYTES)
        encoding = encoding or detect_encoding(prefix, path)
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        if delimiter is None:
            sample = prefix.decode(encoding, errors="ignore").lstrip("\ufeff")
            first_line = sample.splitlines()[0] if sample else ""
            delimiter = "\t" if path.suffix.lower() == ".tsv" and "\t" in first_line else None
            delimiter = delimiter or detect_delimiter(first_line)
    except BaseException:
        raw.close()
        raise
    if csv.field_size_limit() < CSV_FIELD_CEILING:
        csv.field_size_limit(CSV_FIELD_CEILING)
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    state = {"row": 1}
    try:
        header = _next_text_row(reader, path, state, encoding)
    except BaseException:
        raw.close()
        raise
    if header is None:
        raw.close()
        raise FileError("import_empty_file", file=path.name)
    header = [name.strip().lstrip("\ufeff") for name in header]
    return Table(
        path=path,
        header=header,
        rows=_text_rows(reader, path, state, encoding, len(header), _ends_with_newline(path)),
        encoding=encoding,
        delimiter=delimiter,
        size=path.stat().st_size,
        _position=raw.tell,
        _closers=[text.close],
    )


def _next_text_row(
    reader: Any, path: Path, state: dict[str, int], encoding: str
) -> list[str] | None:
    try:
        return next(reader)  # type: ignore[no-any-return]
    except StopIteration:
        return None
    except UnicodeDecodeError:
        # The text layer decodes ahead in chunks, so state["row"] may be rows before the
        # bad bytes. Reading the file again finds the row that contains them.
        row = _row_of_decode_error(path, encoding, reader.dialect.delimiter) or state["row"]
        raise FileError("import_decode_error", file=path.name, row=row, encoding=encoding) from None
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise FileError("import_truncated_csv", file=path.name, row=state["row"]) from None
        raise FileError(
            "import_csv_syntax", file=path.name, row=state["row"], reason=str(error)
        ) from None


def _row_of_decode_error(path: Path, encoding: str, delimiter: str) -> int | None:
    """Return the row number (header = 1) holding the first bytes ``encoding`` rejects.

    Returns None when the file decodes cleanly or cannot be parsed up to that point.
    """
    failed = False

    def lines_before_error() -> Iterator[str]:
        nonlocal failed
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        pending = ""
        with path.open("rb") as raw:
            # Cut at b"\n" to bound memory. The decoder carries a split character over.
            while chunk := raw.readline(SNIFF_BYTES):
                before = decoder.getstate()
                try:
                    pending += decoder.decode(chunk)
                except UnicodeDecodeError:
                    failed = True
                    pending += _decode_until_error(decoder, before, chunk)
                    break
                *complete, pending = _LINE_BREAK.split(pending)
                yield from complete
            *complete, pending = _LINE_BREAK.split(pending)
            yield from complete
        # A marker in place of the bad bytes. It starts a new row after a line break and
        # continues the open row (or quoted cell) otherwise.
        yield pending + "x"

    try:
        rows = sum(1 for _ in csv.reader(lines_before_error(), delimiter=delimiter))
    except csv.Error:
        return None
    return rows if failed else None


def _decode_until_error(decoder: codecs.IncrementalDecoder, state: Any, chunk: bytes) -> str:
    """Decode ``chunk`` from decoder ``state`` one byte at a time, up to the rejected byte."""
    decoder.setstate(state)
    text = []
    for index in range(len(chunk)):
        try:
            text.append(decoder.decode(chunk[index : index + 1]))
        except UnicodeDecodeError:
            break
    return "".join(text)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, io.SEEK_END)
        if handle.tell() == 0:
            return True
        handle.seek(-1, io.SEEK_END)
        return handle.read(1) in (b"\n", b"\r")


def _text_rows(
    reader: Any, path: Path, state: dict[str, int], encoding: str, width: int, ends_cleanly: bool
) -> Iterator[tuple[int, list[Any]]]:
    # One row is held back: only the last row can show that the file was cut off.
    held: tuple[int, list[Any]] | None = None
    while True:
        state["row"] += 1
        row = _next_text_row(reader, path, state, encoding)
        if row is None:
            break
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if held is not None:
            yield held
        held = (state["row"], row)
    if held is None:
        return
    number, last = held
    # A last row that is short of cells and lacks the final line break was cut off
    # mid-row (an interrupted copy or download); importing it would store half a record.
    if not ends_cleanly and len(last) < width:
        raise FileError(
            "import_truncated_row", file=path.name, row=number, cells=len(last), expected=width
        )
    yield held


def _open_xlsx(path: Path, sheet: str | None) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, EOFError, OSError) as error:
        raise FileError("import_truncated_xlsx", file=path.name) from error
    try:
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    except KeyError:
        workbook.close()
        raise FileError(
            "import_unknown_sheet",
            file=path.name,
            sheet=sheet,
            known=", ".join(workbook.sheetnames),
        ) from None
    try:
        uncomputed = _formulas_without_values(workbook, worksheet)
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:
        workbook.close()
        raise FileError("import_truncated_xlsx", file=path.name) from error
    if uncomputed:
        workbook.close()
        raise FileError(
            "import_xlsx_formulas_not_computed",
            file=path.name,
            count=len(uncomputed),
            cells=", ".join(uncomputed[:MAX_CELLS_NAMED]),
        )
    rows = worksheet.iter_rows(values_only=True)
    state = {"row": 0}
    try:
        first = _next_xlsx_row(rows, path)
    except BaseException:
        workbook.close()
        raise
    if first is None:
        workbook.close()
        raise FileError("import_empty_file", file=path.name)
    header = ["" if value is None else str(value).strip() for value in first]
    while header and not header[-1]:
        header.pop()
    state["row"] = 1
    return Table(
        path=path,
        header=header,
        rows=_xlsx_rows(rows, path, state),
        size=path.stat().st_size,
        _position=lambda: 0,
        _closers=[workbook.close],
    )


def _formulas_without_values(workbook: Any, worksheet: Any) -> list[str]:
    """Return the references of formula cells that carry no computed value, in sheet order.

    The workbook is read for stored values, and a formula that no spreadsheet program has
    computed (often a file written by a script) has none, so its cell would read as empty.
    """
    member = getattr(worksheet, "_worksheet_path", None)
    archive = getattr(workbook, "_archive", None)
    # NOTE: these are openpyxl internals of read-only mode; without them the check is skipped.
    if not isinstance(member, str) or not isinstance(archive, zipfile.ZipFile):
        return []
    found: list[str] = []
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    pending = ""
    with archive.open(member) as source:
        while True:
            chunk = source.read(XLSX_SCAN_BYTES)
            pending += decoder.decode(chunk, final=not chunk)
            # Keep the last cell, which may continue in the next chunk.
            cut = len(pending) if not chunk else max(pending.rfind("<c "), pending.rfind(":c "))
            cut = max(cut, 0)
            found.extend(match.group(1) for match in _UNCOMPUTED_FORMULA.finditer(pending, 0, cut))
            pending = pending[cut:]
            if not chunk:
                return found


def _next_xlsx_row(rows: Iterator[tuple[Any, ...]], path: Path) -> tuple[Any, ...] | None:
    try:
        return next(rows)
    except StopIteration:
        return None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:
        raise FileError("import_truncated_xlsx", file=path.name) from error
    except Exception as error:
        # openpyxl reports damaged sheet XML with lxml/ElementTree parse errors.
        if type(error).__name__ in ("ParseError", "XMLSyntaxError"):
            raise FileError("import_truncated_xlsx", file=path.name) from error
        raise


def _xlsx_rows(
    rows: Iterator[tuple[Any, ...]], path: Path, state: dict[str, int]
) -> Iterator[tuple[int, list[Any]]]:
    while True:
        values = _next_xlsx_row(rows, path)
        if values is None:
            return
        state["row"] += 1
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
            continue
        yield state["row"], [_xlsx_cell(value) for value in values]


def _xlsx_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime | date | bool | int):
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
