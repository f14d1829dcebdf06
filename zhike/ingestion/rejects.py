"""The downloadable report of rejected rows: CSV in UTF-8 with a BOM, so Excel shows Chinese.

One file is written per supported locale, so the report downloads in the language of
the request. The file in the importing user's locale is the run's ``rejects_file``, and
the others sit beside it (``<run id>-rejects.en.csv``, found by ``rejects_path_for``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

from zhike.core.i18n import SUPPORTED_LOCALES, Localized, translate
from zhike.ingestion.export_cells import neutralize_text

COLUMNS = ("step", "file", "row", "column", "value", "reason")


def rejects_header(locale: str) -> list[str]:
    return [translate(f"import.rejects.{name}", locale) for name in COLUMNS]


def rejects_path_for(path: Path, locale: str) -> Path:
    """Return the rejects file ``path`` (written in the run's locale) in ``locale``.

    Runs stored before reports came in every locale have only ``path``, so ``path`` is
    returned whenever the file for ``locale`` is missing.
    """
    localized = path.with_name(f"{path.stem}.{locale}{path.suffix}")
    return localized if localized.is_file() else path


class RejectsWriter:
    """Writer of one line per problem in each locale's file, created at the first problem."""

    def __init__(self, path: Path, locale: str) -> None:
        self.path = path
        self.locale = locale
        self._files: list[IO[str]] = []
        self._writers: dict[str, Any] = {}
        self.lines = 0

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for locale in (
            self.locale,
            *(other for other in SUPPORTED_LOCALES if other != self.locale),
        ):
            path = self.path
            if locale != self.locale:
                path = self.path.with_name(f"{self.path.stem}.{locale}{self.path.suffix}")
            handle = path.open("w", encoding="utf-8-sig", newline="")
            self._files.append(handle)
            writer = csv.writer(handle)
            writer.writerow(rejects_header(locale))
            self._writers[locale] = writer

    def add(
        self, step: str | Localized, file_name: str, number: int, error: dict[str, Any]
    ) -> None:
        """Write one problem to each locale's file.

        The reason comes from ``error["messages"]`` (locale → text), and a ``Localized`` step
        is named in each file's locale.
        """
        if not self._writers:
            self._open()
        value = error.get("value")
        value_text = neutralize_text("" if value is None else str(value)[:200])
        column = error.get("column") or error.get("field") or ""
        messages = error.get("messages") or {}
        for locale, writer in self._writers.items():
            # An error without "messages" (raised outside the import's translation) keeps
            # its one message in every file.
            reason = messages.get(locale) or error.get("message", "")
            step_text = step.render(locale) if isinstance(step, Localized) else step
            writer.writerow(
                [
                    # Upload names and headers come from the user's file, like cell values.
                    neutralize_text(step_text),
                    neutralize_text(file_name),
                    number,
                    neutralize_text(str(column)),
                    value_text,
                    neutralize_text(str(reason)),
                ]
            )
        self.lines += 1

    def close(self) -> str | None:
        for handle in self._files:
            handle.close()
        return str(self.path) if self._files else None
