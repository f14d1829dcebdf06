"""Imports (upload a file, follow the run, download rejected rows) and list exports."""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from zhike.api.deps import ActorDep, SessionDep
from zhike.core.db import get_database
from zhike.core.errors import DatabaseBusy, InvalidInput, NotFound
from zhike.ingestion.export import MEDIA_TYPES, check_format, write_export
from zhike.ingestion.importer import MODES, import_for_actor, import_run_for, list_import_runs
from zhike.ingestion.profile import shipped_profiles
from zhike.ingestion.rejects import rejects_path_for
from zhike.platform.objects import get_object
from zhike.platform.query import ListParams

router = APIRouter(tags=["imports"])

_SAFE_NAME = re.compile(r"[^\w.\-]+")
_EXPORT_RESERVED = frozenset({"format", "q", "sort"})
_CHUNK = 1024 * 1024


class ImportRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    profile: str
    mode: str
    historical: bool = False
    source_name: str
    status: str
    rows_read: int
    rows_created: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    has_rejects: bool = False
    error: str | None
    started_at: datetime
    finished_at: datetime | None


def _read(run: Any) -> ImportRunRead:
    data = ImportRunRead.model_validate(run)
    data.has_rejects = bool(run.rejects_file)
    return data


def _save_uploads(files: list[UploadFile], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for upload in files:
        # Only the base name is kept, so an upload cannot write outside its folder.
        name = (
            _SAFE_NAME.sub("_", Path(upload.filename or "upload.csv").name).lstrip(".")
            or "upload.csv"
        )
        with (folder / name).open("wb") as target:
            shutil.copyfileobj(upload.file, target, _CHUNK)
    return folder if len(files) > 1 else folder / next(iter(folder.iterdir())).name


@router.post("/imports", response_model=ImportRunRead, status_code=status.HTTP_201_CREATED)
def create_import(
    actor: ActorDep,
    session: SessionDep,
    files: Annotated[
        list[UploadFile], File(description="the file, or every file the profile reads")
    ],
    profile: Annotated[str, Form(description="name of a shipped import profile")],
    mode: Annotated[str, Form(description="all-or-nothing or skip-invalid")] = "all-or-nothing",
    historical: Annotated[
        bool | None,
        Form(
            description="skip the sales process's field and activity rules for each stage "
            "(administrators only); empty takes the profile's default"
        ),
    ] = None,
) -> Any:
    """Upload and import; the answer is the finished import run with its counts and status.

    When another transaction holds a lock past the lock timeout, the import is rolled
    back and the answer is 503 ``database_busy`` with Retry-After; send the same files
    again, and rows stored by earlier runs are updated, not duplicated.
    """
    if profile not in shipped_profiles():
        # Paths are for the command line only: an API caller must not read server files.
        raise InvalidInput(
            "import_unknown_profile", profile=profile, known=", ".join(shipped_profiles())
        )
    if mode not in MODES:
        raise InvalidInput("import_unknown_mode", mode=mode, known=", ".join(MODES))
    if not files:
        raise InvalidInput("import_upload_missing")
    database = get_database()
    uploads = Path(database.settings.data_dir) / "imports" / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=uploads))
    try:
        source = _save_uploads(files, folder)
        label = ", ".join(upload.filename or "upload" for upload in files)
        result = import_for_actor(
            database, actor, profile, source, mode, source_label=label, historical=historical
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if result.error_code == DatabaseBusy.code:
        # Rolled back with nothing stored: the client sends the same upload again later.
        raise DatabaseBusy()
    return _read(import_run_for(session, actor, result.run_id))


@router.get("/imports", response_model=list[ImportRunRead])
def list_imports(
    actor: ActorDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    """Recent import runs, newest first: all of them for administrators, your own otherwise."""
    return [_read(run) for run in list_import_runs(session, actor, limit)]


@router.get("/imports/{run_id}", response_model=ImportRunRead)
def get_import(run_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> Any:
    return _read(import_run_for(session, actor, run_id))


@router.get("/imports/{run_id}/rejects", response_class=FileResponse)
def get_rejects(run_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> Any:
    """The rejected rows as CSV (UTF-8 with BOM): step, file, row, column, value, reason.

    Headers and reasons are in the language of the request (Accept-Language, else the
    user's language).
    """
    run = import_run_for(session, actor, run_id)
    if not run.rejects_file or not Path(run.rejects_file).is_file():
        raise NotFound("import_no_rejects", id=str(run_id))
    return FileResponse(
        rejects_path_for(Path(run.rejects_file), actor.locale),
        media_type="text/csv; charset=utf-8",
        filename=f"import-{run_id}-rejects.csv",
    )


@router.get("/{object_name}/export")
def export_records(
    object_name: str,
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    format: Annotated[str, Query(description="csv or xlsx")] = "csv",
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: str | None = None,
) -> StreamingResponse:
    """Export the list with the list endpoint's filters (`field=value`, `field__op=value`)."""
    spec = get_object(object_name)
    check_format(format)
    filters = {
        key: value for key, value in request.query_params.items() if key not in _EXPORT_RESERVED
    }
    params = ListParams(filters=filters, search=q, sort=sort)
    # Written to a spooled file inside the request, while its session is open; the
    # response then streams that file, so memory stays flat for any size.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * _CHUNK)  # noqa: SIM115
    write_export(session, actor, spec, params, format, spool)
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := spool.read(_CHUNK):
                yield chunk
        finally:
            spool.close()

    return StreamingResponse(
        chunks(),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{object_name}.{format}"'},
    )
