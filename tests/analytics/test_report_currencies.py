"""Money measures over several currencies: kept per currency, never added together."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from analytics_support import add_opportunity, add_user, run_as, stage_ids
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from testkit import TenantInfo

from zhike.analytics.query import ReportQuery
from zhike.analytics.service import explain_report, run_report
from zhike.core.db import Database
from zhike.core.errors import Forbidden
from zhike.sales.models import Product
from zhike.security.actors import actor_for
from zhike.security.models import Role, Tenant, User
from zhike.security.roles import ObjectGrant, RoleDefinition

MONEY_MEASURES = [
    {"aggregate": "count"},
    {"aggregate": "sum", "field": "amount"},
    {"aggregate": "avg", "field": "amount"},
    {"aggregate": "min", "field": "amount"},
    {"aggregate": "max", "field": "amount"},
    {"aggregate": "median", "field": "amount"},
]


def _per_currency(**values: str) -> list[dict[str, Any]]:
    return [{"currency": code, "value": Decimal(value)} for code, value in values.items()]


class Deals:
    """Two sales reps: Wang sells in CNY only, Li in CNY and USD."""

    def __init__(self, database: Database, tenant: TenantInfo) -> None:
        self.database = database
        self.tenant = tenant
        self.stages = stage_ids(database, tenant)
        self.wang = add_user(database, tenant, "wang")
        self.li = add_user(database, tenant, "li")

    def add(
        self, owner: uuid.UUID, amount: str | None, currency: str, closed: date | None = None
    ) -> uuid.UUID:
        return add_opportunity(
            self.database,
            self.tenant,
            owner,
            self.stages["won"],
            amount,
            closed or date(2026, 3, 10),
            currency=currency,
        )

    def run(self, query: dict[str, Any]) -> Any:
        return run_as(self.database, self.tenant, None, query)


@pytest.fixture
def deals(database: Database, tenant: TenantInfo) -> Deals:
    world = Deals(database, tenant)
    world.add(world.wang, "100.00", "CNY")
    world.add(world.wang, "300.00", "CNY")
    world.add(world.li, "1000.00", "CNY")
    world.add(world.li, "20.00", "USD")
    world.add(world.li, "60.50", "USD")
    world.add(world.li, "70.00", "USD")
    # No amount, so it neither adds a currency nor makes Wang's deals mixed.
    world.add(world.wang, None, "EUR")
    return world


def test_total_is_given_per_currency(deals: Deals) -> None:
    result = deals.run({"object": "opportunities", "measures": MONEY_MEASURES})

    assert [column.currencies for column in result.columns] == [None] + [["CNY", "USD"]] * 5
    assert [column.type for column in result.columns] == ["integer"] + ["decimal"] * 5
    count, total, average, smallest, largest, median = result.rows[0]
    assert count == 7
    assert total == _per_currency(CNY="1400.00", USD="150.50")
    assert average == _per_currency(CNY="466.67", USD="50.17")
    assert smallest == _per_currency(CNY="100.00", USD="20.00")
    assert largest == _per_currency(CNY="1000.00", USD="70.00")
    assert median == _per_currency(CNY="300.00", USD="60.50")


def test_one_currency_report_keeps_plain_values(deals: Deals) -> None:
    query = {
        "object": "opportunities",
        "filters": [{"field": "currency", "op": "eq", "value": "CNY"}],
        "measures": MONEY_MEASURES,
    }

    result = deals.run(query)

    assert result.rows == [
        [
            3,
            Decimal("1400.00"),
            Decimal("466.67"),
            Decimal("100.00"),
            Decimal("1000.00"),
            Decimal("300.00"),
        ]
    ]
    assert [column.currencies for column in result.columns] == [None] * 6
    # Not sent by the API, but files name it.
    assert [column.currency for column in result.columns] == [None] + ["CNY"] * 5


def test_groups_list_values_when_any_group_mixes(deals: Deals) -> None:
    query = {
        "object": "opportunities",
        "group_by": [{"field": "owner.display_name", "alias": "owner"}],
        "measures": [{"aggregate": "count"}, {"aggregate": "sum", "field": "amount"}],
    }

    result = deals.run(query)

    assert result.columns[2].currencies == ["CNY", "USD"]
    assert result.rows == [
        ["li", 4, _per_currency(CNY="1000.00", USD="150.50")],
        ["wang", 3, _per_currency(CNY="400.00")],
    ]


def test_groups_in_one_currency_each(deals: Deals) -> None:
    query = {
        "object": "opportunities",
        "filters": [{"field": "owner.display_name", "op": "eq", "value": "li"}],
        "group_by": [{"field": "closed_on", "bucket": "month"}],
        "measures": [{"aggregate": "sum", "field": "amount"}],
    }
    deals.add(deals.li, "5.00", "USD", closed=date(2026, 4, 2))

    result = deals.run(query)

    # April has USD only, but the column has two currencies, so April lists its one too.
    assert result.rows == [
        ["2026-03", _per_currency(CNY="1000.00", USD="150.50")],
        ["2026-04", _per_currency(USD="5.00")],
    ]


def test_grouping_by_currency_keeps_plain_values(deals: Deals) -> None:
    query = {
        "object": "opportunities",
        "group_by": [{"field": "currency"}],
        "measures": [
            {"aggregate": "sum", "field": "amount"},
            {"aggregate": "median", "field": "amount"},
        ],
    }

    result = deals.run(query)

    assert result.rows == [
        ["CNY", Decimal("1400.00"), Decimal("300.00")],
        ["EUR", None, None],
        ["USD", Decimal("150.50"), Decimal("60.50")],
    ]
    # The currency column names each row's currency.
    assert [(column.currencies, column.currency) for column in result.columns] == [(None, None)] * 3


def test_compare_previous_changes_per_currency(deals: Deals) -> None:
    deals.add(deals.li, "200.00", "CNY", closed=date(2026, 2, 5))
    deals.add(deals.li, "9.00", "JPY", closed=date(2026, 2, 6))
    query = {
        "object": "opportunities",
        "filters": [{"field": "closed_on", "op": "between", "value": ["2026-03-01", "2026-03-31"]}],
        "measures": [{"aggregate": "sum", "field": "amount", "alias": "won"}],
        "compare_previous": True,
    }

    result = deals.run(query)

    assert [column.name for column in result.columns] == ["won", "won:previous", "won:change"]
    assert [column.currencies for column in result.columns] == [["CNY", "JPY", "USD"]] * 3
    assert result.rows == [
        [
            _per_currency(CNY="1400.00", USD="150.50"),
            _per_currency(CNY="200.00", JPY="9.00"),
            _per_currency(CNY="1200.00"),
        ]
    ]


def test_sort_by_money_orders_within_currency(deals: Deals) -> None:
    zhao = add_user(deals.database, deals.tenant, "zhao")
    deals.add(zhao, "50.00", "USD")
    query = {
        "object": "opportunities",
        "group_by": [{"field": "owner.display_name", "alias": "owner"}],
        "measures": [{"aggregate": "sum", "field": "amount", "alias": "won"}],
        "sort": [{"column": "won", "descending": True}],
    }

    result = deals.run(query)

    # Rows order by currency code, then by value descending; CNY never meets USD.
    assert [row[0] for row in result.rows] == ["li", "wang", "zhao"]


@pytest.mark.parametrize(
    ("descending", "expected"),
    [
        (True, ["li", "wang", "qian", "zhao"]),
        (False, ["wang", "li", "zhao", "qian"]),
    ],
)
def test_money_sort_keeps_currency_code_order(
    deals: Deals, descending: bool, expected: list[str]
) -> None:
    # Wang: CNY 400.00; Li: CNY 1000.00 and USD 150.50; Zhao: USD 50.00; Qian: USD 500.00.
    deals.add(add_user(deals.database, deals.tenant, "zhao"), "50.00", "USD")
    deals.add(add_user(deals.database, deals.tenant, "qian"), "500.00", "USD")
    query = {
        "object": "opportunities",
        "group_by": [{"field": "owner.display_name", "alias": "owner"}],
        "measures": [{"aggregate": "sum", "field": "amount", "alias": "won"}],
        "sort": [{"column": "won", "descending": descending}],
    }

    result = deals.run(query)

    assert [row[0] for row in result.rows] == expected
    first_currencies = [row[1][0]["currency"] for row in result.rows]
    assert first_currencies == ["CNY", "CNY", "USD", "USD"]


def test_related_amount_uses_its_own_currency(
    deals: Deals, database: Database, tenant: TenantInfo
) -> None:
    with database.session() as session:
        products = [
            Product(tenant_id=tenant.tenant.id, name=name, list_price=Decimal(price), currency=code)
            for name, price, code in (("云主机", "88.00", "CNY"), ("GPU", "9.99", "USD"))
        ]
        session.add_all(products)
        session.flush()
        product_ids = [product.id for product in products]
    for product_id in product_ids:
        add_opportunity(
            database, tenant, deals.wang, deals.stages["won"], "1.00", product_id=product_id
        )
    query = {
        "object": "opportunities",
        "filters": [{"field": "product.name", "op": "is_not_empty"}],
        "measures": [{"aggregate": "sum", "field": "product.list_price"}],
    }

    result = deals.run(query)

    # The deals themselves are in CNY; the prices are in the products' currencies.
    assert result.rows == [[_per_currency(CNY="88.00", USD="9.99")]]


def test_rollup_gives_the_same_per_currency_rows(
    deals: Deals, database: Database, tenant: TenantInfo
) -> None:
    query = {
        "object": "opportunities",
        "group_by": [{"field": "owner_id"}, {"field": "closed_on", "bucket": "month"}],
        "measures": [
            {"aggregate": "sum", "field": "amount"},
            {"aggregate": "avg", "field": "amount"},
        ],
    }
    with database.session() as session:
        found = session.get(Tenant, tenant.tenant.id)
        admin = session.get(User, tenant.admin.id)
        assert found is not None
        assert admin is not None
        actor = actor_for(found, admin, session)
        parsed = ReportQuery.model_validate(query)
        assert explain_report(session, actor, parsed).source == "rollup"
        with_rollup = run_report(session, actor, parsed)
        without = run_report(session, actor, parsed, use_rollups=False)

    assert with_rollup.rows == without.rows
    assert with_rollup.columns == without.columns
    by_owner = {row[0]: row[2] for row in with_rollup.rows}
    assert by_owner[deals.li] == _per_currency(CNY="1000.00", USD="150.50")
    assert by_owner[deals.wang] == _per_currency(CNY="400.00")


def test_hidden_currency_rejects_money_measures(deals: Deals) -> None:
    grant = ObjectGrant(actions=frozenset({"read"}), scope="company", fields={"currency": "hidden"})
    definition = RoleDefinition(
        key="no_currency", name_zh="无币种", name_en="No currency", objects={"opportunities": grant}
    )
    with deals.database.session() as session:
        session.add(
            Role(
                tenant_id=deals.tenant.tenant.id,
                key="no_currency",
                name_zh="无币种",
                name_en="No currency",
                definition=definition.model_dump(mode="json"),
            )
        )
    viewer = add_user(deals.database, deals.tenant, "viewer", "no_currency")
    count_query = {"object": "opportunities", "measures": [{"aggregate": "count"}]}
    sum_query = {"object": "opportunities", "measures": [{"aggregate": "sum", "field": "amount"}]}

    counted = run_as(deals.database, deals.tenant, viewer, count_query)
    with pytest.raises(Forbidden) as raised:
        run_as(deals.database, deals.tenant, viewer, sum_query)

    assert counted.rows == [[7]]
    assert raised.value.code == "report_currency_hidden"
    assert raised.value.params == {"field": "currency", "measure": "sum:amount"}


def test_api_returns_decimal_strings_per_currency(deals: Deals, client: TestClient) -> None:
    response = client.post(
        "/api/v1/reports/run",
        json={"object": "opportunities", "measures": [{"aggregate": "sum", "field": "amount"}]},
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "columns": [
            {
                "name": "sum:amount",
                "kind": "measure",
                "type": "decimal",
                "currencies": ["CNY", "USD"],
            }
        ],
        "rows": [
            [[{"currency": "CNY", "value": "1400.00"}, {"currency": "USD", "value": "150.50"}]]
        ],
        "privacy": None,
    }


def test_csv_export_has_a_column_per_currency(deals: Deals, client: TestClient) -> None:
    query = {
        "object": "opportunities",
        "group_by": [{"field": "owner.display_name", "alias": "owner"}],
        "measures": [
            {"aggregate": "count", "alias": "deals"},
            {"aggregate": "sum", "field": "amount", "alias": "won"},
        ],
    }

    response = client.post("/api/v1/reports/export", json={"query": query, "format": "csv"})

    assert response.status_code == 200, response.text
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines == [
        ["负责人", "商机数", "赢单金额 (CNY)", "赢单金额 (USD)"],
        ["li", "4", "1000.00", "150.50"],
        ["wang", "3", "400.00", ""],
    ]


def test_xlsx_export_names_the_one_currency(deals: Deals, client: TestClient) -> None:
    query = {
        "object": "opportunities",
        "filters": [{"field": "currency", "op": "eq", "value": "USD"}],
        "measures": [{"aggregate": "sum", "field": "amount", "alias": "won"}],
    }

    response = client.post("/api/v1/reports/export", json={"query": query, "format": "xlsx"})

    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == ["赢单金额 (USD)"]
    assert Decimal(str(values[1][0])) == Decimal("150.50")


def test_anonymised_merge_adds_per_currency(deals: Deals, client: TestClient) -> None:
    query = {
        "object": "opportunities",
        "group_by": [{"field": "amount", "alias": "size"}],
        "measures": [
            {"aggregate": "count", "alias": "deals"},
            {"aggregate": "sum", "field": "amount", "alias": "won"},
        ],
    }

    response = client.post("/api/v1/reports/anonymised?k=2", json=query)

    assert response.status_code == 200, response.text
    # 20.00, 60.50, 70.00 USD and 100.00, 300.00 CNY fall in 0-1000; 1000.00 is suppressed.
    assert response.json()["rows"] == [
        [
            "0-1000",
            5,
            [{"currency": "CNY", "value": "400.00"}, {"currency": "USD", "value": "150.50"}],
        ]
    ]


def test_private_sum_adds_noise_per_currency(deals: Deals) -> None:
    query = {
        "object": "opportunities",
        "measures": [{"aggregate": "sum", "field": "amount", "clip": "1000"}],
        "privacy": {"epsilon": 1.0},
    }

    result = deals.run(query)

    [[cell]] = result.rows
    assert [entry["currency"] for entry in cell] == ["CNY", "USD"]
    assert all(isinstance(entry["value"], Decimal) for entry in cell)
