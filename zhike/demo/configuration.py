"""Demo configuration: the settings a company makes before the desk, pool and quotes work.

A real tenant sets up SLA policies, a public pool, a price book and its first
FAQ entries before its people use those screens. Without them the demo's
ticket workspace shows no SLA, the pool is empty, every quote needs
hand-typed prices and the bot can answer nothing. Everything goes through
the same services an administrator would use, as the demo's administrator.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from zhike.demo.context import DemoContext
from zhike.knowledge.objects import KB_ARTICLES
from zhike.knowledge.schemas import ArticleCreate
from zhike.knowledge.service import KnowledgeService
from zhike.platform.field_catalog import choice_label
from zhike.platform.records import RecordService
from zhike.sales import pools
from zhike.sales.models import Lead
from zhike.sales.pool_schemas import PoolWrite
from zhike.sales.quote_schemas import PriceBookEntryWrite, PriceBookWrite
from zhike.sales.quotes import create_price_book, set_price_book_entries
from zhike.service.admin import create_policy, put_agent
from zhike.service.models import Ticket
from zhike.service.schemas import AgentProfileBody, SlaPolicyBody
from zhike.service.settings import tenant_calendar
from zhike.service.sla import apply_targets

# (priority, first response minutes, resolution minutes), in business hours.
SLA_TARGETS = (("urgent", 30, 240), ("high", 60, 480), ("normal", 240, 1440), ("low", 480, 2880))
POOLED_LEADS = 30

# (standard question, similar questions, answer, category)
FAQ = (
    (
        "如何重置登录密码？",
        ["忘记密码怎么办", "密码找回", "登录不了提示密码错误"],
        "在登录页点击“忘记密码”，输入注册邮箱，系统会发送重置链接，链接 30 分钟内有效。",
        "账号与登录",
    ),
    (
        "发票什么时候开具？",
        ["怎么开发票", "发票多久能收到", "可以开专票吗"],
        "合同回款到账后 5 个工作日内开具发票，支持增值税普通发票和专用发票，"
        "电子发票发送到联系人邮箱。",
        "财务与发票",
    ),
    (
        "产品试用期有多长？",
        ["能免费试用吗", "试用多久", "试用到期怎么办"],
        "标准版和专业版均可免费试用 30 天，到期后数据保留 60 天，签约后可继续使用。",
        "购买与试用",
    ),
    (
        "数据存放在哪里？",
        ["数据安全吗", "支持私有化部署吗", "数据会出境吗"],
        "云服务数据存放在中国境内的数据中心；也支持私有化部署，数据完全保存在贵司自己的服务器上。",
        "安全与合规",
    ),
    (
        "如何联系售后技术支持？",
        ["客服电话多少", "出了故障找谁", "技术支持工作时间"],
        "工作日 9:00–18:00 可拨打 400-800-1234 或在线提交工单；紧急故障 7×24 小时受理。",
        "售后服务",
    ),
    (
        "合同续约需要准备什么？",
        ["怎么续费", "续约流程", "到期前多久续约"],
        "到期前 30 天客户成功经理会联系您，确认用量和版本后生成续约报价，盖章回传即可。",
        "购买与试用",
    ),
)


def build_configuration(context: DemoContext) -> None:
    session, actor = context.session, context.actor
    for priority, first_response, resolution in SLA_TARGETS:
        create_policy(
            session,
            actor,
            SlaPolicyBody(
                name=f"标准 SLA（{choice_label('tickets', 'priority', priority, 'zh-CN')}）",
                priority=priority,
                first_response_minutes=first_response,
                resolution_minutes=resolution,
            ),
        )

    # The service team takes tickets, so routing and each agent's own queue work.
    for agent_id in context.service_agents:
        put_agent(session, actor, agent_id, AgentProfileBody(max_open_tickets=40))

    # Tickets written before the policies existed get their due times now, as
    # they would have on arrival.
    calendar = tenant_calendar(session, actor.tenant_id)
    waiting = session.scalars(
        select(Ticket).where(
            Ticket.tenant_id == actor.tenant_id, Ticket.status.in_(("new", "open", "pending"))
        )
    )
    for ticket in waiting:
        apply_targets(session, ticket, calendar)
    session.flush()

    book = create_price_book(
        session, actor, PriceBookWrite(name="2026 标准价格表", currency="CNY", is_default=True)
    )
    entries = [
        PriceBookEntryWrite(product_id=product_id, unit_price=spec.list_price)
        for product_id, spec in context.products
        if spec.list_price > Decimal(0)
    ]
    set_price_book_entries(session, actor, book.id, entries)

    pool = pools.create_pool(
        session,
        actor,
        PoolWrite(
            name="华东线索公海",
            description="无人跟进的华东线索，销售可认领",
            provinces=["上海市", "江苏省", "浙江省"],
            max_owned_per_user=50,
            max_claims_per_day=10,
            return_after_days_without_activity=14,
            is_default=True,
        ),
    )
    open_leads = session.scalars(
        select(Lead.id)
        .where(Lead.tenant_id == actor.tenant_id, Lead.status == "new")
        .order_by(Lead.created_at, Lead.id)
        .limit(POOLED_LEADS)
    ).all()
    for lead_id in open_leads:
        pools.release(session, actor, "leads", lead_id, "演示：放入公海", pool_id=pool.id)

    records = RecordService(session, actor, KB_ARTICLES)
    knowledge = KnowledgeService(session, actor)
    for question, similar, answer, category in FAQ:
        article = records.create(
            ArticleCreate(
                kind="faq",
                title=question,
                body=answer,
                similar_questions=similar,
                category=category,
            )
        )
        knowledge.transition(article.id, "publish", None)
