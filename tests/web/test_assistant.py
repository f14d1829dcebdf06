"""The assistant panel: a question answered as a table and a chart, and a question asked back."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService

from .conftest import save_screenshot
from .web_support import add_user, log_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ai" / "llm"))

from llm_fake_server import FakeLLMServer, chat_reply, stream_reply
from llm_support import add_provider, set_policy

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _add_deals(database: Database, tenant: TenantInfo) -> None:
    north = add_user(database, tenant, "zhao", "sales_rep")
    south = add_user(database, tenant, "qian", "sales_rep")
    with database.session() as session:
        deals = RecordService(session, tenant.actor, get_object("opportunities"))
        for owner, amount in ((north.id, "120000"), (north.id, "80000"), (south.id, "230000")):
            deals.create(
                {
                    "name": "云服务器项目",
                    "owner_id": owner,
                    "stage": "won",
                    "amount": amount,
                    "closed_on": date(2026, 1, 5),
                }
            )


def test_question_answered_as_table_and_chart(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    _add_deals(database, tenant)
    page.goto("/")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_test_id("assistant-toggle").click()
    panel = page.get_by_role("complementary", name="AI 助手")

    panel.get_by_label("向 AI 助手提问").fill("每个销售的赢单金额")
    panel.get_by_role("button", name="发送").click()

    table = panel.get_by_test_id("assistant-table")
    # The first question of a fresh server process also trains the intent model.
    expect(table).to_contain_text("zhao", timeout=30_000)
    expect(table).to_contain_text("200,000.00")
    expect(table).to_contain_text("230,000.00")
    expect(panel.get_by_role("img", name="图表：金额 · 合计")).to_be_visible()
    expect(panel.get_by_text("数据查询")).to_be_visible()
    save_screenshot(page, "assistant-answer")


def test_ambiguous_region_is_asked_back(page: Any, database: Database, tenant: TenantInfo) -> None:
    _add_deals(database, tenant)
    page.goto("/")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_test_id("assistant-toggle").click()
    panel = page.get_by_role("complementary", name="AI 助手")

    panel.get_by_label("向 AI 助手提问").fill("上季度华东区赢单金额最高的三个销售是谁？")
    panel.get_by_label("向 AI 助手提问").press("Enter")

    expect(panel.get_by_test_id("assistant-clarification")).to_contain_text("华东", timeout=30_000)
    expect(panel.get_by_test_id("assistant-table")).to_have_count(0)
    save_screenshot(page, "assistant-clarification")


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    yield server
    server.stop()


def _call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"call-{name}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


def test_model_summary_streams_into_panel(
    page: Any, database: Database, tenant: TenantInfo, llm_server: FakeLLMServer
) -> None:
    _add_deals(database, tenant)
    set_policy(database, tenant.tenant.id)
    add_provider(database, tenant.tenant.id, llm_server.base_url)
    pieces = ["钱敏赢单 230,000.00 元，", "赵磊 200,000.00 元。"]
    llm_server.script.extend(
        [
            chat_reply(None, [_call("set_intent", {"intent": "query_data"})]),
            chat_reply(
                None,
                [
                    _call(
                        "run_report_query",
                        {
                            "object": "opportunities",
                            "filters": [{"field": "stage.key", "op": "eq", "value": "won"}],
                            "group_by": [{"field": "owner.display_name"}],
                            "measures": [{"aggregate": "sum", "field": "amount"}],
                        },
                    )
                ],
            ),
            stream_reply(pieces),
        ]
    )
    page.goto("/")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_test_id("assistant-toggle").click()
    panel = page.get_by_role("complementary", name="AI 助手")

    panel.get_by_label("向 AI 助手提问").fill("每个销售的赢单金额")
    panel.get_by_role("button", name="发送").click()

    expect(panel.get_by_test_id("assistant-table")).to_contain_text("230,000.00", timeout=30_000)
    expect(panel.get_by_test_id("assistant-summary")).to_have_text("".join(pieces))
    expect(panel.get_by_text("数据查询")).to_be_visible()
    save_screenshot(page, "assistant-summary")


def _add_staged_deals(database: Database, tenant: TenantInfo) -> None:
    owner = add_user(database, tenant, "sun", "sales_rep")
    with database.session() as session:
        deals = RecordService(session, tenant.actor, get_object("opportunities"))
        for stage in ("proposal", "proposal", "won"):
            deals.create(
                {
                    "name": "私有云项目",
                    "owner_id": owner.id,
                    "stage": stage,
                    "amount": "50000",
                    "closed_on": date(2026, 1, 5) if stage == "won" else None,
                }
            )


def test_stage_labels_and_ignored_words_warning(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    _add_staged_deals(database, tenant)
    page.goto("/")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_test_id("assistant-toggle").click()
    panel = page.get_by_role("complementary", name="AI 助手")

    panel.get_by_label("向 AI 助手提问").fill("下下个月各阶段的商机数量")
    panel.get_by_role("button", name="发送").click()

    table = panel.get_by_test_id("assistant-table")
    expect(table).to_contain_text("报价谈判", timeout=30_000)
    expect(table).to_contain_text("赢单")
    expect(table).not_to_contain_text("proposal")
    # The pie shortens long slice names, so the chart is checked for the short label.
    expect(panel.get_by_test_id("assistant-chart")).to_contain_text("赢单")
    expect(panel.get_by_test_id("assistant-chart")).not_to_contain_text("proposal")
    expect(panel.get_by_test_id("assistant-warning")).to_contain_text("下下个月")
    save_screenshot(page, "assistant-warning")
