"""Import each public data set and compare counts and sums with figures computed by pandas."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from ingestion_helpers import count
from sqlalchemy import func, select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.customers.models import Account, Contact
from zhike.ingestion.importer import run_import
from zhike.marketing.models import Campaign, CampaignMember
from zhike.sales.models import Lead, Opportunity, OpportunityStageChange, PipelineStage
from zhike.security.models import Team, User

pytestmark = pytest.mark.slow


def test_crm_pipeline(database: Database, tenant: TenantInfo, data_dir: Path) -> None:
    folder = data_dir / "crm_sales_opportunities"
    pipeline = pd.read_csv(folder / "sales_pipeline.csv", dtype=str)
    teams = pd.read_csv(folder / "sales_teams.csv", dtype=str)

    result = run_import(database, tenant.slug, "crm-pipeline", folder)

    assert result.status == "succeeded", result.error
    assert result.rows_rejected == 0
    tenant_id = tenant.tenant.id
    assert count(database, Opportunity, tenant_id) == len(pipeline)
    assert count(database, Account, tenant_id) == 85
    offices, managers = teams["regional_office"].nunique(), teams["manager"].nunique()
    assert count(database, Team, tenant_id) == offices + managers
    # The administrator plus every manager and agent.
    assert count(database, User, tenant_id) == 1 + managers + teams["sales_agent"].nunique()
    assert count(database, OpportunityStageChange, tenant_id) == len(pipeline)

    won = pipeline[pipeline["deal_stage"] == "Won"].copy()
    won["close_value"] = won["close_value"].map(Decimal)
    expected = {
        agent: (len(group), sum(group["close_value"], Decimal(0)))
        for agent, group in won.groupby("sales_agent")
    }
    with database.session() as session:
        rows = session.execute(
            select(User.display_name, func.count(), func.sum(Opportunity.amount))
            .join(User, User.id == Opportunity.owner_id)
            .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
            .where(Opportunity.tenant_id == tenant_id, PipelineStage.key == "won")
            .group_by(User.display_name)
        ).all()
    assert {name: (number, Decimal(total)) for name, number, total in rows} == expected
    assert count(database, Opportunity, tenant_id, Opportunity.account_id.is_(None)) == int(
        pipeline["account"].isna().sum()
    )


def test_telco_churn(database: Database, tenant: TenantInfo, data_dir: Path) -> None:
    folder = data_dir / "telco_customer_churn"
    frame = pd.read_csv(folder / "WA_Fn-UseC_-Telco-Customer-Churn.csv", dtype=str)

    result = run_import(database, tenant.slug, "telco-churn", folder)

    assert result.status == "succeeded", result.error
    tenant_id = tenant.tenant.id
    assert count(database, Account, tenant_id) == len(frame)
    assert count(database, Contact, tenant_id) == len(frame)
    churned = int((frame["Churn"] == "Yes").sum())
    assert count(database, Account, tenant_id, Account.is_churned.is_(True)) == churned
    with database.session() as session:
        account = session.scalar(
            select(Account).where(
                Account.tenant_id == tenant_id, Account.external_id == "7590-VHVEG"
            )
        )
    assert account is not None
    assert account.custom["tenure_months"] == 1
    assert account.custom["internet_service"] == "DSL"
    assert Decimal(account.custom["monthly_charges"]) == Decimal("29.85")


def test_lead_funnel(database: Database, tenant: TenantInfo, data_dir: Path) -> None:
    folder = data_dir / "olist_marketing_funnel"
    leads = pd.read_csv(folder / "olist_marketing_qualified_leads_dataset.csv", dtype=str)
    deals = pd.read_csv(folder / "olist_closed_deals_dataset.csv", dtype=str)

    result = run_import(database, tenant.slug, "lead-funnel", folder)

    assert result.status == "succeeded", result.error
    tenant_id = tenant.tenant.id
    assert count(database, Lead, tenant_id) == len(leads)
    converted = deals["mql_id"].nunique()
    assert count(database, Lead, tenant_id, Lead.status == "converted") == converted
    assert count(database, Lead, tenant_id, Lead.converted_opportunity_id.is_not(None)) == converted
    assert count(database, Opportunity, tenant_id, Opportunity.lead_id.is_not(None)) == converted
    organic = int((leads["origin"] == "organic_search").sum())
    assert count(database, Lead, tenant_id, Lead.lead_source == "organic_search") == organic


def test_bank_campaign(database: Database, tenant: TenantInfo, data_dir: Path) -> None:
    folder = data_dir / "bank_marketing"
    frame = pd.read_csv(folder / "bank-additional-full.csv", sep=";", dtype=str)

    result = run_import(database, tenant.slug, "bank-campaign", folder)

    assert result.status == "succeeded", result.error
    tenant_id = tenant.tenant.id
    assert count(database, Contact, tenant_id) == len(frame)
    assert count(database, Campaign, tenant_id) == frame["month"].nunique()
    assert count(database, CampaignMember, tenant_id) == len(frame)
    expected = frame[frame["y"] == "yes"].groupby("month").size().to_dict()
    with database.session() as session:
        rows = session.execute(
            select(Campaign.external_id, func.count())
            .join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
            .where(Campaign.tenant_id == tenant_id, CampaignMember.has_responded.is_(True))
            .group_by(Campaign.external_id)
        ).all()
    assert dict(rows) == expected
