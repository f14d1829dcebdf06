"""Run an import: read the files of a profile, map, validate and upsert in batches.

The whole import is one transaction. In ``all-or-nothing`` mode any rejected
row rolls everything back, other steps included; in ``skip-invalid`` mode the
valid rows are committed and the rejected ones reported. A file that cannot be
read (encoding, truncation, header) stores nothing in either mode.

The ImportRun row lives outside that transaction, so it survives a rollback.
On PostgreSQL it is updated after every batch so that others can follow the
progress; SQLite admits one writer at a time, so there it is written at the
start and the end only.
"""

from __future__ import annotations

import gc
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.db import Database, is_lock_timeout
from zhike.core.errors import DatabaseBusy, Forbidden, InvalidInput, NotFound, ZhikeError
from zhike.core.i18n import (
    DEFAULT_LOCALE,
    Localized,
    load_catalog,
    messages_in_every_locale,
    translate,
)
from zhike.core.timeutil import utc_now
from zhike.ingestion.deferred_indexes import DeferredIndexes
from zhike.ingestion.mapping import MappedRow, PendingLookup, RowMapper, row_error
from zhike.ingestion.models import ImportRun
from zhike.ingestion.owners import UserDirectory, describe_candidates, is_user_lookup
from zhike.ingestion.profile import Profile, Step, load_profile
from zhike.ingestion.readers import FileError, Table, open_table
from zhike.ingestion.rejects import RejectsWriter
from zhike.ingestion.targets import lookup_ids, lookup_model, resolve_target
from zhike.platform.bulk import BulkRow, BulkWriter
from zhike.platform.field_catalog import field_label
from zhike.platform.models import FieldDefinition
from zhike.sales.process import enforce_historical_stage_rules, enforce_stage_rules
from zhike.security.access import require
from zhike.security.actors import actor_for
from zhike.security.admin import require_administrator
from zhike.security.context import Actor
from zhike.security.fields import check_writable
from zhike.security.models import User
from zhike.security.roles import ALL_OBJECTS
from zhike.security.tenants import get_tenant_by_slug

logger = logging.getLogger(__name__)

# Errors of the sales-process stage rules (zhike/sales/process.py).
PROCESS_ERROR_CODES = frozenset(
    {"stage_field_required", "stage_activity_required", "stage_approval_required"}
)

MODES = ("all-or-nothing", "skip-invalid")


def _object_label(object_name: str, locale: str) -> str:
    """Name a looked-up object as the wizard lists it, or by its table name."""
    return load_catalog(locale).get(f"import_wizard.object.{object_name}") or object_name


def _step_name(step: Step, locale: str) -> str:
    """Name a step in ``locale`` as its labels give it, else by its name."""
    return step.labels.get(locale) or step.name


@dataclass
class StepResult:
    name: str
    target: str
    file: str
    rows_read: int = 0
    rows_created: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_skipped: int = 0
    rows_rejected: int = 0


@dataclass
class ImportResult:
    run_id: uuid.UUID
    status: str
    mode: str
    profile: str
    rows_read: int = 0
    rows_created: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    rejects_file: str | None = None
    error: str | None = None
    error_code: str | None = None
    seconds: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    # The language of ``error``, so a caller can word its own lines to match.
    locale: str = DEFAULT_LOCALE

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0


@dataclass
class ImportProgress:
    step: str
    step_index: int
    steps: int
    rows_read: int
    bytes_read: int
    bytes_total: int


ProgressCallback = Callable[[ImportProgress], None]


def run_import(
    database: Database,
    tenant_slug: str,
    profile: str | Path,
    source: str | Path,
    mode: str = "all-or-nothing",
    user_email: str | None = None,
    progress: ProgressCallback | None = None,
    *,
    historical: bool | None = None,
) -> ImportResult:
    """Import ``source`` (a folder of a profile's files, or one file) into a tenant.

    ``profile`` is the name of a shipped profile or the path of a YAML file.
    """
    with database.session() as session:
        tenant = get_tenant_by_slug(session, tenant_slug)
        user = None
        if user_email:
            user = session.scalar(
                select(User).where(
                    User.tenant_id == tenant.id,
                    User.email == user_email.strip().lower(),
                    User.deleted_at.is_(None),
                )
            )
            if user is None:
                raise NotFound("import_user_not_found", email=user_email, tenant=tenant_slug)
        actor = actor_for(tenant, user, session)
    return import_for_actor(
        database, actor, profile, Path(source), mode, progress, historical=historical
    )


def import_for_actor(
    database: Database,
    actor: Actor,
    profile_name: str | Path | Profile,
    source: Path,
    mode: str = "all-or-nothing",
    progress: ProgressCallback | None = None,
    source_label: str | None = None,
    *,
    dry_run: bool = False,
    run_id: uuid.UUID | None = None,
    historical: bool | None = None,
) -> ImportResult:
    """Import ``source`` for ``actor``; a dry run validates every row and then rolls back.

    ``run_id`` names an ImportRun created beforehand (so a caller can hand out
    its id before the work starts); otherwise one is created here. ``historical``
    skips the sales process's field and activity rules; ``None`` takes the
    profile's default.
    """
    if mode not in MODES:
        raise InvalidInput("import_unknown_mode", mode=mode, known=", ".join(MODES))
    profile = profile_name if isinstance(profile_name, Profile) else load_profile(profile_name)
    if historical is None:
        historical = profile.historical
    check_import_allowed(actor, profile)
    if historical:
        check_historical_allowed(actor)
    files = [resolve_file(source, step, profile) for step in profile.steps]
    if run_id is None:
        run_id = _create_run(
            database, actor, profile, mode, source_label or source.name, historical
        )
    work = _Import(database, actor, profile, mode, files, run_id, progress)
    work.dry_run = dry_run
    work.historical = historical
    return work.run()


def _stage_column(step: Step) -> str | None:
    """Return the file column that sets an opportunity's stage in ``step``, if there is one."""
    if step.target != "opportunities":
        return None
    for name in ("stage_id", "stage"):
        mapping = step.fields.get(name)
        if mapping is not None and mapping.column is not None:
            return mapping.column
    return None


def _looked_up(step: Step) -> set[str]:
    """Return the columns of the step's own table that the step finds rows by."""
    needed = {step.key}
    for mapping in step.fields.values():
        if mapping.lookup is not None and mapping.lookup.object == step.target:
            needed.add(mapping.lookup.by)
    return needed


def _expected_rows(rows_read: int, table: Table) -> int:
    """Estimate the rows of the whole file from the bytes that the rows read so far took."""
    position = table.position()
    if position <= 0 or table.size <= 0:
        # A workbook is read through its compressed archive and reports no position.
        return 0
    return rows_read * table.size // position


def check_historical_allowed(actor: Actor) -> None:
    """Raise 403 unless the actor administers the tenant, as a historical import needs."""
    if not (actor.grants.is_administrator or actor.is_system):
        raise Forbidden("import_historical_forbidden")


def check_import_allowed(actor: Actor, profile: Profile) -> None:
    """Raise 403 unless the actor may import into every target of ``profile``."""
    for step in profile.steps:
        if step.target in ALL_OBJECTS:
            require(actor, step.target, "import")
            names: dict[str, Any] = {name: None for name in step.fields if "." not in name}
            names["custom"] = {
                name.removeprefix("custom."): None for name in step.fields if "." in name
            }
            check_writable(actor, step.target, names)
        else:
            # Teams and users are the organisation itself, which only administrators shape.
            require_administrator(actor)


def resolve_file(source: Path, step: Step, profile: Profile) -> Path:
    """The file a step reads: the source itself, or the step's file in the source folder."""
    if source.is_file():
        return source
    if not source.is_dir():
        raise FileError("import_file_missing", file=str(source))
    if step.file is None:
        raise FileError("import_needs_file", profile=profile.name, step=step.name)
    candidate = source / step.file
    if candidate.is_file():
        return candidate
    for suffix in (".xlsx", ".tsv", ".csv"):
        other = candidate.with_suffix(suffix)
        if other.is_file():
            return other
    raise FileError(
        "import_file_not_in_folder",
        file=step.file,
        folder=str(source),
        needed=", ".join(profile.files()),
    )


def _create_run(
    database: Database,
    actor: Actor,
    profile: Profile,
    mode: str,
    label: str,
    historical: bool = False,
) -> uuid.UUID:
    with database.session() as session:
        run = ImportRun(
            tenant_id=actor.tenant_id,
            user_id=actor.user_id,
            profile=profile.name[:100],
            mode=mode,
            source_name=label[:300],
            status="running",
            historical=historical,
        )
        session.add(run)
        session.flush()
        return run.id


class _Import:
    def __init__(
        self,
        database: Database,
        actor: Actor,
        profile: Profile,
        mode: str,
        files: list[Path],
        run_id: uuid.UUID,
        progress: ProgressCallback | None,
    ) -> None:
        self.database = database
        self.actor = actor
        self.profile = profile
        self.mode = mode
        self.files = files
        self.progress = progress
        self.settings = database.settings
        self.result = ImportResult(run_id, "running", mode, profile.name, locale=self.actor.locale)
        folder = Path(self.settings.data_dir) / "imports"
        self.rejects = RejectsWriter(folder / f"{run_id}-rejects.csv", actor.locale)
        self.live_progress = database.engine.dialect.name != "sqlite"
        self.started = time.perf_counter()
        self.rejected_rows = 0
        self.dry_run = False
        self.historical = False
        self.user_directory: UserDirectory | None = None

    def run(self) -> ImportResult:
        # A batch keeps thousands of rows alive long enough to reach the oldest
        # garbage collector generation, and each full collection then walks every
        # object of the process (all loaded modules): a quarter to a half of the
        # time of a 20,000-row import in our measurements.
        # Freezing what exists before the import keeps those walks short.
        gc.freeze()
        try:
            # Row errors carry every locale's message, for the rejects file of each locale.
            with messages_in_every_locale():
                return self._run()
        finally:
            gc.unfreeze()

    def _run(self) -> ImportResult:
        session = self.database.session_factory()
        stamp = utc_now()
        sqlite = not self.live_progress
        if sqlite:
            # Every page the import changes stays dirty until its one commit. A cache
            # smaller than those pages spills them to the WAL and reads them back. At
            # 1,000,000 contacts, 256 MiB instead of 64 MiB saved about 8 µs of CPU per row.
            cache_kib = self.settings.import_sqlite_cache_mib * 1024
            session.connection().exec_driver_sql(f"PRAGMA cache_size=-{cache_kib}")
        try:
            for index, (step, path) in enumerate(zip(self.profile.steps, self.files, strict=True)):
                # One stamp per step: a key met again in a later step is an update,
                # a key met again within the same step is a duplicate.
                self._run_step(session, index, step, path, stamp + timedelta(microseconds=index))
            if self.dry_run:
                # The counts are what a real run would do; nothing is kept.
                session.rollback()
                self.result.status = "validated"
            elif self.result.rows_rejected and self.mode == "all-or-nothing":
                session.rollback()
                self.result.status = "rolled_back"
                self.result.error_code = "import_rolled_back"
                self.result.error = translate(
                    "error.import_rolled_back", self.actor.locale, count=self.result.rows_rejected
                )
            else:
                session.commit()
                self.result.status = "succeeded"
        except ZhikeError as error:
            session.rollback()
            self.result.status = "failed"
            self.result.error_code = error.code
            self.result.error = error.message(self.actor.locale)
        except DBAPIError as error:
            # The whole import is this one transaction, so the rollback leaves the tenant's
            # data as it was before the run, and running the same file again resumes it.
            session.rollback()
            self.result.status = "failed"
            if is_lock_timeout(error):
                logger.warning(
                    "import stopped: database busy", extra={"run_id": str(self.result.run_id)}
                )
                busy = DatabaseBusy()
                self.result.error_code = busy.code
                self.result.error = busy.message(self.actor.locale)
            else:
                logger.warning(
                    "import rejected by the database", extra={"run_id": str(self.result.run_id)}
                )
                self.result.error_code = "import_database_rejected"
                reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
                self.result.error = translate(
                    "error.import_database_rejected", self.actor.locale, reason=reason[:300]
                )
        except BaseException:
            session.rollback()
            self.result.status = "failed"
            self.result.error_code = "internal_error"
            self.result.error = translate("error.internal_error", self.actor.locale)
            self._finish()
            raise
        finally:
            if sqlite:
                session.connection().exec_driver_sql("PRAGMA cache_size=-2000")
            session.close()
        if self.result.status not in ("succeeded", "validated") and self.mode == "all-or-nothing":
            self.result.rows_created = self.result.rows_updated = 0
            self.result.rows_unchanged = 0
        self._finish()
        return self.result

    def _finish(self) -> None:
        # NOTE: when the lock still holds import_runs here, the save fails with the same
        # lock timeout and the run stays "running" while the API returns 503.
        self.result.rejects_file = self.rejects.close()
        self.result.seconds = time.perf_counter() - self.started
        self._save_run(final=True)
        logger.info(
            "import finished",
            extra={
                "run_id": str(self.result.run_id),
                "status": self.result.status,
                "rows_read": self.result.rows_read,
                "rows_rejected": self.result.rows_rejected,
            },
        )

    def _save_run(self, final: bool = False) -> None:
        with self.database.session() as session:
            run = session.get(ImportRun, self.result.run_id)
            if run is None:
                return
            run.rows_read = self.result.rows_read
            run.rows_created = self.result.rows_created
            run.rows_updated = self.result.rows_updated
            run.rows_unchanged = self.result.rows_unchanged
            run.rows_rejected = self.result.rows_rejected
            if final:
                run.status = self.result.status
                run.rejects_file = self.result.rejects_file
                run.error = (self.result.error or "")[:2000] or None
                run.finished_at = utc_now()
                # Every finished run is on record, failed and rolled-back ones included.
                record_event(
                    session,
                    self.actor,
                    "import",
                    object_name="import_runs",
                    record_id=run.id,
                    details={
                        "profile": run.profile,
                        "mode": run.mode,
                        "historical": run.historical,
                        "status": run.status,
                        "source": run.source_name,
                        "rows_read": run.rows_read,
                        "rows_created": run.rows_created,
                        "rows_updated": run.rows_updated,
                        "rows_unchanged": run.rows_unchanged,
                        "rows_rejected": run.rows_rejected,
                    },
                )

    def _run_step(self, session: Session, index: int, step: Step, path: Path, stamp: Any) -> None:
        target = resolve_target(step.target)
        if self.historical:
            target = replace(
                target,
                normalizers=tuple(
                    enforce_historical_stage_rules
                    if normalizer is enforce_stage_rules
                    else normalizer
                    for normalizer in target.normalizers
                ),
            )
        self._declare_custom_fields(session, step)
        writer = BulkWriter(
            session,
            self.actor,
            target,
            stamp=stamp,
            key=step.key,
            source=self.profile.source,
            on_duplicate=step.on_duplicate,
        )
        table = open_table(path, encoding=step.encoding, delimiter=step.delimiter, sheet=step.sheet)
        deferred = DeferredIndexes(session.connection(), target.model.__table__, _looked_up(step))
        stats = StepResult(step.name, step.target, path.name)
        # Read again for every step, because an earlier step may have imported users.
        self.user_directory = None
        self.result.steps.append(stats)
        try:
            mapper = RowMapper(
                step, table.header, self.actor, self.settings.max_cell_bytes, path.name
            )
            batch: list[MappedRow] = []
            batch_size = self.settings.import_batch_size
            stage_column = _stage_column(step)
            stage_position = mapper.index.get(stage_column) if stage_column else None
            stage_cells: dict[int, Any] = {}
            deferral_decided = False
            for number, raw in table.rows:
                stats.rows_read += 1
                self.result.rows_read += 1
                if not mapper.is_relevant(raw):
                    stats.rows_skipped += 1
                    continue
                batch.append(mapper.map_row(number, raw))
                if stage_position is not None and stage_position < len(raw):
                    stage_cells[number] = raw[stage_position]
                if len(batch) >= batch_size:
                    self._write_batch(
                        session, step, mapper, writer, batch, stats, path, stage_cells
                    )
                    if not deferral_decided:
                        # After one batch the bytes per row are known, and the import's
                        # transaction is open.
                        deferral_decided = True
                        deferred.defer_if_worth_it(
                            _expected_rows(stats.rows_read, table),
                            self.settings.import_defer_indexes_rows,
                        )
                    batch = []
                    stage_cells = {}
                    self._report(index, step, table.position(), table.size)
            if batch:
                self._write_batch(session, step, mapper, writer, batch, stats, path, stage_cells)
            deferred.restore()
            self._report(index, step, table.size, table.size)
        finally:
            table.close()

    def _declare_custom_fields(self, session: Session, step: Step) -> None:
        for declared in step.custom_fields:
            existing = session.scalar(
                select(FieldDefinition).where(
                    FieldDefinition.tenant_id == self.actor.tenant_id,
                    FieldDefinition.object_name == step.target,
                    FieldDefinition.name == declared.name,
                )
            )
            if existing is None:
                session.add(
                    FieldDefinition(
                        tenant_id=self.actor.tenant_id,
                        object_name=step.target,
                        name=declared.name,
                        field_type=declared.type,
                        label_zh=declared.label_zh,
                        label_en=declared.label_en,
                        classification=declared.classification,
                        choices=declared.choices,
                    )
                )
                continue
            if existing.field_type != declared.type:
                raise InvalidInput(
                    "import_custom_field_type",
                    object=step.target,
                    name=declared.name,
                    existing=existing.field_type,
                    declared=declared.type,
                )
            existing.label_zh, existing.label_en = declared.label_zh, declared.label_en
            existing.classification = declared.classification
            existing.choices = declared.choices
            existing.deleted_at = None
        session.flush()

    def _resolve_lookups(self, session: Session, step: Step, batch: list[MappedRow]) -> None:
        wanted: dict[tuple[str, str, str | None], set[str]] = {}
        for row in batch:
            for pending in row.lookups:
                lookup = pending.lookup
                if is_user_lookup(lookup):
                    continue
                group = (lookup.object, lookup.by, lookup.source or self.profile.source)
                wanted.setdefault(group, set()).add(pending.key)
        found = {
            group: lookup_ids(session, self.actor, lookup_model(group[0]), group[1], keys, group[2])
            for group, keys in wanted.items()
        }
        for row in batch:
            for pending in row.lookups:
                lookup = pending.lookup
                if is_user_lookup(lookup):
                    self._resolve_user(session, step, row, pending)
                    continue
                group = (lookup.object, lookup.by, lookup.source or self.profile.source)
                record_id = found[group].get(pending.key)
                if record_id is None:
                    row.errors.append(
                        row_error(
                            self.actor,
                            pending.field,
                            pending.column,
                            pending.key,
                            "lookup_not_found",
                            object_name=step.target,
                            object=Localized(partial(_object_label, lookup.object)),
                            by=Localized(partial(field_label, lookup.object, lookup.by)),
                        )
                    )
                else:
                    row.values[pending.field] = record_id

    def _resolve_user(
        self, session: Session, step: Step, row: MappedRow, pending: PendingLookup
    ) -> None:
        if self.user_directory is None:
            self.user_directory = UserDirectory(session, self.actor)
        match = self.user_directory.find(pending.key)
        if match.user_id is not None:
            row.values[pending.field] = match.user_id
            return
        row.errors.append(
            row_error(
                self.actor,
                pending.field,
                pending.column,
                pending.key,
                match.error_code or "owner_not_found",
                object_name=step.target,
                count=len(match.candidates),
                candidates=describe_candidates(match.candidates),
            )
        )

    def _write_batch(
        self,
        session: Session,
        step: Step,
        mapper: RowMapper,
        writer: BulkWriter,
        batch: list[MappedRow],
        stats: StepResult,
        path: Path,
        stage_cells: dict[int, Any],
    ) -> None:
        self._resolve_lookups(session, step, batch)
        report = writer.write([BulkRow(row.number, row.values, row.errors) for row in batch])
        stats.rows_created += report.created
        stats.rows_updated += report.updated
        stats.rows_unchanged += report.unchanged
        stats.rows_skipped += report.skipped
        stats.rows_rejected += len(report.rejected)
        self.result.rows_created += report.created
        self.result.rows_updated += report.updated
        self.result.rows_unchanged += report.unchanged
        self.result.rows_rejected += len(report.rejected)
        step_name = Localized(partial(_step_name, step))
        for row in sorted(report.rejected, key=lambda item: item.number):
            for error in row.errors:
                if error.get("code") in PROCESS_ERROR_CODES and "column" not in error:
                    # A sales-process rule names the field or activity it requires, and the
                    # file may not have that column. The row's stage cell is what to fix.
                    error["column"] = _stage_column(step) or ""
                    error["value"] = stage_cells.get(row.number, error.get("value"))
                if "column" not in error:
                    error["column"] = mapper.columns_of_field.get(error.get("field", ""), "")
                self.rejects.add(step_name, path.name, row.number, error)
        if self.live_progress:
            self._save_run()

    def _report(self, index: int, step: Step, position: int, size: int) -> None:
        if self.progress is not None:
            self.progress(
                ImportProgress(
                    step.name, index, len(self.profile.steps), self.result.rows_read, position, size
                )
            )


def import_run_for(session: Session, actor: Actor, run_id: uuid.UUID) -> ImportRun:
    """Import run ``run_id`` if the actor may read it, or NotFound.

    As in the run list, administrators read every run of the tenant and anyone else only
    their own: a run's rejects file repeats the original cells of every rejected row.
    """
    run = session.scalar(
        select(ImportRun).where(ImportRun.id == run_id, ImportRun.tenant_id == actor.tenant_id)
    )
    if run is None or (actor.role != "administrator" and run.user_id != actor.user_id):
        raise NotFound("import_not_found", id=str(run_id))
    return run


def list_import_runs(session: Session, actor: Actor, limit: int = 50) -> list[ImportRun]:
    """Recent import runs, newest first: every run for administrators, one's own otherwise."""
    statement = select(ImportRun).where(ImportRun.tenant_id == actor.tenant_id)
    if actor.role != "administrator":
        statement = statement.where(ImportRun.user_id == actor.user_id)
    ordered = statement.order_by(ImportRun.started_at.desc(), ImportRun.id.desc()).limit(limit)
    return list(session.scalars(ordered))
