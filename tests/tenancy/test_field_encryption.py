"""Encryption at rest of highly sensitive values, and key rotation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import String, select, type_coerce

from zhike.core.db import Database
from zhike.customers.models import Contact
from zhike.ingestion.standardize import id_number_check_character
from zhike.security.encryption import (
    PREFIX,
    DecryptionError,
    LocalKeyFile,
    decrypt,
    encrypt,
    key_id_of,
    set_key_provider,
)
from zhike.security.keys import reencrypt

ID_BODY = "11010519491231002"
ID_NUMBER = ID_BODY + id_number_check_character(ID_BODY)


@pytest.fixture
def key_file(tmp_path: Path) -> Any:
    provider = LocalKeyFile(tmp_path / "keys.json")
    set_key_provider(provider)
    yield provider
    set_key_provider(None)


def _stored(database: Database, contact_id: Any) -> str:
    raw = type_coerce(Contact.__table__.c.id_number, String)
    with database.session() as session:
        return str(session.execute(select(raw).where(Contact.id == contact_id)).scalar_one())


def test_id_number_is_stored_encrypted(
    database: Database, tenant: Any, key_file: LocalKeyFile
) -> None:
    with database.session() as session:
        contact = Contact(tenant_id=tenant.tenant.id, name="赵敏", id_number=ID_NUMBER)
        session.add(contact)
        session.flush()
        contact_id = contact.id

    stored = _stored(database, contact_id)
    with database.session() as session:
        loaded = session.get(Contact, contact_id)

    assert stored.startswith(PREFIX)
    assert ID_NUMBER not in stored
    assert loaded is not None
    assert loaded.id_number == ID_NUMBER


def test_key_file_is_private(key_file: LocalKeyFile) -> None:
    encrypt("x", "t.c")

    assert key_file.path.stat().st_mode & 0o777 == 0o600


def test_ciphertext_is_bound_to_its_column(key_file: LocalKeyFile) -> None:
    sealed = encrypt(ID_NUMBER, "contacts.id_number")

    with pytest.raises(DecryptionError):
        decrypt(sealed, "leads.id_number")


def test_tampered_ciphertext_fails(key_file: LocalKeyFile) -> None:
    sealed = encrypt(ID_NUMBER, "contacts.id_number")
    flipped = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]

    with pytest.raises(DecryptionError):
        decrypt(flipped, "contacts.id_number")


def test_rotation_reencrypts_old_values(
    database: Database, tenant: Any, key_file: LocalKeyFile
) -> None:
    with database.session() as session:
        contact = Contact(tenant_id=tenant.tenant.id, name="周芷若", id_number=ID_NUMBER)
        session.add(contact)
        session.flush()
        contact_id = contact.id
    old_key = key_id_of(_stored(database, contact_id))

    new_key = key_file.rotate()
    result = reencrypt(database, key_file)
    again = reencrypt(database, key_file)

    with database.session() as session:
        loaded = session.get(Contact, contact_id)
    assert old_key != new_key
    assert key_id_of(_stored(database, contact_id)) == new_key
    assert result.rows_reencrypted >= 1
    assert again.rows_reencrypted == 0
    assert loaded is not None
    assert loaded.id_number == ID_NUMBER


def test_keys_rotate_command(database: Database, tenant: Any, tmp_path: Path) -> None:
    import os

    from typer.testing import CliRunner

    from zhike.cli import app
    from zhike.core.db import get_database, set_database
    from zhike.core.settings import reset_settings_cache

    previous = {name: os.environ.get(name) for name in ("ZHIKE_DATA_DIR", "ZHIKE_DATABASE_URL")}
    os.environ["ZHIKE_DATA_DIR"] = str(tmp_path)
    os.environ["ZHIKE_DATABASE_URL"] = database.engine.url.render_as_string(hide_password=False)
    reset_settings_cache()
    set_key_provider(None)
    shared = get_database()
    try:
        with database.session() as session:
            contact = Contact(tenant_id=tenant.tenant.id, name="郭靖", id_number=ID_NUMBER)
            session.add(contact)
            session.flush()
            contact_id = contact.id
        first_key = key_id_of(_stored(database, contact_id))

        result = CliRunner().invoke(app, ["keys", "rotate"])

        assert result.exit_code in (0, 1), result.output
        assert "new key" in result.output
        assert key_id_of(_stored(database, contact_id)) != first_key
    finally:
        set_database(shared)
        set_key_provider(None)
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings_cache()


def test_rotation_in_another_process_is_picked_up(tmp_path: Path) -> None:
    server_view = LocalKeyFile(tmp_path / "keys.json")
    sealed_before = encrypt(ID_NUMBER, "contacts.id_number", server_view)
    rotating_process = LocalKeyFile(tmp_path / "keys.json")

    new_key = rotating_process.rotate()
    sealed_after = encrypt(ID_NUMBER, "contacts.id_number", rotating_process)

    assert key_id_of(encrypt(ID_NUMBER, "contacts.id_number", server_view)) == new_key
    assert decrypt(sealed_after, "contacts.id_number", server_view) == ID_NUMBER
    assert decrypt(sealed_before, "contacts.id_number", server_view) == ID_NUMBER
