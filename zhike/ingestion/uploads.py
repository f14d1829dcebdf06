"""Files uploaded to the import wizard: stored once, inspected, previewed, then imported.

An upload is kept under ``<data_dir>/imports/uploads/<tenant>/<upload id>/``
and described by an ``ImportUpload`` row, so every later step (preview with
another encoding or sheet, validation, the import itself) reads the same file
without sending it again. Only its uploader's tenant can reach it.
"""

from __future__ import annotations

import codecs
import logging
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from zhike.core.db import Base
from zhike.core.errors import InvalidInput, NotFound
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.ingestion.readers import XLSX_SUFFIXES, FileError, open_table
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
PREVIEW_ROWS = 20
MAX_PREVIEW_ROWS = 200
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
_SAFE_NAME = re.compile(r"[^\w.\-]+")
_CHUNK = 1024 * 1024


class ImportUpload(Base):
    """A file uploaded for the import wizard, with what inspecting it found."""

    __tablename__ = "import_uploads"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    file_name: Mapped[str] = mapped_column(String(300))
    # Relative to the data folder, so the folder can move with its database.
    stored_path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str | None] = mapped_column(String(30), default=None)
    delimiter: Mapped[str | None] = mapped_column(String(2), default=None)
    # [{"name": sheet, "rows": data rows (an estimate for text files)}]
    sheets: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


@dataclass
class Preview:
    header: list[str]
    rows: list[list[str]]
    encoding: str | None
    delimiter: str | None
    sheet: str | None


def safe_file_name(name: str | None) -> str:
    """Return the base name with unsafe characters replaced, so it cannot leave its folder."""
    cleaned = _SAFE_NAME.sub("_", Path(name or "upload.csv").name).lstrip(".")
    return cleaned or "upload.csv"


def upload_path(data_dir: Path, upload: ImportUpload) -> Path:
    return data_dir / upload.stored_path


def save_upload(
    session: Session, actor: Actor, data_dir: Path, file_name: str | None, stream: IO[bytes]
) -> ImportUpload:
    """Store an uploaded file, detect its encoding, delimiter and sheets, and record it."""
    name = safe_file_name(file_name)
    suffix = Path(name).suffix.lower()
    if suffix not in (*TEXT_SUFFIXES, *XLSX_SUFFIXES):
        raise InvalidInput(
            "import_upload_type", file=name, allowed=", ".join((*TEXT_SUFFIXES, *XLSX_SUFFIXES))
        )
    upload_id = new_id()
    relative = Path("imports") / "uploads" / str(actor.tenant_id) / str(upload_id) / name
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with target.open("wb") as output:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                output.close()
                shutil.rmtree(target.parent, ignore_errors=True)
                raise InvalidInput("import_upload_too_large", file=name, limit=MAX_UPLOAD_BYTES)
            output.write(chunk)
    if size == 0:
        shutil.rmtree(target.parent, ignore_errors=True)
        raise FileError("import_empty_file", file=name)
    upload = ImportUpload(
        id=upload_id,
        tenant_id=actor.tenant_id,
        user_id=actor.user_id,
        file_name=(file_name or name)[:300],
        stored_path=str(relative),
        size=size,
        kind="xlsx" if suffix in XLSX_SUFFIXES else "csv",
    )
    try:
        _inspect(upload, target)
    except BaseException:
        shutil.rmtree(target.parent, ignore_errors=True)
        raise
    session.add(upload)
    session.flush()
    logger.info(
        "import upload stored",
        extra={"upload_id": str(upload.id), "kind": upload.kind, "bytes": size},
    )
    return upload


def _inspect(upload: ImportUpload, path: Path) -> None:
    if upload.kind == "xlsx":
        upload.sheets = _xlsx_sheets(path)
        return
    table = open_table(path)
    try:
        upload.encoding = table.encoding
        upload.delimiter = table.delimiter
    finally:
        table.close()
    upload.sheets = [{"name": None, "rows": _count_lines(path)}]


def _count_lines(path: Path) -> int:
    """Estimate the data rows of a text file: its line breaks minus the header's.

    Cells with line breaks inside quotes make this an overestimate, which only
    makes a progress bar move a little slower.
    """
    lines = 0
    last = b""
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk
    if last and not last.endswith(b"\n"):
        lines += 1
    return max(lines - 1, 0)


def _xlsx_sheets(path: Path) -> list[dict[str, Any]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, EOFError, OSError) as error:
        raise FileError("import_truncated_xlsx", file=path.name) from error
    try:
        # max_row comes from the sheet's stored dimension, so this reads no rows.
        return [
            {"name": sheet.title, "rows": max((sheet.max_row or 1) - 1, 0)}
            for sheet in workbook.worksheets
        ]
    finally:
        workbook.close()


def get_upload(session: Session, actor: Actor, upload_id: uuid.UUID) -> ImportUpload:
    """Return an upload of the actor's tenant, or NotFound."""
    upload = session.scalar(
        select(ImportUpload).where(
            ImportUpload.id == upload_id, ImportUpload.tenant_id == actor.tenant_id
        )
    )
    if upload is None:
        raise NotFound("import_upload_not_found", id=str(upload_id))
    return upload


def check_encoding(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InvalidInput("import_unknown_encoding_name", encoding=encoding) from None


def check_sheet(upload: ImportUpload, sheet: str | None) -> str | None:
    if upload.kind != "xlsx":
        return None
    names = [item["name"] for item in upload.sheets]
    if sheet is None:
        return names[0] if names else None
    if sheet not in names:
        raise FileError(
            "import_unknown_sheet", file=upload.file_name, sheet=sheet, known=", ".join(names)
        )
    return sheet


def _cell_text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return "" if value is None else str(value)


def preview_upload(
    data_dir: Path,
    upload: ImportUpload,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    limit: int = PREVIEW_ROWS,
) -> Preview:
    """Read the header and the first ``limit`` rows with the given or the detected settings."""
    encoding = check_encoding(encoding)
    sheet = check_sheet(upload, sheet)
    if upload.kind != "xlsx" and delimiter is None:
        delimiter = upload.delimiter
    table = open_table(
        upload_path(data_dir, upload),
        encoding=encoding or (upload.encoding if upload.kind != "xlsx" else None),
        delimiter=delimiter,
        sheet=sheet,
    )
    rows: list[list[str]] = []
    try:
        for _, cells in table.rows:
            rows.append([_cell_text(value) for value in cells])
            if len(rows) >= min(limit, MAX_PREVIEW_ROWS):
                break
    finally:
        table.close()
    return Preview(
        header=table.header,
        rows=rows,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=sheet,
    )
