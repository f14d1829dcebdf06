"""The seeded Chinese demo data set: same seed and day, same records."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from zhike.core.timeutil import load_zone, utc_now
from zhike.customers.quality import recompute_scores
from zhike.customers.quality_rules import QUALITY_OBJECTS
from zhike.demo.configuration import build_configuration
from zhike.demo.context import DemoContext
from zhike.demo.engagement import build_activities, build_campaigns, build_tickets
from zhike.demo.organisation import (
    build_accounts,
    build_contacts,
    build_organisation,
    build_products,
)
from zhike.demo.pipeline import build_leads, build_opportunities
from zhike.demo.sales_process import build_sales_process
from zhike.demo.targets import build_targets
from zhike.demo.writer import DemoWriter
from zhike.security.auth import actor_for, hash_password
from zhike.security.models import Tenant, User
from zhike.security.tenants import create_tenant

logger = logging.getLogger(__name__)

DEFAULT_SEED = 20_240_601
DEMO_TENANT_SLUG = "demo"
DEMO_TENANT_NAME = "星河智联科技有限公司（演示）"
DEMO_ADMIN_EMAIL = "admin@demo.zhike.dev"
# A fixed, printed password: the demo is a local sandbox and refuses to run in production.
DEMO_PASSWORD = "zhike-demo-2026"  # noqa: S105

# Steps in the order they must run; each name has an i18n key "demo.step.<name>".
STEPS: tuple[tuple[str, Callable[[DemoContext], None]], ...] = (
    ("products", build_products),
    ("accounts", build_accounts),
    ("contacts", build_contacts),
    ("opportunities", build_opportunities),
    ("leads", build_leads),
    ("activities", build_activities),
    ("tickets", build_tickets),
    ("campaigns", build_campaigns),
    ("targets", build_targets),
)
# "configuration" runs after the bulk-written records are flushed, because it
# goes through the services, which read what the earlier steps wrote.
STEP_NAMES = (
    "organisation",
    *(name for name, _ in STEPS),
    "configuration",
    "sales_process",
    "quality",
)


def create_demo_tenant(session: Session) -> tuple[Tenant, User]:
    return create_tenant(
        session,
        DEMO_TENANT_SLUG,
        DEMO_TENANT_NAME,
        DEMO_ADMIN_EMAIL,
        DEMO_PASSWORD,
        admin_name="演示管理员",
    )


def generate_demo(
    session: Session,
    tenant: Tenant,
    admin: User,
    *,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Fill ``tenant`` with the demo data set and return the rows written per table.

    Everything happens before the start of ``today`` (default: today in the
    tenant's zone) except open tasks and campaigns planned for the coming weeks.
    """
    if today is None:
        today = utc_now().astimezone(load_zone(tenant.timezone)).date()
    actor = actor_for(tenant, admin)
    context = DemoContext(
        session=session,
        actor=actor,
        writer=DemoWriter(session, actor),
        seed=seed,
        today=today,
        zone_name=tenant.timezone,
    )
    if on_step:
        on_step("organisation")
    # Every demo user shares the demo password; one hash keeps generation fast.
    build_organisation(context, hash_password(DEMO_PASSWORD))
    for name, step in STEPS:
        if on_step:
            on_step(name)
        step(context)
    context.writer.flush()
    if on_step:
        on_step("configuration")
    build_configuration(context)
    if on_step:
        on_step("sales_process")
    build_sales_process(context)
    if on_step:
        on_step("quality")
    # The bulk writer skips the score normaliser, and the later steps change what
    # freshness and reference rules read: score last, under the rules in force now.
    for object_name in QUALITY_OBJECTS:
        recompute_scores(session, actor, object_name)
    counts = dict(sorted(context.writer.counts.items()))
    logger.info("demo data generated", extra={"tenant": tenant.slug, "rows": sum(counts.values())})
    return counts
