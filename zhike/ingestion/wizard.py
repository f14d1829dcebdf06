"""The import wizard: an ad-hoc column mapping turned into a one-step profile, validated and run.

The wizard needs no YAML: the person picks an object and chooses the field
that each column fills. ``build_profile`` turns that into the same ``Profile`` the
command line uses, so the wizard's import validates, upserts, reports rejects
and audits exactly like any other. Validation is a dry run of the whole file
that rolls back; the run itself happens in the background while the page
polls its progress.

Progress is written to a small JSON file beside the rejects file rather than
to the database: on SQLite the import's own transaction holds the only write
lock until it ends, so no other connection could record progress meanwhile.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.db import Database
from zhike.core.errors import ValidationFailed, ZhikeError
from zhike.core.i18n import SUPPORTED_LOCALES, translate
from zhike.core.timeutil import utc_now
from zhike.ingestion.importer import (
    ImportProgress,
    ImportResult,
    check_historical_allowed,
    import_for_actor,
)
from zhike.ingestion.models import ImportRun
from zhike.ingestion.owners import EMAIL_OR_NAME
from zhike.ingestion.profile import FieldMapping, Lookup, Profile, Step
from zhike.ingestion.targets import check_profile_targets
from zhike.ingestion.uploads import (
    ImportUpload,
    check_encoding,
    check_sheet,
    preview_upload,
    upload_path,
)
from zhike.ingestion.wizard_profiles import (
    find_wizard_step,
    fixed_mappings,
    merge_step_mapping,
    profile_source,
)
from zhike.platform.field_catalog import FieldInfo, object_fields
from zhike.platform.normalize import field_error
from zhike.sales.models import PipelineStage
from zhike.security.access import require
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

WIZARD_SOURCE = "import"
WIZARD_PROFILE = "wizard"
MAX_REJECT_SAMPLE = 100
# Objects a person imports from a spreadsheet; the others come through profiles.
WIZARD_OBJECTS = ("accounts", "contacts", "leads", "opportunities", "products", "activities")
# A reference column holds a readable key of the related record, never its id.
REFERENCE_LOOKUPS: dict[str, Lookup] = {
    "account_id": Lookup(object="accounts", by="name"),
    "parent_account_id": Lookup(object="accounts", by="name"),
    "owner_id": Lookup(object="users", by=EMAIL_OR_NAME),
    "product_id": Lookup(object="products", by="name"),
    "stage_id": Lookup(object="pipeline_stages", by="key"),
}
CELL_TYPES = {
    "integer": "int",
    "decimal": "decimal",
    "money": "decimal",
    "boolean": "bool",
    "date": "date",
    "datetime": "datetime",
}


class WizardPlan(BaseModel):
    """The wizard's choices: target object, file settings and the column → field mapping."""

    model_config = ConfigDict(extra="forbid")

    object: str = Field(description="object to import into, e.g. contacts")
    mapping: dict[str, str] = Field(
        description="source column → field name (custom fields as custom.<name>)",
        min_length=1,
        max_length=500,
    )
    mode: Literal["all-or-nothing", "skip-invalid"] = "skip-invalid"
    encoding: str | None = Field(default=None, max_length=30, description="detected when empty")
    delimiter: str | None = Field(default=None, max_length=1)
    sheet: str | None = Field(default=None, max_length=100, description="XLSX sheet; first one")
    profile: str | None = Field(
        default=None, max_length=100, description="built-in mapping profile applied, if any"
    )
    profile_step: str | None = Field(
        default=None, max_length=100, description="step of that profile, e.g. opportunities"
    )
    historical: bool = Field(
        default=False,
        description="historical data: skip the sales process's field and activity rules "
        "for each stage (administrators only)",
    )


def mappable_fields(session: Session, actor: Actor, object_name: str) -> list[FieldInfo]:
    """Return the fields a wizard import may fill: plain and custom ones, plus known references."""
    fields = object_fields(session, actor, object_name)
    return [
        info
        for info in fields
        if info.name != "source"
        and (info.field_type != "reference" or info.name in REFERENCE_LOOKUPS)
    ]


def check_object(actor: Actor, object_name: str) -> None:
    if object_name not in WIZARD_OBJECTS:
        raise ValidationFailed(
            [
                field_error(
                    actor,
                    "object",
                    object_name,
                    "invalid_choice",
                    allowed=", ".join(WIZARD_OBJECTS),
                )
            ]
        )
    require(actor, object_name, "import")


def build_profile(
    session: Session, actor: Actor, data_dir: Path, upload: ImportUpload, plan: WizardPlan
) -> Profile:
    """Check the plan against the file and the object, and return its one-step profile."""
    check_object(actor, plan.object)
    if plan.historical:
        check_historical_allowed(actor)
    encoding = check_encoding(plan.encoding)
    sheet = check_sheet(upload, plan.sheet)
    header = preview_upload(
        data_dir, upload, encoding=encoding, delimiter=plan.delimiter, sheet=sheet, limit=1
    ).header
    fields = {info.name: info for info in mappable_fields(session, actor, plan.object)}
    errors = []
    seen: dict[str, str] = {}
    for column, name in plan.mapping.items():
        if column not in header:
            errors.append(field_error(actor, f"mapping.{column}", column, "import_column_missing"))
        if name not in fields:
            errors.append(
                field_error(
                    actor, f"mapping.{column}", name, "import_field_unknown", object=plan.object
                )
            )
        elif name in seen:
            errors.append(
                field_error(
                    actor, f"mapping.{column}", name, "import_field_twice", other=seen[name]
                )
            )
        seen.setdefault(name, column)
    built_in = (
        find_wizard_step(actor, plan.profile, plan.profile_step or "", plan.object)
        if plan.profile is not None
        else None
    )
    fixed = fixed_mappings(built_in, header, set(seen), set(fields)) if built_in else {}
    for info in fields.values():
        if info.is_required and info.name not in seen and info.name not in fixed:
            errors.append(
                field_error(actor, "mapping", info.name, "import_field_unmapped", label=info.label)
            )
    if errors:
        raise ValidationFailed(errors)
    mappings = {name: _field_mapping(column, fields[name]) for column, name in plan.mapping.items()}
    if built_in is not None:
        mappings = {
            name: merge_step_mapping(plan_column, built_in, name, mapping)
            for (plan_column, name), mapping in zip(
                plan.mapping.items(), mappings.values(), strict=True
            )
        }
        mappings.update(fixed)
    if "stage_id" in mappings and mappings["stage_id"].map is None:
        mappings["stage_id"] = mappings["stage_id"].model_copy(
            update={"map": stage_keys(session, actor)}
        )
    step = Step(
        # The step's name is shown in the rejects report, so it is the object's label, and
        # the report of each locale shows the label in that locale.
        name=translate(f"import_wizard.object.{plan.object}", actor.locale),
        labels={
            locale: translate(f"import_wizard.object.{plan.object}", locale)
            for locale in SUPPORTED_LOCALES
        },
        target=plan.object,
        key=_natural_key(plan.object, set(seen)),
        encoding=encoding or (upload.encoding if upload.kind != "xlsx" else None),
        delimiter=plan.delimiter or (upload.delimiter if upload.kind != "xlsx" else None),
        sheet=sheet,
        fields=mappings,
    )
    # A built-in profile's own source lets the wizard update what the command line imported.
    source = profile_source(plan.profile) if plan.profile is not None else WIZARD_SOURCE
    profile = Profile(name=WIZARD_PROFILE, source=source, historical=plan.historical, steps=[step])
    check_profile_targets(profile, WIZARD_PROFILE)
    return profile


# Without an external id column, importing the same file again would add every
# record once more. These fields identify a record well enough to update it instead.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "contacts": ("mobile", "email"),
    "leads": ("mobile", "email"),
    "accounts": ("unified_social_credit_code", "name"),
    "products": ("code",),
}


def _natural_key(object_name: str, mapped: set[str]) -> str:
    if "external_id" in mapped:
        return "external_id"
    for name in NATURAL_KEYS.get(object_name, ()):
        if name in mapped:
            return name
    return "external_id"


def stage_keys(session: Session, actor: Actor) -> dict[str, str]:
    """Map the ways a file names a pipeline stage to the stage's key.

    Exports write a stage by its name in either language, often capitalised ("Won", "赢单").
    The lookup matches the key exactly, so every spelling is mapped to the key first.
    """
    stages = session.execute(
        select(PipelineStage.key, PipelineStage.name_zh, PipelineStage.name_en).where(
            PipelineStage.tenant_id == actor.tenant_id, PipelineStage.deleted_at.is_(None)
        )
    )
    keys: dict[str, str] = {}
    for key, name_zh, name_en in stages:
        for spelling in (key, name_zh, name_en):
            for variant in (spelling, spelling.lower(), spelling.upper(), spelling.title()):
                keys.setdefault(variant.strip(), key)
    return keys


def _field_mapping(column: str, info: FieldInfo) -> FieldMapping:
    if info.name in REFERENCE_LOOKUPS:
        return FieldMapping(column=column, lookup=REFERENCE_LOOKUPS[info.name])
    cell_type: Any = CELL_TYPES.get(info.field_type, "text")
    return FieldMapping(column=column, type=cell_type, transforms=["strip"])


def progress_path(data_dir: Path, run_id: uuid.UUID) -> Path:
    return data_dir / "imports" / "progress" / f"{run_id}.json"


def write_progress(data_dir: Path, run_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Replace the run's progress file in one step, so a reader never sees half of it."""
    path = progress_path(data_dir, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(values), encoding="utf-8")
    os.replace(temporary, path)


def read_progress(data_dir: Path, run_id: uuid.UUID) -> dict[str, Any]:
    try:
        loaded = json.loads(progress_path(data_dir, run_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def rows_total(upload: ImportUpload, sheet: str | None) -> int:
    for item in upload.sheets:
        if upload.kind != "xlsx" or item.get("name") == sheet:
            return int(item.get("rows") or 0)
    return 0


def progress_reporter(
    data_dir: Path, run_id: uuid.UUID, total: int
) -> Callable[[ImportProgress], None]:
    def report(event: ImportProgress) -> None:
        write_progress(
            data_dir,
            run_id,
            {
                "rows_total": total,
                "rows_read": event.rows_read,
                "bytes_read": event.bytes_read,
                "bytes_total": event.bytes_total,
            },
        )

    return report


def create_queued_run(
    session: Session, actor: Actor, upload: ImportUpload, plan: WizardPlan
) -> ImportRun:
    run = ImportRun(
        tenant_id=actor.tenant_id,
        user_id=actor.user_id,
        profile=WIZARD_PROFILE,
        mode=plan.mode,
        source_name=upload.file_name[:300],
        status="queued",
        historical=plan.historical,
    )
    session.add(run)
    session.flush()
    return run


def execute_run(
    database: Database,
    actor: Actor,
    profile: Profile,
    source: Path,
    plan: WizardPlan,
    run_id: uuid.UUID,
    total: int,
    *,
    dry_run: bool = False,
) -> ImportResult | None:
    """Run (or dry-run) a planned import into an existing ImportRun; failures land on the run."""
    data_dir = Path(database.settings.data_dir)
    write_progress(data_dir, run_id, {"rows_total": total, "rows_read": 0})
    _set_status(database, run_id, "running")
    try:
        return import_for_actor(
            database,
            actor,
            profile,
            source,
            plan.mode,
            progress_reporter(data_dir, run_id, total),
            source_label=source.name,
            dry_run=dry_run,
            run_id=run_id,
            historical=plan.historical,
        )
    except ZhikeError as error:
        logger.warning("wizard import failed", extra={"run_id": str(run_id), "code": error.code})
        _set_status(database, run_id, "failed", error.message(actor.locale))
        return None


def _set_status(
    database: Database, run_id: uuid.UUID, status: str, error: str | None = None
) -> None:
    with database.session() as session:
        run = session.get(ImportRun, run_id)
        if run is None:
            return
        run.status = status
        if error is not None:
            run.error = error[:2000]
            run.finished_at = utc_now()


def reject_sample(path: str | None, limit: int = MAX_REJECT_SAMPLE) -> list[list[str]]:
    """Return the first ``limit`` lines of a rejects file, header excluded."""
    import csv

    if not path or not Path(path).is_file():
        return []
    with Path(path).open(encoding="utf-8-sig", newline="") as source:
        reader = csv.reader(source)
        next(reader, None)
        sample = []
        for line in reader:
            sample.append(line)
            if len(sample) >= limit:
                break
    return sample


def upload_source(data_dir: Path, upload: ImportUpload) -> Path:
    return upload_path(data_dir, upload)


def run_wizard_job(
    database: Database,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID | None,
    upload_id: uuid.UUID,
    plan_values: dict[str, Any],
    run_id: uuid.UUID,
    locale: str,
) -> None:
    """Run a queued wizard import for the user who started it, with their permissions now."""
    from zhike.security.actors import actor_for
    from zhike.security.models import Tenant, User

    plan = WizardPlan.model_validate(plan_values)
    data_dir = Path(database.settings.data_dir)
    with database.session() as session:
        tenant = session.get(Tenant, tenant_id)
        user = session.get(User, user_id) if user_id is not None else None
        upload = session.get(ImportUpload, upload_id)
        if tenant is None or upload is None or upload.tenant_id != tenant_id:
            logger.warning("wizard import lost its upload", extra={"run_id": str(run_id)})
            _set_status(database, run_id, "failed", "upload not found")
            return
        actor = actor_for(tenant, user, session).with_locale(locale)
        try:
            profile = build_profile(session, actor, data_dir, upload, plan)
        except ZhikeError as error:
            _set_status(database, run_id, "failed", error.message(locale))
            return
        total = rows_total(upload, profile.steps[0].sheet)
        source = upload_path(data_dir, upload)
    execute_run(database, actor, profile, source, plan, run_id, total)
