"""The downloadable report of rejected rows: CSV in UTF-8 with a BOM, so Excel shows Chinese."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

from zhike.core.i18n import translate
from zhike.ingestion.export_cells import neutralize_text


class RejectsWriter:
    """Appends one line per problem; the file is created only when there is one."""

    def __init__(self, path: Path, locale: str) -> None:
        self.path = path
        self.locale = locale
        self._file: IO[str] | None = None
        self._writer: Any = None
        self.lines = 0

    def add(self, step: str, file_name: str, number: int, error: dict[str, Any]) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(
                [
                    translate(f"import.rejects.{name}", self.locale)
                    for name in ("step", "file", "row", "column", "value", "reason")
                ]
            )
        value = error.get("value")
        self._writer.writerow(
            [
                step,
                file_name,
                number,
                error.get("column") or error.get("field") or "",
                neutralize_text("" if value is None else str(value)[:200]),
                neutralize_text(str(error.get("message", ""))),
            ]
        )
        self.lines += 1

    def close(self) -> str | None:
        if self._file is not None:
            self._file.close()
            return str(self.path)
        return None
