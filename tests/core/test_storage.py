"""Storage rules on both backends: SQLite pragmas, UTC times, exact Decimal money, sortable ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.ids import new_id
from zhike.sales.models import Product
from zhike.security.models import Tenant

BEIJING = timezone(timedelta(hours=8))


def test_sqlite_runs_with_wal_and_foreign_keys(database: Database) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only apply to SQLite")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_aware_time_comes_back_as_the_same_instant_in_utc(
    database: Database, tenant: TenantInfo
) -> None:
    written = datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=BEIJING)
    with database.session() as session:
        session.get_one(Tenant, tenant.tenant.id).created_at = written

    with database.session() as session:
        read = session.scalar(select(Tenant.created_at).where(Tenant.id == tenant.tenant.id))

    assert read == written
    assert read is not None
    assert read.tzinfo is not None
    assert read.utcoffset() == timedelta(0)
    assert read.isoformat() == "2026-03-01T01:30:15.123000+00:00"


def test_naive_time_is_rejected_and_nothing_is_written(
    database: Database, tenant: TenantInfo
) -> None:
    naive = datetime(2026, 3, 1, 9, 30)  # noqa: DTZ001 - the point of the test
    with database.session() as session:
        session.get_one(Tenant, tenant.tenant.id).created_at = naive
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()
        session.rollback()

    with database.session() as session:
        stored = session.scalar(select(Tenant.created_at).where(Tenant.id == tenant.tenant.id))
    assert stored == tenant.tenant.created_at


AMOUNTS = (
    "0.10",
    "0.01",
    "19999.99",
    "1234567890123.45",
    "-42.50",
    "100000000.00",
    "9999999999999999.99",
)


def test_money_amounts_round_trip_exactly(database: Database, tenant: TenantInfo) -> None:
    with database.session() as session:
        products = [
            Product(tenant_id=tenant.tenant.id, name=f"网关 {amount}", list_price=Decimal(amount))
            for amount in AMOUNTS
        ]
        session.add_all(products)
        session.flush()
        ids = {product.id: amount for product, amount in zip(products, AMOUNTS, strict=True)}

    with database.session() as session:
        rows = session.execute(
            select(Product.id, Product.list_price).where(Product.id.in_(list(ids)))
        )
        stored = {row[0]: row[1] for row in rows}

    assert all(isinstance(value, Decimal) for value in stored.values())
    assert {str(stored[product_id]) for product_id in ids} == set(AMOUNTS)


def test_sum_of_amounts_is_exact(database: Database, tenant: TenantInfo) -> None:
    with database.session() as session:
        for _ in range(10):
            session.add(
                Product(tenant_id=tenant.tenant.id, name="传感器", list_price=Decimal("0.10"))
            )
    with database.session() as session:
        prices = session.scalars(
            select(Product.list_price).where(Product.tenant_id == tenant.tenant.id)
        )
        assert sum(prices, Decimal(0)) == Decimal("1.00")
        total = session.scalar(
            select(func.sum(Product.list_price)).where(Product.tenant_id == tenant.tenant.id)
        )
        assert total == Decimal("1.00")


def test_new_ids_sort_in_creation_order() -> None:
    ids = [new_id() for _ in range(2000)]

    assert sorted(ids) == ids
    assert len(set(ids)) == 2000
    assert {identifier.version for identifier in ids} == {7}


def test_records_listed_by_id_are_in_creation_order(database: Database, tenant: TenantInfo) -> None:
    created = []
    for index in range(20):
        with database.session() as session:
            product = Product(tenant_id=tenant.tenant.id, name=f"产品 {index}")
            session.add(product)
            session.flush()
            created.append(product.id)

    with database.session() as session:
        stored = list(
            session.scalars(
                select(Product.id).where(Product.tenant_id == tenant.tenant.id).order_by(Product.id)
            )
        )

    assert stored == created


def test_ids_encode_their_creation_time() -> None:
    before = datetime.now(UTC)
    identifier = new_id()
    milliseconds = identifier.int >> 80

    assert abs(milliseconds / 1000 - before.timestamp()) < 5
