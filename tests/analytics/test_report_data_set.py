"""Reports on the imported CRM pipeline data set, checked against pandas on the CSV files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from analytics_support import as_dicts, run_as
from sqlalchemy import select
from testkit import TenantInfo
from typer.testing import CliRunner

from zhike.cli import app
from zhike.core.db import Database
from zhike.security.models import User

pytestmark = pytest.mark.slow

WON_BY_OWNER_AND_MONTH = {
    "object": "opportunities",
    "filters": [{"field": "stage.key", "op": "eq", "value": "won"}],
    "group_by": [
        {"field": "owner.display_name", "alias": "owner"},
        {"field": "closed_on", "bucket": "month", "alias": "month"},
    ],
    "measures": [{"aggregate": "count"}, {"aggregate": "sum", "field": "amount", "alias": "won"}],
}


@pytest.fixture(scope="module")
def pipeline_frame(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "crm_sales_opportunities" / "sales_pipeline.csv", dtype=str)


@pytest.fixture
def pipeline(
    crm_pipeline: TenantInfo, pipeline_frame: pd.DataFrame
) -> tuple[TenantInfo, pd.DataFrame]:
    """The imported pipeline tenant shared by read-only tests, and the CSV it came from."""
    return crm_pipeline, pipeline_frame


def _expected_won(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[int, Decimal]]:
    won = frame[frame["deal_stage"] == "Won"].copy()
    won["month"] = won["close_date"].str[:7]
    won["close_value"] = won["close_value"].map(Decimal)
    return {
        (owner, month): (len(group), sum(group["close_value"], Decimal(0)))
        for (owner, month), group in won.groupby(["sales_agent", "month"])
    }


def test_won_amount_by_owner_and_month(
    database: Database, pipeline: tuple[TenantInfo, pd.DataFrame]
) -> None:
    tenant, frame = pipeline

    result = run_as(database, tenant, None, WON_BY_OWNER_AND_MONTH)

    found = {(row[0], row[1]): (row[2], row[3]) for row in result.rows}
    assert found == _expected_won(frame)
    assert all(isinstance(row[3], Decimal) for row in result.rows)
    assert [row[:2] for row in result.rows] == sorted(row[:2] for row in result.rows)


def test_counts_by_stage_industry_and_product_series(
    database: Database, pipeline: tuple[TenantInfo, pd.DataFrame], data_dir: Path
) -> None:
    tenant, frame = pipeline
    accounts = pd.read_csv(data_dir / "crm_sales_opportunities" / "accounts.csv", dtype=str)
    industry = accounts.set_index("account")["sector"].replace({"technolgy": "technology"})
    frame = frame.assign(industry=frame["account"].map(industry))
    won = frame[frame["deal_stage"] == "Won"]

    by_stage = run_as(
        database,
        tenant,
        None,
        {
            "object": "opportunities",
            "group_by": [{"field": "stage.key"}],
        },
    )
    by_industry = run_as(
        database,
        tenant,
        None,
        {
            "object": "opportunities",
            "filters": [{"field": "stage.is_won", "value": True}],
            "group_by": [{"field": "account.industry"}],
            "measures": [{"aggregate": "count"}, {"aggregate": "median", "field": "amount"}],
        },
    )

    stage_keys = {
        "Won": "won",
        "Lost": "lost",
        "Engaging": "engaging",
        "Prospecting": "prospecting",
    }
    assert {row[0]: row[1] for row in by_stage.rows} == {
        stage_keys[stage]: count for stage, count in frame["deal_stage"].value_counts().items()
    }
    expected = {
        name: (
            len(group),
            Decimal(str(group["close_value"].astype(float).median())).quantize(Decimal("0.01")),
        )
        for name, group in won.groupby("industry", dropna=False)
    }
    assert {(None if pd.isna(key) else key): value for key, value in expected.items()} == {
        row[0]: (row[1], row[2]) for row in by_industry.rows
    }


def test_sales_rep_report_counts_only_their_deals(
    database: Database, pipeline: tuple[TenantInfo, pd.DataFrame]
) -> None:
    tenant, frame = pipeline
    with database.session() as session:
        rep = session.scalar(
            select(User).where(
                User.tenant_id == tenant.tenant.id, User.display_name == "Darcel Schlecht"
            )
        )
        assert rep is not None
        assert rep.role == "sales_rep"
        rep_id = rep.id

    result = run_as(database, tenant, rep_id, WON_BY_OWNER_AND_MONTH)

    expected = {
        key: value for key, value in _expected_won(frame).items() if key[0] == "Darcel Schlecht"
    }
    assert {(row[0], row[1]): (row[2], row[3]) for row in result.rows} == expected
    assert len(expected) > 1


def test_cli_prints_columns_and_rows(
    database: Database, pipeline: tuple[TenantInfo, pd.DataFrame], tmp_path: Path
) -> None:
    tenant, frame = pipeline
    query_file = tmp_path / "query.json"
    query_file.write_text(json.dumps(WON_BY_OWNER_AND_MONTH), encoding="utf-8")
    with database.session() as session:
        rep_email = session.scalar(
            select(User.email).where(
                User.tenant_id == tenant.tenant.id, User.display_name == "Darcel Schlecht"
            )
        )
    assert rep_email is not None

    admin_run = CliRunner().invoke(
        app,
        [
            "report",
            "run",
            "--tenant",
            tenant.slug,
            "--user",
            tenant.admin_email,
            "--query",
            str(query_file),
            "--json",
        ],
    )
    rep_run = CliRunner().invoke(
        app,
        [
            "report",
            "run",
            "--tenant",
            tenant.slug,
            "--user",
            rep_email,
            "--query",
            str(query_file),
            "--json",
        ],
    )

    assert admin_run.exit_code == 0, admin_run.output
    output = json.loads(admin_run.stdout)
    assert [column["name"] for column in output["columns"]] == ["owner", "month", "count", "won"]
    found = {(row[0], row[1]): (row[2], Decimal(row[3])) for row in output["rows"]}
    assert found == _expected_won(frame)
    assert rep_run.exit_code == 0, rep_run.output
    owners = {row[0] for row in json.loads(rep_run.stdout)["rows"]}
    assert owners == {"Darcel Schlecht"}
    assert as_dicts(run_as(database, tenant, None, {"object": "opportunities"})) == [
        {"count": len(frame)}
    ]
