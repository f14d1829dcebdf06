"""Agent screens: the runs list, a run's plan and steps, rejecting a step, the live trace."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from testkit import TenantInfo

from zhike.ai.agents.executor import advance_run
from zhike.ai.agents.schemas import RunCreate
from zhike.ai.agents.service import AgentService
from zhike.core.db import Database
from zhike.platform.records import RecordService
from zhike.sales.objects import LEADS

from .conftest import save_screenshot
from .web_support import log_in

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def waiting_run(database: Database, tenant: TenantInfo) -> str:
    """A lead-conversion run that waits for approval of its email to the lead."""
    actor = tenant.actor
    with database.session() as session:
        service = AgentService(session, actor, enqueue=lambda tenant_id, run_id: None)
        # With an SMTP server configured, sending the email is an approval step.
        service.update_setting(
            "lead_conversion",
            None,
            {"smtp": {"host": "127.0.0.1", "port": 2525, "sender": "sales@example.com"}},
        )
        lead = RecordService(session, actor, LEADS).create(
            {
                "name": "林晓",
                "company": "宁波海曙智造有限公司",
                "title": "生产总监",
                "email": "lin.xiao@haishu.example.com",
                "mobile": "13712345678",
                "status": "new",
            }
        )
        run = service.start(RunCreate(agent="lead_conversion", subject_id=lead.id))
        run_id = run.id
    advance_run(database, tenant.tenant.id, run_id)
    return str(run_id)


def test_run_page_reject_and_live_trace(page, database: Database, tenant: TenantInfo) -> None:
    run_id = waiting_run(database, tenant)

    page.goto("/agents/runs")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="智能体", exact=True)).to_be_visible()
    runs = page.get_by_test_id("agent-runs")
    expect(runs.get_by_text("等待审批")).to_be_visible()
    save_screenshot(page, "agents-runs")

    runs.get_by_role("link", name="线索转化").click()
    expect(page.get_by_role("heading", name="推动新线索转化")).to_be_visible()
    expect(page.get_by_test_id("run-status")).to_have_text("等待审批")
    expect(page.get_by_test_id("run-plans").get_by_text("邮件加电话跟进（已选用）")).to_be_visible()
    expect(page.get_by_test_id("run-plans").get_by_text("先电话联系")).to_be_visible()
    trace = page.get_by_test_id("run-trace")
    expect(trace.get_by_text("请求审批")).to_be_visible()
    expect(trace).not_to_contain_text("13712345678")
    save_screenshot(page, "agents-run-waiting")

    send_row = page.get_by_test_id("run-steps").get_by_role("row", name="发送跟进邮件")
    send_row.get_by_role("button", name="拒绝").click()
    page.get_by_role("dialog").get_by_role("button", name="确认").click()
    expect(page.get_by_text("已拒绝，该步骤将被跳过")).to_be_visible()

    # A worker would pick the run up now; the test advances it, and the page hears it live.
    advance_run(database, tenant.tenant.id, uuid.UUID(run_id))
    expect(page.get_by_test_id("run-status")).to_have_text("已完成")
    expect(trace.get_by_text("结果评估")).to_be_visible()
    expect(send_row.get_by_text("已跳过")).to_be_visible()
    save_screenshot(page, "agents-run-done")
