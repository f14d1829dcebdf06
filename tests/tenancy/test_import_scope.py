"""Imports update only records the importer may update, and look up only records it may read."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from zhike.core.db import Database
from zhike.core.i18n import translate
from zhike.customers.models import Account
from zhike.ingestion.importer import ImportResult, import_for_actor, run_import
from zhike.ingestion.rejects import rejects_path_for
from zhike.sales.models import Opportunity
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User

DEAL_FIELDS = {
    "external_id": "external_id",
    "name": "{column: name, required: true}",
    "owner_id": "{column: owner, lookup: {object: users, by: email}}",
}
RENAME_FIELDS = {"external_id": "external_id", "name": "{column: name, required: true}"}


def _email(tenant: Any, person: str) -> str:
    return f"{person}@{tenant.slug}.example.com"


def _write_step(folder: Path, target: str, fields: dict[str, str], rows: str) -> Path:
    """Write a one-step profile for ``target`` and its CSV file into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "name: scoped-import",
        "source: test",
        "steps:",
        f"  - name: {target}",
        f"    target: {target}",
        f"    file: {target}.csv",
        "    fields:",
        *(f"      {name}: {mapping}" for name, mapping in fields.items()),
    ]
    (folder / "profile.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / f"{target}.csv").write_text(rows, encoding="utf-8")
    return folder


def _import(
    database: Database, tenant: Any, folder: Path, target: str, email: str | None
) -> ImportResult:
    return run_import(
        database,
        tenant.slug,
        folder / "profile.yaml",
        folder / f"{target}.csv",
        mode="skip-invalid",
        user_email=email,
    )


def _seed_deals(database: Database, tenant: Any, folder: Path, rows: str) -> None:
    """Import the deals of the CSV lines ``rows`` as the system actor, owners named by e-mail."""
    header = "external_id,name,owner\n"
    result = _import(
        database,
        tenant,
        _write_step(folder, "opportunities", DEAL_FIELDS, header + rows),
        "opportunities",
        None,
    )
    assert result.status == "succeeded", result.error
    assert result.rows_rejected == 0


def _deals(database: Database, tenant: Any) -> dict[str, list[tuple[str, int]]]:
    """Return (name, version) of the tenant's deals by external id, duplicates kept."""
    with database.session() as session:
        rows = session.execute(
            select(Opportunity.external_id, Opportunity.name, Opportunity.version)
            .where(Opportunity.tenant_id == tenant.tenant.id)
            .order_by(Opportunity.name)
        )
        deals: dict[str, list[tuple[str, int]]] = {}
        for external_id, name, version in rows:
            deals.setdefault(external_id, []).append((name, version))
        return deals


def _deal_id(database: Database, tenant: Any, external_id: str) -> str:
    with database.session() as session:
        deal_id = session.scalar(
            select(Opportunity.id).where(
                Opportunity.tenant_id == tenant.tenant.id, Opportunity.external_id == external_id
            )
        )
        return str(deal_id)


def _rejects(result: ImportResult, locale: str = "zh-CN") -> list[list[str]]:
    """Return the rejects file's rows without its header, in ``locale``."""
    assert result.rejects_file is not None
    path = rejects_path_for(Path(result.rejects_file), locale)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]


def _rejects_text(result: ImportResult) -> str:
    assert result.rejects_file is not None
    return "".join(
        rejects_path_for(Path(result.rejects_file), locale).read_text(encoding="utf-8-sig")
        for locale in ("zh-CN", "en")
    )


def test_manager_import_rejects_other_region_deal(
    org: Any, tenant: Any, database: Database, tmp_path: Path
) -> None:
    _seed_deals(
        database,
        tenant,
        tmp_path / "seed",
        f"n1,华北年度框架,{_email(tenant, 'north_rep')}\n"
        f"n2,华北共享商机,{_email(tenant, 'north_rep')}\n"
        f"s1,上海续约,{_email(tenant, 'shanghai_rep')}\n",
    )
    hidden, shared = _deal_id(database, tenant, "n1"), _deal_id(database, tenant, "n2")
    share = org.admin.post(
        f"/api/v1/opportunities/{shared}/shares", json={"user_id": org.users["east_manager"]}
    )
    assert share.status_code == 201, share.text
    assert org.clients["east_manager"].get(f"/api/v1/opportunities/{shared}").status_code == 200
    folder = _write_step(
        tmp_path / "manager",
        "opportunities",
        RENAME_FIELDS,
        "external_id,name\nn1,越权改名\nn2,只读改名\ns1,上海续约 第二期\nm1,华东新商机\n",
    )

    result = _import(database, tenant, folder, "opportunities", _email(tenant, "east_manager"))

    assert result.status == "succeeded", result.error
    assert (result.rows_created, result.rows_updated, result.rows_rejected) == (1, 1, 2)
    unreadable, read_only = _rejects(result)
    assert unreadable[2:5] == ["2", "external_id", "n1"]
    assert unreadable[5] == translate(
        "error.record_not_updatable", "zh-CN", field="外部编号", value="n1"
    )
    assert read_only[2:5] == ["3", "external_id", "n2"]
    assert read_only[5] == unreadable[5].replace("n1", "n2")
    english = _rejects(result, "en")[0][5]
    assert english == translate("error.record_not_updatable", "en", field="External id", value="n1")
    text = _rejects_text(result)
    for secret in (hidden, shared, "华北年度框架", "华北共享商机"):
        assert secret not in text
    assert _deals(database, tenant) == {
        "n1": [("华北年度框架", 1)],
        "n2": [("华北共享商机", 1)],
        "s1": [("上海续约 第二期", 2)],
        "m1": [("华东新商机", 1)],
    }


def test_administrator_import_updates_any_deal(
    org: Any, tenant: Any, database: Database, tmp_path: Path
) -> None:
    _seed_deals(
        database, tenant, tmp_path / "seed", f"n1,华北年度框架,{_email(tenant, 'north_rep')}\n"
    )
    folder = _write_step(
        tmp_path / "admin",
        "opportunities",
        RENAME_FIELDS,
        "external_id,name\nn1,华北年度框架 续签\n",
    )

    result = _import(database, tenant, folder, "opportunities", tenant.admin_email)

    assert result.status == "succeeded", result.error
    assert (result.rows_created, result.rows_updated, result.rows_rejected) == (0, 1, 0)
    assert _deals(database, tenant) == {"n1": [("华北年度框架 续签", 2)]}


def test_manager_import_restores_own_deleted_deal(
    org: Any, tenant: Any, database: Database, tmp_path: Path
) -> None:
    _seed_deals(
        database, tenant, tmp_path / "seed", f"s1,上海续约,{_email(tenant, 'shanghai_rep')}\n"
    )
    deal_id = _deal_id(database, tenant, "s1")
    deleted = org.clients["east_manager"].delete(f"/api/v1/opportunities/{deal_id}")
    assert deleted.status_code in (200, 204), deleted.text
    folder = _write_step(
        tmp_path / "manager", "opportunities", RENAME_FIELDS, "external_id,name\ns1,上海续约\n"
    )

    result = _import(database, tenant, folder, "opportunities", _email(tenant, "east_manager"))

    assert (result.rows_created, result.rows_updated, result.rows_rejected) == (0, 1, 0)
    restored = org.clients["east_manager"].get(f"/api/v1/opportunities/{deal_id}")
    assert restored.status_code == 200, restored.text
    assert restored.json()["name"] == "上海续约"


def test_lookup_of_unreadable_account_is_not_found(
    org: Any, tenant: Any, database: Database, tmp_path: Path
) -> None:
    accounts = _write_step(
        tmp_path / "seed",
        "accounts",
        DEAL_FIELDS,
        "external_id,name,owner\n"
        f"a-north,北京远航贸易有限公司,{_email(tenant, 'north_rep')}\n"
        f"a-east,杭州云栖科技有限公司,{_email(tenant, 'east_rep')}\n",
    )
    seeded = _import(database, tenant, accounts, "accounts", None)
    assert (seeded.rows_created, seeded.rows_rejected) == (2, 0)
    with database.session() as session:
        hidden = str(
            session.scalar(
                select(Account.id).where(
                    Account.tenant_id == tenant.tenant.id, Account.external_id == "a-north"
                )
            )
        )
    folder = _write_step(
        tmp_path / "manager",
        "opportunities",
        {**RENAME_FIELDS, "account_id": "{column: account, lookup: {object: accounts}}"},
        "external_id,name,account\n"
        "d1,杭州项目,a-east\nd2,北京项目,a-north\nd3,未知客户项目,a-missing\n",
    )

    result = _import(database, tenant, folder, "opportunities", _email(tenant, "east_manager"))

    assert (result.rows_created, result.rows_rejected) == (1, 2)
    denied, missing = _rejects(result)
    assert denied[4] == "a-north"
    assert missing[4] == "a-missing"
    assert [cell.replace("a-north", "<key>") for cell in denied[3:]] == [
        cell.replace("a-missing", "<key>") for cell in missing[3:]
    ]
    assert missing[3] == "account"
    assert "a-missing" in missing[5]
    assert hidden not in _rejects_text(result)
    assert list(_deals(database, tenant)) == ["d1"]


@contextmanager
def _counting_statements(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*arguments: Any) -> None:
        statements.append(arguments[2])

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_scope_check_costs_one_query_per_batch(
    org: Any, tenant: Any, database: Database, tmp_path: Path
) -> None:
    _seed_deals(
        database,
        tenant,
        tmp_path / "seed",
        f"s1,上海续约,{_email(tenant, 'shanghai_rep')}\n"
        f"s2,上海扩容,{_email(tenant, 'shanghai_rep')}\n",
    )
    with database.session() as session:
        tenant_row = session.get(Tenant, tenant.tenant.id)
        assert tenant_row is not None
        people = {
            person: session.scalar(select(User).where(User.email == _email(tenant, person)))
            for person in ("director", "east_manager")
        }
        people["administrator"] = session.scalar(
            select(User).where(User.email == tenant.admin_email)
        )
        actors = {person: actor_for(tenant_row, user, session) for person, user in people.items()}
    counts = {}
    for round_number, person in enumerate(("administrator", "director", "east_manager")):
        folder = _write_step(
            tmp_path / person,
            "opportunities",
            RENAME_FIELDS,
            f"external_id,name\ns1,上海续约 {round_number}\ns2,上海扩容 {round_number}\n",
        )
        with _counting_statements(database) as statements:
            result = import_for_actor(
                database, actors[person], folder / "profile.yaml", folder / "opportunities.csv"
            )
        assert (result.rows_updated, result.rows_rejected) == (2, 0)
        counts[person] = len(statements)

    assert counts["director"] == counts["administrator"]
    assert counts["east_manager"] == counts["administrator"] + 1
