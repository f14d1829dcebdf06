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
from zhike.service.admin import create_policy
from zhike.service.desk import TicketDesk
from zhike.service.schemas import SlaPolicyBody, TicketIntake

from .conftest import save_screenshot
from .web_support import log_in

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
