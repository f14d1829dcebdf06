"""The import wizard: upload a file, preview it, map columns, validate, run and follow progress."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Query, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from zhike.api.deps import ActorDep, SessionDep
from zhike.core.db import get_database
from zhike.core.i18n import translate
from zhike.ingestion.importer import import_run_for
from zhike.ingestion.models import ImportRun
from zhike.ingestion.rejects import rejects_path_for
from zhike.ingestion.suggest import Candidate, suggest_mapping
from zhike.ingestion.uploads import (
    PREVIEW_ROWS,
    ImportUpload,
    Preview,
    get_upload,
    preview_upload,
    save_upload,
)
from zhike.ingestion.wizard import (
    WIZARD_OBJECTS,
    WizardPlan,
    build_profile,
    check_object,
    create_queued_run,
    execute_run,
    mappable_fields,
    read_progress,
    reject_sample,
    rows_total,
    run_wizard_job,
    upload_source,
)
from zhike.ingestion.wizard_profiles import MappingProfileRead, list_wizard_profiles
from zhike.platform.field_catalog import FieldInfo
from zhike.security.access import grant_for

router = APIRouter(prefix="/imports", tags=["imports"])


class SheetRead(BaseModel):
    name: str | None
    rows: int = Field(description="data rows; an estimate for CSV files")


class PreviewRead(BaseModel):
    header: list[str]
    rows: list[list[str]]
    encoding: str | None
    delimiter: str | None
    sheet: str | None


class UploadRead(BaseModel):
    id: uuid.UUID
    file_name: str
    size: int
    kind: str
    encoding: str | None
    delimiter: str | None
    sheets: list[SheetRead]
    created_at: datetime
    preview: PreviewRead


class ImportObject(BaseModel):
    name: str
    label: str


class ColumnSuggestionRead(BaseModel):
    column: str
    field: str | None
    score: float
    alternatives: list[Candidate]


class SuggestionsRead(BaseModel):
    object: str
    fields: list[FieldInfo]
    columns: list[ColumnSuggestionRead]


class WizardRunRead(BaseModel):
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
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    has_rejects: bool = False
    rows_total: int = 0
    percent: float = Field(default=0.0, description="0 to 100; 100 once the run has finished")


class ValidationReport(BaseModel):
    run: WizardRunRead
    rejects_header: list[str]
    rejects: list[list[str]] = Field(description="the first rejected cells: step, file, row, …")


def _preview(preview: Preview) -> PreviewRead:
    return PreviewRead(
        header=preview.header,
        rows=preview.rows,
        encoding=preview.encoding,
        delimiter=preview.delimiter,
        sheet=preview.sheet,
    )


def _data_dir() -> Path:
    return Path(get_database().settings.data_dir)


def _run_read(run: ImportRun, progress: dict[str, Any] | None = None) -> WizardRunRead:
    data = WizardRunRead.model_validate(run)
    data.has_rejects = bool(run.rejects_file)
    values = progress or {}
    total = int(values.get("rows_total") or 0)
    data.rows_total = total
    if run.status in ("queued", "running"):
        read = int(values.get("rows_read") or run.rows_read or 0)
        data.rows_read = max(data.rows_read, read)
        by_rows = read / total if total else 0.0
        bytes_total = int(values.get("bytes_total") or 0)
        by_bytes = int(values.get("bytes_read") or 0) / bytes_total if bytes_total else 0.0
        # The estimate can run ahead of the real end; only a finished run shows 100.
        data.percent = round(min(max(by_rows, by_bytes), 0.99) * 100, 1)
    else:
        data.percent = 100.0
    return data


@router.get("/objects", response_model=list[ImportObject])
def list_import_objects(actor: ActorDep) -> list[ImportObject]:
    """Objects the wizard can import into that the caller may import."""
    return [
        ImportObject(name=name, label=translate(f"import_wizard.object.{name}", actor.locale))
        for name in WIZARD_OBJECTS
        if (grant := grant_for(actor, name)) is not None and "import" in grant.actions
    ]


@router.get("/profiles", response_model=list[MappingProfileRead])
def list_mapping_profiles(actor: ActorDep, session: SessionDep) -> list[MappingProfileRead]:
    """Mapping profiles the wizard can apply: the built-in ones, one entry per profile step.

    Applying one fills the mapping; naming it in a plan (``profile`` and ``profile_step``)
    also adds the step's template and constant fields and its value maps.
    """
    allowed = tuple(
        name
        for name in WIZARD_OBJECTS
        if (grant := grant_for(actor, name)) is not None and "import" in grant.actions
    )
    fields_of = {name: mappable_fields(session, actor, name) for name in allowed}
    return list_wizard_profiles(actor, allowed, fields_of)


@router.post("/uploads", response_model=UploadRead, status_code=status.HTTP_201_CREATED)
def create_upload(
    actor: ActorDep,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV, TSV or XLSX file")],
) -> UploadRead:
    """Store a file for the wizard and return its detected encoding, sheets and first rows."""
    upload = save_upload(session, actor, _data_dir(), file.filename, file.file)
    first = upload.sheets[0]["name"] if upload.kind == "xlsx" and upload.sheets else None
    return _upload_read(upload, preview_upload(_data_dir(), upload, sheet=first))


def _upload_read(upload: ImportUpload, preview: Preview) -> UploadRead:
    return UploadRead(
        id=upload.id,
        file_name=upload.file_name,
        size=upload.size,
        kind=upload.kind,
        encoding=upload.encoding,
        delimiter=upload.delimiter,
        sheets=[SheetRead.model_validate(sheet) for sheet in upload.sheets],
        created_at=upload.created_at,
        preview=_preview(preview),
    )


@router.get("/uploads/{upload_id}/preview", response_model=PreviewRead)
def get_preview(
    upload_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    encoding: Annotated[str | None, Query(max_length=30)] = None,
    delimiter: Annotated[str | None, Query(max_length=1)] = None,
    sheet: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = PREVIEW_ROWS,
) -> PreviewRead:
    """Read the first rows again, with another encoding, delimiter or sheet."""
    upload = get_upload(session, actor, upload_id)
    return _preview(
        preview_upload(
            _data_dir(), upload, encoding=encoding, delimiter=delimiter, sheet=sheet, limit=limit
        )
    )


@router.get("/uploads/{upload_id}/suggestions", response_model=SuggestionsRead)
def get_suggestions(
    upload_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    object: Annotated[str, Query(max_length=50, description="object to import into")],
    encoding: Annotated[str | None, Query(max_length=30)] = None,
    delimiter: Annotated[str | None, Query(max_length=1)] = None,
    sheet: Annotated[str | None, Query(max_length=100)] = None,
) -> SuggestionsRead:
    """Suggest a field for each column, from header names, field labels and common spellings.

    The first rows' values veto fields of the wrong kind: id-like codes never go to a
    name or a by-name lookup, and names never go to ``external_id``.
    """
    check_object(actor, object)
    upload = get_upload(session, actor, upload_id)
    preview = preview_upload(
        _data_dir(), upload, encoding=encoding, delimiter=delimiter, sheet=sheet, limit=PREVIEW_ROWS
    )
    fields = mappable_fields(session, actor, object)
    suggestions = suggest_mapping(preview.header, fields, preview.rows, object)
    return SuggestionsRead(
        object=object,
        fields=fields,
        columns=[
            ColumnSuggestionRead(
                column=item.column,
                field=item.field,
                score=item.score,
                alternatives=item.alternatives,
            )
            for item in suggestions
        ],
    )


@router.post("/uploads/{upload_id}/validate", response_model=ValidationReport)
def validate_upload(
    upload_id: uuid.UUID, plan: WizardPlan, actor: ActorDep, session: SessionDep
) -> ValidationReport:
    """Check every row as the import would, then roll back; returns counts and the first rejects.

    The run is kept with status ``validated``; its full rejects file downloads from
    ``GET /imports/{run_id}/rejects``.
    """
    upload = get_upload(session, actor, upload_id)
    data_dir = _data_dir()
    profile = build_profile(session, actor, data_dir, upload, plan)
    database = get_database()
    with database.session() as own:
        run_id = create_queued_run(own, actor, upload, plan).id
    total = rows_total(upload, profile.steps[0].sheet)
    source = upload_source(data_dir, upload)
    execute_run(database, actor, profile, source, plan, run_id, total, dry_run=True)
    run = import_run_for(session, actor, run_id)
    session.refresh(run)
    header = [
        translate(f"import.rejects.{name}", actor.locale)
        for name in ("step", "file", "row", "column", "value", "reason")
    ]
    return ValidationReport(
        run=_run_read(run, read_progress(data_dir, run_id)),
        rejects_header=header,
        rejects=reject_sample(
            str(rejects_path_for(Path(run.rejects_file), actor.locale))
            if run.rejects_file
            else None
        ),
    )


@router.post(
    "/uploads/{upload_id}/runs", response_model=WizardRunRead, status_code=status.HTTP_202_ACCEPTED
)
def start_run(
    upload_id: uuid.UUID,
    plan: WizardPlan,
    actor: ActorDep,
    session: SessionDep,
    background: BackgroundTasks,
) -> WizardRunRead:
    """Start the import and return its run at once; follow it with ``GET /imports/{id}/progress``.

    With a Redis job queue configured the import goes to the workers; otherwise
    this server process runs it after sending the response.
    """
    upload = get_upload(session, actor, upload_id)
    profile = build_profile(session, actor, _data_dir(), upload, plan)
    database = get_database()
    # Committed before the work is handed on, so the worker always finds the run.
    with database.session() as own:
        run = create_queued_run(own, actor, upload, plan)
    arguments = (
        actor.tenant_id,
        actor.user_id,
        upload.id,
        plan.model_dump(),
        run.id,
        actor.locale,
    )
    if database.settings.jobs_redis_url:
        from zhike.ingestion.jobs import wizard_import

        wizard_import(
            *(str(value) if isinstance(value, uuid.UUID) else value for value in arguments)
        )
    else:
        # TODO: a run interrupted by a server restart stays "running"; nothing resumes it yet.
        background.add_task(run_wizard_job, database, *arguments)
    return _run_read(run, {"rows_total": rows_total(upload, profile.steps[0].sheet)})


@router.get("/{run_id}/progress", response_model=WizardRunRead)
def get_progress(run_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> WizardRunRead:
    """Counts, status and percent done of an import run; poll it while the run is going."""
    run = import_run_for(session, actor, run_id)
    return _run_read(run, read_progress(_data_dir(), run_id))
