"""The shipped contact list profile: rows of plain columns, written through the fast paths."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from ingestion_helpers import count
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.customers.models import Contact
from zhike.ingestion.importer import run_import

HEADER = ["external_id", "name", "mobile", "email", "city", "company"]
ROWS = [
    ["k1", " 张　伟 ", "138 1234 5678", "Zhang.Wei@Example.COM", "杭州", "知客科技"],
    ["k2", "Ｌｉ Ｎａ", "+86 139-1234-5678", "", "", ""],
    ["k3", "王芳", "", "wang@example.com", "上海", "  "],
]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def _contacts(database: Database, tenant: TenantInfo) -> dict[str | None, Contact]:
    with database.session() as session:
        return {
            contact.external_id: contact
            for contact in session.scalars(
                select(Contact).where(Contact.tenant_id == tenant.tenant.id)
            )
        }


def test_plain_rows_apply_every_rule(
    database: Database, tenant: TenantInfo, tmp_path: Path
) -> None:
    source = _write(tmp_path / "c.csv", ROWS)
    result = run_import(
        database, tenant.slug, "contacts-csv", source, user_email=tenant.admin_email
    )

    assert (result.status, result.rows_created, result.rows_rejected) == ("succeeded", 3, 0)
    contacts = _contacts(database, tenant)
    assert [contacts[key].name for key in ("k1", "k2", "k3")] == ["张 伟", "Li Na", "王芳"]
    assert [contacts[key].mobile for key in ("k1", "k2", "k3")] == [
        "+8613812345678",
        "+8613912345678",
        None,
    ]
    assert [contacts[key].email for key in ("k1", "k2", "k3")] == [
        "zhang.wei@example.com",
        None,
        "wang@example.com",
    ]
    assert [contacts[key].custom for key in ("k1", "k2", "k3")] == [
        {"company": "知客科技"},
        {"company": None},
        {"company": None},
    ]
    first = contacts["k1"]
    assert first.created_at.tzinfo is not None
    assert (first.source, first.version, first.owner_id, first.do_not_contact) == (
        "contacts-csv",
        1,
        tenant.admin.id,
        False,
    )


def test_irregular_rows_take_general_path(
    database: Database, tenant: TenantInfo, tmp_path: Path
) -> None:
    tenant.tenant.locale = "en"
    with database.session() as session:
        session.merge(tenant.tenant)
    rows = [*ROWS, ["k4", "  ", "13712345678", "", "", ""], ["k5", "赵六"]]
    result = run_import(
        database,
        tenant.slug,
        "contacts-csv",
        _write(tmp_path / "c.csv", rows),
        mode="skip-invalid",
    )

    assert (result.status, result.rows_created, result.rows_rejected) == ("succeeded", 4, 1)
    assert _contacts(database, tenant)["k5"].mobile is None
    assert result.rejects_file is not None
    with open(result.rejects_file, encoding="utf-8-sig", newline="") as handle:
        (line,) = list(csv.reader(handle))[1:]
    assert line[2:5] == ["5", "name", ""]


def test_keys_across_batches_upsert(
    database: Database, tenant: TenantInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database.settings, "import_batch_size", 2)
    source = _write(tmp_path / "c.csv", ROWS)
    run_import(database, tenant.slug, "contacts-csv", source)
    changed = [["k3", "王芳", "15012345678", "", "", ""], *ROWS[:2]]
    result = run_import(database, tenant.slug, "contacts-csv", _write(tmp_path / "d.csv", changed))

    assert (result.status, result.rows_created, result.rows_updated) == ("succeeded", 0, 1)
    assert result.rows_unchanged == 2
    assert count(database, Contact, tenant.tenant.id) == 3
    assert _contacts(database, tenant)["k3"].mobile == "+8615012345678"
    # The same key in a later batch of one file is a duplicate, not a second update.
    repeated = [*ROWS, ["k1", "张伟", "", "", "", ""]]
    result = run_import(database, tenant.slug, "contacts-csv", _write(tmp_path / "e.csv", repeated))
    assert (result.status, result.rows_rejected) == ("rolled_back", 1)
    assert _contacts(database, tenant)["k3"].mobile == "+8615012345678"
