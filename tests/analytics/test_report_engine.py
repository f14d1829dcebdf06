"""The report engine on hand-built records: buckets, filters, measures, permissions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from analytics_support import add_opportunity, add_user, as_dicts, run_as, stage_ids
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.errors import Forbidden, InvalidInput
from zhike.customers.models import Account
from zhike.sales.models import Lead
from zhike.security.models import Tenant


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_month_buckets_follow_the_tenant_time_zone(database: Database, tenant: TenantInfo) -> None:
    owner = add_user(database, tenant, "wang")
    won = stage_ids(database, tenant)["won"]
    # 2017-03-31 23:30 in Shanghai is 15:30 UTC: March in both.
    add_opportunity(database, tenant, owner, won, "100.10", created_at=_utc(2017, 3, 31, 15, 30))
    # 2017-04-01 00:30 in Shanghai is still 2017-03-31 16:30 in UTC: April for the tenant.
    add_opportunity(database, tenant, owner, won, "200.20", created_at=_utc(2017, 3, 31, 16, 30))
    # 2017-01-01 07:59 in Shanghai is 2016-12-31 23:59 UTC.
    add_opportunity(database, tenant, owner, won, "0.01", created_at=_utc(2016, 12, 31, 23, 59))
    query = {
        "object": "opportunities",
        "group_by": [{"field": "created_at", "bucket": "month"}],
        "measures": [{"aggregate": "count"}, {"aggregate": "sum", "field": "amount"}],
    }

    result = run_as(database, tenant, None, query)

    assert [column.name for column in result.columns] == [
        "created_at:month",
        "count",
        "sum:amount",
    ]
    assert result.rows == [
        ["2017-01", 1, Decimal("0.01")],
        ["2017-03", 1, Decimal("100.10")],
        ["2017-04", 1, Decimal("200.20")],
    ]
    by_day = run_as(
        database, tenant, None, {**query, "group_by": [{"field": "created_at", "bucket": "day"}]}
    )
    assert [row[0] for row in by_day.rows] == ["2017-01-01", "2017-03-31", "2017-04-01"]


def test_week_quarter_and_fiscal_year_buckets(database: Database, tenant: TenantInfo) -> None:
    owner = add_user(database, tenant, "li")
    won = stage_ids(database, tenant)["won"]
    for closed in (date(2017, 3, 31), date(2017, 4, 2), date(2017, 4, 3), date(2018, 1, 15)):
        add_opportunity(database, tenant, owner, won, "10", closed_on=closed)
    with database.session() as session:
        found = session.get(Tenant, tenant.tenant.id)
        assert found is not None
        found.settings = {**found.settings, "fiscal_year_start_month": 4}

    def buckets(bucket: str) -> list[list[object]]:
        query = {
            "object": "opportunities",
            "group_by": [{"field": "closed_on", "bucket": bucket}],
        }
        return run_as(database, tenant, None, query).rows

    assert buckets("week") == [["2017-03-27", 2], ["2017-04-03", 1], ["2018-01-15", 1]]
    assert buckets("quarter") == [["2017-Q1", 1], ["2017-Q2", 2], ["2018-Q1", 1]]
    assert buckets("fiscal_year") == [["FY2016", 1], ["FY2017", 3]]
    assert buckets("year") == [["2017", 3], ["2018", 1]]


def test_filters_measures_and_related_fields(database: Database, tenant: TenantInfo) -> None:
    zhang, zhao = add_user(database, tenant, "zhang"), add_user(database, tenant, "zhao")
    stages = stage_ids(database, tenant)
    with database.session() as session:
        account = Account(tenant_id=tenant.tenant.id, name="华为", industry="通信")
        other = Account(tenant_id=tenant.tenant.id, name="平安", industry="金融")
        session.add_all([account, other])
        session.flush()
        telecom, finance = account.id, other.id
    march = date(2017, 3, 15)
    add_opportunity(
        database,
        tenant,
        zhang,
        stages["won"],
        "100.00",
        march,
        account_id=telecom,
        custom={"region": "华东", "seats": 5},
    )
    add_opportunity(
        database,
        tenant,
        zhang,
        stages["won"],
        "300.00",
        march,
        account_id=telecom,
        custom={"region": "华北", "seats": 20},
    )
    add_opportunity(
        database,
        tenant,
        zhang,
        stages["won"],
        "250.00",
        march,
        account_id=finance,
        custom={"region": "华东", "seats": 8},
    )
    add_opportunity(database, tenant, zhao, stages["lost"], "999.99", march, account_id=finance)
    add_opportunity(database, tenant, zhao, stages["engaging"], None, None)
    base = {"object": "opportunities", "as_of": "2017-04-10"}

    by_industry = run_as(
        database,
        tenant,
        None,
        {
            **base,
            "filters": [{"field": "stage.is_won", "op": "eq", "value": True}],
            "group_by": [{"field": "account.industry"}],
            "measures": [
                {"aggregate": "sum", "field": "amount"},
                {"aggregate": "avg", "field": "amount"},
                {"aggregate": "median", "field": "amount"},
                {"aggregate": "min", "field": "amount"},
                {"aggregate": "max", "field": "amount"},
                {"aggregate": "count_distinct", "field": "owner_id"},
            ],
            "sort": [{"column": "sum:amount", "descending": True}],
        },
    )
    assert by_industry.rows == [
        [
            "通信",
            Decimal("400.00"),
            Decimal("200.00"),
            Decimal("200.00"),
            Decimal("100.00"),
            Decimal("300.00"),
            1,
        ],
        [
            "金融",
            Decimal("250.00"),
            Decimal("250.00"),
            Decimal("250.00"),
            Decimal("250.00"),
            Decimal("250.00"),
            1,
        ],
    ]
    by_region = run_as(
        database,
        tenant,
        None,
        {
            **base,
            "filters": [
                {"field": "closed_on", "op": "relative", "value": "last_month"},
                {"field": "custom.seats", "op": "gte", "value": 8},
            ],
            "group_by": [{"field": "custom.region"}, {"field": "owner.display_name"}],
            "measures": [{"aggregate": "count"}, {"aggregate": "sum", "field": "custom.seats"}],
        },
    )
    assert as_dicts(by_region) == [
        {"custom.region": "华东", "owner.display_name": "zhang", "count": 1, "sum:custom.seats": 8},
        {
            "custom.region": "华北",
            "owner.display_name": "zhang",
            "count": 1,
            "sum:custom.seats": 20,
        },
    ]
    filtered = run_as(
        database,
        tenant,
        None,
        {
            **base,
            "filters": [
                {"field": "amount", "op": "between", "value": ["100", "300"]},
                {"field": "account.name", "op": "in", "value": ["华为", "平安"]},
                {"field": "name", "op": "contains", "value": "商"},
            ],
        },
    )
    assert filtered.rows == [[3]]
    empty = run_as(
        database,
        tenant,
        None,
        {
            **base,
            "filters": [{"field": "closed_on", "op": "is_empty"}],
        },
    )
    assert empty.rows == [[1]]
    conversion = run_as(
        database,
        tenant,
        None,
        {
            **base,
            "group_by": [{"field": "owner.display_name", "alias": "owner"}],
            "measures": [
                {"aggregate": "conversion_rate", "from_stage": "engaging", "to_stage": "won"}
            ],
        },
    )
    assert conversion.rows == [["zhang", Decimal("1.0000")], ["zhao", Decimal("0.0000")]]


def test_compare_with_previous_period(database: Database, tenant: TenantInfo) -> None:
    owner = add_user(database, tenant, "sun")
    won = stage_ids(database, tenant)["won"]
    add_opportunity(database, tenant, owner, won, "50.00", date(2016, 12, 20))
    add_opportunity(database, tenant, owner, won, "70.00", date(2017, 2, 1))
    add_opportunity(database, tenant, owner, won, "30.00", date(2017, 3, 31))
    query = {
        "object": "opportunities",
        "as_of": "2017-04-05",
        "filters": [{"field": "closed_on", "op": "relative", "value": "last_quarter"}],
        "measures": [{"aggregate": "sum", "field": "amount", "alias": "won"}],
        "compare_previous": True,
    }

    result = run_as(database, tenant, None, query)

    assert [column.name for column in result.columns] == ["won", "won:previous", "won:change"]
    assert result.rows == [[Decimal("100.00"), Decimal("50.00"), Decimal("50.00")]]


def test_sales_rep_counts_only_own_records(database: Database, tenant: TenantInfo) -> None:
    mine, theirs = add_user(database, tenant, "rep-a"), add_user(database, tenant, "rep-b")
    won = stage_ids(database, tenant)["won"]
    add_opportunity(database, tenant, mine, won, "10.00", date(2017, 1, 1))
    add_opportunity(database, tenant, theirs, won, "20.00", date(2017, 1, 1))
    add_opportunity(database, tenant, theirs, won, "40.00", date(2017, 1, 2))
    query = {
        "object": "opportunities",
        "group_by": [{"field": "owner.display_name"}],
        "measures": [{"aggregate": "count"}, {"aggregate": "sum", "field": "amount"}],
    }

    assert run_as(database, tenant, mine, query).rows == [["rep-a", 1, Decimal("10.00")]]
    assert run_as(database, tenant, None, query).rows == [
        ["rep-a", 1, Decimal("10.00")],
        ["rep-b", 2, Decimal("60.00")],
    ]


def test_masked_fields_count_but_do_not_group(database: Database, tenant: TenantInfo) -> None:
    with database.session() as session:
        session.add_all(
            Lead(tenant_id=tenant.tenant.id, name=f"线索{i}", mobile=mobile)
            for i, mobile in enumerate(["13812345678", "13812345678", None])
        )
    counted = run_as(
        database,
        tenant,
        None,
        {
            "object": "leads",
            "measures": [{"aggregate": "count_distinct", "field": "mobile"}],
            "filters": [{"field": "mobile", "op": "is_not_empty"}],
        },
    )
    assert counted.rows == [[1]]
    for query in (
        {"object": "leads", "group_by": [{"field": "mobile"}]},
        {"object": "leads", "filters": [{"field": "mobile", "op": "eq", "value": "13812345678"}]},
        {"object": "leads", "measures": [{"aggregate": "max", "field": "mobile"}]},
    ):
        with pytest.raises(Forbidden) as raised:
            run_as(database, tenant, None, query)
        assert raised.value.code == "report_field_masked"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (
            {"object": "opportunities", "group_by": [{"field": "owner.password_hash"}]},
            "report_unknown_field",
        ),
        (
            {"object": "opportunities", "group_by": [{"field": "name", "bucket": "month"}]},
            "report_bucket_needs_date",
        ),
        (
            {
                "object": "opportunities",
                "filters": [{"field": "closed_on", "op": "relative", "value": "next_decade"}],
            },
            "report_unknown_period",
        ),
        ({"object": "opportunities", "compare_previous": True}, "report_compare_needs_period"),
        ({"object": "opportunities", "sort": [{"column": "nope"}]}, "report_unknown_sort_column"),
        (
            {"object": "opportunities", "filters": [{"field": "amount", "op": "gt", "value": "x"}]},
            "report_invalid_value",
        ),
    ],
)
def test_invalid_queries_are_refused(
    database: Database, tenant: TenantInfo, query: dict[str, object], code: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        run_as(database, tenant, None, query)
    assert raised.value.code == code


def test_report_api(client: TestClient, database: Database, tenant: TenantInfo) -> None:
    owner = add_user(database, tenant, "qian")
    add_opportunity(
        database, tenant, owner, stage_ids(database, tenant)["won"], "12.34", date(2017, 5, 6)
    )
    body = {
        "object": "opportunities",
        "group_by": [{"field": "closed_on", "bucket": "month", "alias": "month"}],
        "measures": [{"aggregate": "sum", "field": "amount"}],
    }

    response = client.post("/api/v1/reports/run", json=body)
    masked = client.post(
        "/api/v1/reports/run", json={"object": "leads", "group_by": [{"field": "email"}]}
    )
    anonymous = TestClient(client.app).post("/api/v1/reports/run", json=body)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "columns": [
            {"name": "month", "kind": "dimension", "type": "string"},
            {"name": "sum:amount", "kind": "measure", "type": "decimal"},
        ],
        "rows": [["2017-05", "12.34"]],
        "privacy": None,
    }
    assert masked.status_code == 403
    assert masked.json()["code"] == "report_field_masked"
    assert anonymous.status_code == 401
