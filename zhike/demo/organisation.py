"""Demo teams, sales users, products, accounts and contacts."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from zhike.customers.models import Account, Contact
from zhike.demo.context import DemoAccount, DemoContact, DemoContext, money, person
from zhike.demo.identifiers import credit_code, landline_number, mobile_number, resident_id_number
from zhike.demo.vocabulary import (
    CITIES,
    CONTACT_ROLES,
    INDUSTRIES,
    LEGAL_FORMS,
    PRODUCTS,
    REGIONS,
    TRADE_NAMES,
    City,
)
from zhike.sales.models import Product
from zhike.security.models import Team, User

ACCOUNT_COUNT = 300
CONTACT_COUNT = 900
REPS_PER_REGION = 4
SERVICE_AGENTS = 3
USER_DOMAIN = "demo.zhike.dev"

_ROADS = (
    "科技路",
    "创新大道",
    "中山路",
    "人民路",
    "建设路",
    "解放路",
    "长江路",
    "滨江大道",
    "软件园路",
)
# Bigger commercial centres get more accounts.
_CITY_WEIGHTS = [6 if city.name in ("上海", "北京", "深圳", "广州") else 3 for city in CITIES]


def build_organisation(context: DemoContext, password_hash: str) -> None:
    """A sales centre with a director, four regional teams, customer service and marketing."""
    rng = context.rng("organisation")
    created = context.start - timedelta(days=400)
    teams: dict[str, uuid.UUID] = {}
    team_rows: list[tuple[str, str | None, str | None]] = [("销售中心", None, None)]
    team_rows += [(f"{region}大区", "销售中心", region) for region in REGIONS]
    team_rows += [("客户服务部", None, None), ("市场部", None, None)]
    for name, parent, region in team_rows:
        teams[name] = context.add(
            Team,
            {
                "id": context.new_id(rng, created),
                "name": name,
                "parent_id": teams.get(parent) if parent else None,
                "region": region,
            },
            created,
        )
    context.writer.flush()

    used_emails: set[str] = set()

    def add_user(role: str, team: str, manager_id: uuid.UUID | None) -> uuid.UUID:
        someone = person(rng)
        email = f"{someone.pinyin}@{USER_DOMAIN}"
        suffix = 2
        while email in used_emails:
            email = f"{someone.pinyin}{suffix}@{USER_DOMAIN}"
            suffix += 1
        used_emails.add(email)
        return context.add(
            User,
            {
                "id": context.new_id(rng, created),
                "email": email,
                "display_name": someone.name,
                "password_hash": password_hash,
                "role": role,
                "team_id": teams[team],
                "manager_id": manager_id,
            },
            created,
        )

    managers: dict[uuid.UUID, uuid.UUID] = {}
    director = add_user("sales_director", "销售中心", None)
    managers[teams["销售中心"]] = director
    for region in REGIONS:
        manager = add_user("sales_manager", f"{region}大区", director)
        managers[teams[f"{region}大区"]] = manager
        context.managers_by_region[region] = manager
        context.reps_by_region[region] = [
            add_user("sales_rep", f"{region}大区", manager) for _ in range(REPS_PER_REGION)
        ]
    service_lead = add_user("service_agent", "客户服务部", None)
    managers[teams["客户服务部"]] = service_lead
    context.service_agents = [service_lead] + [
        add_user("service_agent", "客户服务部", service_lead) for _ in range(SERVICE_AGENTS)
    ]
    marketer = add_user("marketer", "市场部", None)
    managers[teams["市场部"]] = marketer
    context.marketers = [marketer]
    context.writer.link(Team, "manager_id", managers)


def build_products(context: DemoContext) -> None:
    rng = context.rng("products")
    created = context.start - timedelta(days=420)
    for spec in PRODUCTS:
        product_id = context.add(
            Product,
            {
                "id": context.new_id(rng, created),
                "name": spec.name,
                "code": spec.code,
                "series": spec.series,
                "list_price": spec.list_price,
                "currency": "CNY",
            },
            created,
        )
        context.products.append((product_id, spec))
    context.writer.flush()


def build_accounts(context: DemoContext) -> None:
    rng = context.rng("accounts")
    names: set[str] = set()
    drafts: list[tuple[datetime, City, str, str, str, str, str, str]] = []
    while len(drafts) < ACCOUNT_COUNT:
        city = rng.choices(CITIES, weights=_CITY_WEIGHTS)[0]
        trade, trade_pinyin = rng.choice(TRADE_NAMES)
        word, word_pinyin, industry = rng.choice(INDUSTRIES)
        legal_form = rng.choices(LEGAL_FORMS, weights=[weight for _, weight in LEGAL_FORMS])[0][0]
        name = f"{city.name}{trade}{word}{legal_form}"
        if name in names:
            continue
        names.add(name)
        # Most accounts predate the two years of pipeline; some arrive during them.
        earliest = context.start - timedelta(days=400)
        if rng.random() < 0.7:
            created = context.moment(rng, earliest, context.start)
        else:
            created = context.moment(rng, context.start, context.end - timedelta(days=30))
        drafts.append((created, city, trade, trade_pinyin, word, word_pinyin, industry, name))
    drafts.sort(key=lambda draft: draft[0])
    domains: set[str] = set()
    for created, city, trade, trade_pinyin, word, word_pinyin, industry, name in drafts:
        district, division_code = rng.choice(city.districts)
        domain = f"{trade_pinyin}-{word_pinyin}.example.com"
        if domain in domains:
            domain = f"{trade_pinyin}-{word_pinyin}-{city.area_code}.example.com"
        domains.add(domain)
        tier = rng.choices(("A", "B", "C"), weights=(10, 30, 60))[0]
        employees = {"A": (1000, 20000), "B": (200, 1500), "C": (20, 300)}[tier]
        employee_count = rng.randint(*employees)
        revenue = Decimal(employee_count * rng.randint(40, 160)) * 10_000
        owner = rng.choice(context.reps_by_region[city.region])
        account_id = context.add(
            Account,
            {
                "id": context.new_id(rng, created),
                "name": name,
                "industry": industry,
                "unified_social_credit_code": credit_code(rng, division_code),
                "phone": landline_number(rng, city.area_code),
                "email": f"info@{domain}",
                "website": f"https://www.{domain}",
                "country": "中国",
                "province": city.province,
                "city": city.name,
                "district": district,
                "address": f"{city.name}{district}{rng.choice(_ROADS)}{rng.randint(1, 999)}号",
                "tier": tier,
                "employee_count": employee_count,
                "founded_year": rng.randint(1992, 2021),
                "annual_revenue": money(revenue),
                "currency": "CNY",
                "owner_id": owner,
            },
            created,
        )
        context.accounts.append(
            DemoAccount(
                account_id, name, f"{trade}{word}", city, division_code, domain, owner, created
            )
        )
    context.writer.flush()


def build_contacts(context: DemoContext) -> None:
    rng = context.rng("contacts")
    per_account = {account.id: 2 for account in context.accounts}
    for _ in range(CONTACT_COUNT - 2 * len(context.accounts)):
        per_account[rng.choice(context.accounts).id] += 1
    for account in context.accounts:
        emails: set[str] = set()
        contacts = context.contacts_by_account.setdefault(account.id, [])
        for _ in range(per_account[account.id]):
            someone = person(rng)
            email = f"{someone.pinyin}@{account.domain}"
            if email in emails:
                email = f"{someone.pinyin}{len(emails)}@{account.domain}"
            emails.add(email)
            title, department = rng.choice(CONTACT_ROLES)
            created = context.moment(
                rng, account.created_at, min(account.created_at + timedelta(days=90), context.end)
            )
            values: dict[str, object] = {
                "id": context.new_id(rng, created),
                "name": someone.name,
                "account_id": account.id,
                "title": title,
                "department": department,
                "gender": "male" if someone.male else "female",
                "mobile": mobile_number(rng),
                "email": email,
                "country": "中国",
                "province": account.city.province,
                "city": account.city.name,
                "owner_id": account.owner_id,
            }
            if rng.random() < 0.3:
                birth = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 33))
                values["birth_date"] = birth
                values["id_number"] = resident_id_number(
                    rng, account.division_code, birth, someone.male
                )
            contact_id = context.add(Contact, values, created)
            contact = DemoContact(contact_id, account, someone.name)
            contacts.append(contact)
            context.contacts.append(contact)
    context.writer.flush()
