"""A count before a superlative of a field ranks the records themselves: "金额最大的5个商机"."""

from __future__ import annotations

from pathlib import Path

import pytest
from ask_support import ask_as, pipeline_tenant
from sqlalchemy import select

from zhike.core.db import Database
from zhike.sales.models import Opportunity


@pytest.mark.parametrize("question", ["金额最大的5个商机", "top 5 deals by amount"])
def test_top_deals_ranked_by_amount(database: Database, data_dir: Path, question: str) -> None:
    tenant = pipeline_tenant(database, data_dir)
    with database.session() as session:
        largest = session.scalars(
            select(Opportunity.amount)
            .where(Opportunity.tenant_id == tenant.tenant.id, Opportunity.amount.is_not(None))
            .order_by(Opportunity.amount.desc())
            .limit(5)
        ).all()

    answer = ask_as(database, tenant, question)

    assert answer.query is not None, answer.clarification
    assert [group.field for group in answer.query.group_by] == ["name", "id"]
    assert answer.query.limit == 5
    assert [row[2] for row in answer.rows] == list(largest)
    assert answer.chart is not None
    assert (answer.chart.x, answer.chart.series) == ("name", None)
    assert answer.warnings == []
