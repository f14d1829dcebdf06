"""Browser tests of the ticket workspace and the bot test chat."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.knowledge.schemas import ArticleCreate
from zhike.knowledge.service import KnowledgeService
from zhike.security.admin import create_user
from zhike.security.schemas import UserCreate
from zhike.service.admin import create_policy
from zhike.service.desk import TicketDesk
from zhike.service.schemas import SlaPolicyBody, TicketIntake

from .conftest import save_screenshot
from .web_support import USER_PASSWORD, log_in

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _publish(database: Database, tenant: TenantInfo, title: str, answer: str) -> None:
    with database.session() as session:
        service = KnowledgeService(session, tenant.actor)
        article = service.records.create(ArticleCreate(kind="faq", title=title, body=answer))
        service.transition(article.id, "publish", None)


def _tickets(database: Database, tenant: TenantInfo) -> None:
    with database.session() as session:
        create_policy(
            session,
            tenant.actor,
            SlaPolicyBody(
                name="全天候",
                priority="urgent",
                first_response_minutes=30,
                resolution_minutes=240,
                uses_business_hours=False,
            ),
        )
        desk = TicketDesk(session, tenant.actor)
        desk.intake(
            "web_form",
            TicketIntake(subject="无法登录账号", description="忘记密码了，怎么重置？"),
        )
        desk.intake(
            "email",
            TicketIntake(
                subject="系统崩溃无法下单",
                description="下单页面一直报错",
                priority="urgent",
                opened_at=utc_now() - timedelta(minutes=10),
            ),
        )


def test_workspace_queue_conversation_and_draft(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    _publish(database, tenant, "忘记密码怎么重置", "在登录页点击“忘记密码”，用手机验证码重置。")
    _tickets(database, tenant)

    page.goto("/service/workspace")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="工单工作台")).to_be_visible()
    queue = page.get_by_test_id("ticket-queue")
    rows = queue.locator("tbody tr")
    expect(rows).to_have_count(2)
    # The urgent ticket with a running SLA clock comes first, with a live countdown.
    expect(rows.nth(0)).to_contain_text("系统崩溃无法下单")
    timer = rows.nth(0).get_by_test_id("sla-timer")
    expect(timer).to_contain_text("0:19:")
    first_reading = timer.inner_text()
    expect(timer).not_to_have_text(first_reading)
    expect(rows.nth(1)).to_contain_text("无 SLA")

    queue.get_by_role("button", name="T000001").click()
    expect(page.get_by_test_id("ticket-title")).to_contain_text("无法登录账号")
    expect(page.get_by_test_id("conversation")).to_contain_text("忘记密码了，怎么重置？")
    expect(page.get_by_test_id("suggested-articles")).to_contain_text("忘记密码怎么重置")
    page.get_by_test_id("use-draft").click()
    expect(page.get_by_label("回复内容")).to_have_value(
        "您好，关于“无法登录账号”：\n在登录页点击“忘记密码”，用手机验证码重置。\n"
        "如仍有疑问，请直接回复本消息。"
    )
    save_screenshot(page, "service-workspace")
    page.get_by_role("button", name="发送").click()
    expect(page.get_by_text("已发送")).to_be_visible()
    expect(page.get_by_test_id("conversation").locator("li")).to_have_count(2)
    expect(page.get_by_test_id("ticket-events")).to_contain_text("首次响应")


def test_bot_chat_answers_and_hands_off(page: Any, database: Database, tenant: TenantInfo) -> None:
    _publish(database, tenant, "信用卡怎么还款", "在 App 首页点击“还款”即可。")

    page.goto("/service/bot")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="客服机器人测试")).to_be_visible()
    chat = page.get_by_test_id("bot-chat")
    expect(chat).to_contain_text("我是智能客服")

    page.get_by_label("客户消息").fill("信用卡怎么还款？")
    page.get_by_role("button", name="发送").click()
    expect(chat).to_contain_text("在 App 首页点击“还款”即可。")
    expect(chat.get_by_test_id("bot-citations")).to_contain_text("来源：信用卡怎么还款")

    page.get_by_role("button", name="转人工").click()
    expect(chat).to_contain_text("已为您转接人工客服，工单号 T000001")
    save_screenshot(page, "service-bot")


def _resolved_ticket(database: Database, tenant: TenantInfo) -> str:
    with database.session() as session:
        agent = create_user(
            session,
            tenant.actor,
            UserCreate(
                email=f"li@{tenant.slug}.example.com",
                display_name="李客服",
                password=USER_PASSWORD,
                role="service_agent",
            ),
        )
        create_policy(
            session,
            tenant.actor,
            SlaPolicyBody(
                name="紧急工单",
                priority="urgent",
                first_response_minutes=30,
                resolution_minutes=240,
                uses_business_hours=False,
            ),
        )
        desk = TicketDesk(session, tenant.actor)
        ticket = desk.intake("phone", TicketIntake(subject="打印机无法连接", priority="urgent"))
        desk.assign(ticket.id, agent.id, None)
        desk.change_status(ticket.id, "resolved", None, None)
        return str(ticket.id)


def test_ticket_record_page_shows_labels_and_names(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    ticket_id = _resolved_ticket(database, tenant)

    page.goto(f"/tickets/{ticket_id}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)

    fields = page.get_by_test_id("record-fields")
    expect(fields).to_contain_text("首次响应截止时间")
    expect(fields).not_to_contain_text("first_response_due_at")
    expect(fields).not_to_contain_text("sla_paused_seconds")
    expect(page.get_by_test_id("field-status")).to_have_text("已解决")
    expect(page.get_by_test_id("field-priority")).to_have_text("紧急")
    expect(page.get_by_test_id("field-channel")).to_have_text("电话")
    expect(page.get_by_test_id("field-assignee_id")).to_have_text("李客服")
    expect(page.get_by_test_id("field-sla_policy_id")).to_have_text("紧急工单")
    expect(page.get_by_test_id("field-sla_paused_seconds")).to_have_text("0秒钟")
    due = page.get_by_test_id("field-first_response_due_at")
    expect(due).to_contain_text(f"{utc_now().year}年")
    routing = page.get_by_test_id("routing-assignment")
    expect(routing).to_contain_text("李客服")
    expect(routing).to_contain_text("手工指派")
    # The number and the SLA fields are maintained by the desk, so they have no edit button.
    expect(page.get_by_test_id("edit-subject")).to_be_visible()
    expect(page.get_by_test_id("edit-number")).to_have_count(0)
    expect(page.get_by_test_id("edit-sla_paused_seconds")).to_have_count(0)
    expect(page.get_by_test_id("edit-first_response_due_at")).to_have_count(0)
    save_screenshot(page, "ticket-record")

    page.get_by_test_id("language-en").click()
    expect(fields).to_contain_text("First response due")
    expect(page.get_by_test_id("field-status")).to_have_text("Resolved")
    expect(page.get_by_test_id("field-priority")).to_have_text("Urgent")


def test_ticket_list_shows_choice_labels(page: Any, database: Database, tenant: TenantInfo) -> None:
    _resolved_ticket(database, tenant)

    page.goto("/tickets")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)

    row = page.get_by_role("link", name="打印机无法连接")
    expect(row).to_be_visible()
    table = page.locator(".el-table-v2")
    expect(table).to_contain_text("已解决")
    expect(table).to_contain_text("紧急")
    expect(table).to_contain_text("李客服")
    expect(table).not_to_contain_text("resolved")


def test_ticket_list_filters_by_picked_status(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    _resolved_ticket(database, tenant)
    with database.session() as session:
        TicketDesk(session, tenant.actor).intake("phone", TicketIntake(subject="发票抬头错误"))

    page.goto("/tickets")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("link", name="发票抬头错误")).to_be_visible()

    # Mouse clicks only: picking from a menu must not close the filter pop-up.
    page.get_by_test_id("add-filter").click()
    page.get_by_role("combobox", name="字段").click()
    page.get_by_role("option", name="状态", exact=True).click()
    page.locator(".el-select:has(#zk-filter-value)").click()
    page.get_by_role("option", name="已解决", exact=True).click()
    page.get_by_role("button", name="应用").click()

    expect(page.get_by_test_id("active-filters")).to_contain_text("已解决")
    expect(page.get_by_role("link", name="打印机无法连接")).to_be_visible()
    expect(page.get_by_role("link", name="发票抬头错误")).to_have_count(0)
