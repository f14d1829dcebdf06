"""Key rotation: make a new data key current, then re-encrypt stored values in batches."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import String, literal, select, type_coerce, update

from zhike.core.db import Base, Database
from zhike.security.encryption import (
    DecryptionError,
    EncryptedString,
    KeyProvider,
    decrypt,
    encrypt,
    get_key_provider,
    key_id_of,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


@dataclass
class ReencryptResult:
    rows_checked: int = 0
    rows_reencrypted: int = 0
    rows_failed: int = 0


def encrypted_columns() -> list[tuple[str, str, str]]:
    """Return (table, column, encryption context) for every encrypted column."""
    from zhike.core.registry import load_models

    found = []
    for table in load_models().metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedString):
                found.append((table.name, column.name, column.type.context))
    return found


def reencrypt(database: Database, provider: KeyProvider | None = None) -> ReencryptResult:
    """Rewrite every value not under the current key; safe to run again after a crash."""
    provider = provider or get_key_provider()
    current_id, _ = provider.current()
    result = ReencryptResult()
    for table_name, column_name, context in encrypted_columns():
        table = Base.metadata.tables[table_name]
        raw = type_coerce(table.c[column_name], String)
        last_id = None
        while True:
            statement = select(table.c.id, raw).where(raw.is_not(None)).order_by(table.c.id)
            if last_id is not None:
                statement = statement.where(table.c.id > last_id)
            with database.session() as session:
                rows = session.execute(statement.limit(BATCH_SIZE)).all()
                for record_id, stored in rows:
                    result.rows_checked += 1
                    if key_id_of(stored) == current_id:
                        continue
                    try:
                        clear = decrypt(stored, context, provider)
                    except DecryptionError:
                        # Keep going: one unreadable row must not block rotating the rest.
                        logger.error(
                            "value could not be decrypted",
                            extra={
                                "table": table_name,
                                "column": column_name,
                                "id": str(record_id),
                            },
                        )
                        result.rows_failed += 1
                        continue
                    fresh = encrypt(clear, context, provider)
                    # A String-typed literal skips the column's own encryption on bind.
                    session.execute(
                        update(table)
                        .where(table.c.id == record_id)
                        .values({table.c[column_name]: literal(fresh, String)})
                    )
                    result.rows_reencrypted += 1
            if len(rows) < BATCH_SIZE:
                break
            last_id = rows[-1][0]
    logger.info(
        "re-encryption finished",
        extra={
            "checked": result.rows_checked,
            "reencrypted": result.rows_reencrypted,
            "failed": result.rows_failed,
        },
    )
    return result
