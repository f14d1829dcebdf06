"""A small sales tenant for the question tests: two regions, two reps, a director, a few deals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.sales.models import Opportunity, PipelineStage, Product
from zhike.security.models import Team, User


@dataclass
class SmallTenant:
    tenant: TenantInfo
    north_rep: uuid.UUID
    south_rep: uuid.UUID
    director: uuid.UUID
    director_email: str
    north_rep_email: str


# (rep, product, stage, amount, closed on)
DEALS = (
    ("north", "云服务器", "won", "120000", date(2017, 8, 3)),
    ("north", "云服务器", "won", "80000", date(2017, 9, 20)),
    ("north", "数据库", "lost", "50000", date(2017, 8, 30)),
    ("south", "数据库", "won", "200000", date(2017, 7, 15)),
    ("south", "云服务器", "won", "30000", date(2017, 10, 2)),
    ("south", "云服务器", "engaging", "60000", None),
)


def seed_small_tenant(
    database: Database, tenant: TenantInfo, regions: tuple[str, str]
) -> SmallTenant:
    """Create teams with ``regions`` (an empty string: no region), two reps, a director, deals."""
    tenant_id = tenant.tenant.id
    with database.session() as session:
        teams = []
        for index, region in enumerate(regions):
            team = Team(tenant_id=tenant_id, name=f"销售{index + 1}组", region=region or None)
            session.add(team)
            teams.append(team)
        session.flush()
        people = {}
        for key, name, team in (("north", "赵磊", teams[0]), ("south", "钱敏", teams[1])):
            user = User(
                tenant_id=tenant_id,
                email=f"{key}@{tenant.slug}.example.com",
                display_name=name,
                role="sales_rep",
                team_id=team.id,
            )
            session.add(user)
            people[key] = user
        director = User(
            tenant_id=tenant_id,
            email=f"director@{tenant.slug}.example.com",
            display_name="孙总",
            role="sales_director",
        )
        session.add(director)
        products = {
            name: Product(tenant_id=tenant_id, name=name) for name in ("云服务器", "数据库")
        }
        session.add_all(products.values())
        session.flush()
        stages = {
            stage.key: stage.id
            for stage in session.scalars(
                select(PipelineStage).where(PipelineStage.tenant_id == tenant_id)
            )
        }
        for owner, product, stage, amount, closed_on in DEALS:
            session.add(
                Opportunity(
                    tenant_id=tenant_id,
                    name=f"{product}项目",
                    owner_id=people[owner].id,
                    product_id=products[product].id,
                    stage_id=stages[stage],
                    amount=Decimal(amount),
                    closed_on=closed_on,
                )
            )
        session.flush()
        return SmallTenant(
            tenant,
            people["north"].id,
            people["south"].id,
            director.id,
            director.email,
            people["north"].email,
        )
