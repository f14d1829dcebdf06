"""Feature frames built from a tenant's CRM records, one builder per template.

Behaviour is counted only up to each record's reference time: the outcome time
for records whose outcome is known, now for open ones. That keeps activities
logged after a deal was won from teaching the model that activity causes wins.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhike.ai.models.templates import Template
from zhike.core.timeutil import utc_now
from zhike.customers.models import Account, Contact
from zhike.marketing.models import Campaign, CampaignMember
from zhike.sales.models import Activity, Lead, Opportunity, PipelineStage, Product
from zhike.service.models import Ticket

# A lead with no outcome after this many days since first contact counts as not converted.
LEAD_OUTCOME_DAYS = 180
CUSTOM_FIELD_LIMIT = 40

Only = list[uuid.UUID] | None


@dataclass
class FeatureSet:
    """Features of every live record of a template's object, with labels where known."""

    record_ids: list[uuid.UUID]
    frame: pd.DataFrame
    labels: pd.Series  # NaN (or None for text) where the outcome is not known yet
    times: pd.Series  # reference time of each record, for windows and fingerprints
    texts: list[str] | None = None
    extra: dict[str, Any] | None = None

    def labelled(self) -> np.ndarray:
        return np.asarray(self.labels.notna().to_numpy(), dtype=bool)


def _rows(session: Session, statement: Any) -> pd.DataFrame:
    result = session.execute(statement)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


# A tenant's custom field named like a built-in feature (e.g. "age") keeps both.
CUSTOM_SUFFIX = "_custom"


def _custom_columns(values: pd.Series, excluded: tuple[str, ...], prefix: str = "") -> pd.DataFrame:
    """Scalar custom field values as columns, so a tenant's own fields become features."""
    records = [value if isinstance(value, dict) else {} for value in values]
    frame = pd.DataFrame.from_records(records, index=values.index)
    keep = []
    for name in frame.columns:
        if name in excluded or str(name).startswith("_"):
            continue
        column = frame[name]
        if column.map(lambda item: isinstance(item, dict | list)).any():
            continue
        keep.append(name)
    frame = frame[keep[:CUSTOM_FIELD_LIMIT]]
    for name in frame.columns:
        numeric = pd.to_numeric(frame[name], errors="coerce")
        if numeric.notna().sum() >= 0.9 * frame[name].notna().sum() and frame[name].notna().any():
            frame[name] = numeric
        else:
            frame[name] = frame[name].astype("object")
    return frame.rename(columns=lambda name: f"{prefix}{name}")


def _as_utc(series: pd.Series) -> pd.Series:
    # One resolution everywhere, so that filling one time column from another is exact.
    return pd.to_datetime(series, utc=True, errors="coerce").astype("datetime64[ns, UTC]")


def behaviour(
    events: pd.DataFrame,
    key: str,
    reference: pd.Series,
    windows: tuple[int, ...],
    prefix: str,
    kinds: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Counts per window and per kind, and days since the last event, before each reference time."""
    index = reference.index
    columns: dict[str, Any] = {}
    if events.empty:
        for days in windows:
            columns[f"{prefix}_{days}d"] = np.zeros(len(index))
        for kind in kinds:
            columns[f"{kind}_count"] = np.zeros(len(index))
        columns[f"days_since_last_{prefix.removesuffix('s')}"] = np.full(len(index), np.nan)
        return pd.DataFrame(columns, index=index)
    joined = events.join(reference.rename("reference"), on=key, how="inner")
    joined = joined[joined["at"] <= joined["reference"]]
    age = (joined["reference"] - joined["at"]).dt.total_seconds() / 86400.0
    for days in windows:
        counts = joined[age <= days].groupby(key).size()
        columns[f"{prefix}_{days}d"] = counts.reindex(index, fill_value=0).to_numpy(dtype=float)
    for kind in kinds:
        counts = joined[joined["kind"] == kind].groupby(key).size()
        columns[f"{kind}_count"] = counts.reindex(index, fill_value=0).to_numpy(dtype=float)
    last = age.groupby(joined[key]).min()
    columns[f"days_since_last_{prefix.removesuffix('s')}"] = last.reindex(index).to_numpy(
        dtype=float
    )
    return pd.DataFrame(columns, index=index)


def _activities(
    session: Session, tenant_id: uuid.UUID, key: str, only: Only = None
) -> pd.DataFrame:
    column = getattr(Activity, key)
    statement = select(column.label(key), Activity.kind, Activity.occurred_at.label("at")).where(
        Activity.tenant_id == tenant_id, Activity.deleted_at.is_(None), column.is_not(None)
    )
    if only is not None:
        statement = statement.where(column.in_(only))
    frame = _rows(session, statement)
    if not frame.empty:
        frame["at"] = _as_utc(frame["at"])
    return frame


def _activity_features(
    session: Session, tenant_id: uuid.UUID, key: str, reference: pd.Series, only: Only
) -> pd.DataFrame:
    events = _activities(session, tenant_id, key, only)
    return behaviour(
        events, key, reference, (30, 90), "activities", ("call", "meeting", "visit", "email")
    )


def _flag(series: pd.Series) -> np.ndarray:
    present = series.notna() & (series.astype(str).str.strip() != "")
    return np.asarray(present.to_numpy(dtype=float), dtype=float)


def _indexed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("id", drop=False)


def lead_features(
    session: Session, tenant_id: uuid.UUID, template: Template, only: Only = None
) -> FeatureSet:
    now = utc_now()
    statement = select(
        Lead.id,
        Lead.lead_source,
        Lead.province,
        Lead.city,
        Lead.mobile,
        Lead.email,
        Lead.company,
        Lead.title,
        Lead.status,
        Lead.first_contact_at,
        Lead.converted_at,
        Lead.created_at,
        Lead.custom,
    ).where(Lead.tenant_id == tenant_id, Lead.deleted_at.is_(None))
    if only is not None:
        statement = statement.where(Lead.id.in_(only))
    rows = _indexed(_rows(session, statement))
    first = _as_utc(rows["first_contact_at"]).fillna(_as_utc(rows["created_at"]))
    converted = _as_utc(rows["converted_at"])
    is_converted = (rows["status"] == "converted") | converted.notna()
    age_days = (now - first).dt.total_seconds() / 86400.0
    labels = pd.Series(np.nan, index=rows.index)
    labels[is_converted] = 1.0
    labels[
        ~is_converted & ((rows["status"] == "disqualified") | (age_days >= LEAD_OUTCOME_DAYS))
    ] = 0.0
    # Behaviour is judged as of first contact plus a short window for decided leads.
    reference = pd.Series(now, index=rows.index)
    decided = labels.notna()
    reference[decided] = first[decided] + timedelta(days=30)
    frame = pd.DataFrame(index=rows.index)
    frame["lead_source"] = rows["lead_source"].astype("object")
    frame["province"] = rows["province"].astype("object")
    frame["has_mobile"] = _flag(rows["mobile"])
    frame["has_email"] = _flag(rows["email"])
    frame["has_company"] = _flag(rows["company"])
    frame["has_title"] = _flag(rows["title"])
    frame["first_contact_month"] = first.dt.month.astype(float)
    frame["first_contact_weekday"] = first.dt.day_of_week.astype(float)
    frame = frame.join(_activity_features(session, tenant_id, "lead_id", reference, only))
    frame = frame.join(_campaign_touches(session, tenant_id, "lead_id", reference, only))
    frame = frame.join(
        _custom_columns(rows["custom"], template.excluded_fields), suffixes=("", CUSTOM_SUFFIX)
    )
    return FeatureSet(list(rows["id"]), frame, labels, reference)


def _campaign_touches(
    session: Session, tenant_id: uuid.UUID, key: str, reference: pd.Series, only: Only
) -> pd.DataFrame:
    column = getattr(CampaignMember, key)
    statement = select(
        column.label(key),
        CampaignMember.touched_at.label("at"),
        CampaignMember.has_responded,
    ).where(
        CampaignMember.tenant_id == tenant_id,
        CampaignMember.deleted_at.is_(None),
        column.is_not(None),
        CampaignMember.touched_at.is_not(None),
    )
    if only is not None:
        statement = statement.where(column.in_(only))
    events = _rows(session, statement)
    if events.empty:
        return pd.DataFrame(
            {"campaign_touches": 0.0, "campaign_responses": 0.0}, index=reference.index
        )
    events["at"] = _as_utc(events["at"])
    joined = events.join(reference.rename("reference"), on=key, how="inner")
    joined = joined[joined["at"] < joined["reference"]]
    touches = joined.groupby(key).size().reindex(reference.index, fill_value=0)
    responses = joined[joined["has_responded"]].groupby(key).size()
    return pd.DataFrame(
        {
            "campaign_touches": touches.to_numpy(dtype=float),
            "campaign_responses": responses.reindex(reference.index, fill_value=0).to_numpy(
                dtype=float
            ),
        },
        index=reference.index,
    )


def opportunity_features(
    session: Session, tenant_id: uuid.UUID, template: Template, only: Only = None
) -> FeatureSet:
    now = utc_now()
    statement = (
        select(
            Opportunity.id,
            Opportunity.owner_id,
            Opportunity.product_id,
            Opportunity.account_id,
            Opportunity.amount,
            Opportunity.engaged_on,
            Opportunity.closed_on,
            Opportunity.expected_close_date,
            Opportunity.created_at,
            Opportunity.updated_at,
            PipelineStage.position.label("stage_position"),
            PipelineStage.is_won,
            PipelineStage.is_lost,
            PipelineStage.key.label("stage_key"),
            Account.industry,
            Account.employee_count,
            Account.annual_revenue,
            Account.country,
            Product.list_price,
            Product.series,
        )
        .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
        .outerjoin(Account, Account.id == Opportunity.account_id)
        .outerjoin(Product, Product.id == Opportunity.product_id)
        .where(Opportunity.tenant_id == tenant_id, Opportunity.deleted_at.is_(None))
    )
    if only is not None:
        statement = statement.where(Opportunity.id.in_(only))
    rows = _indexed(_rows(session, statement))
    engaged = pd.to_datetime(rows["engaged_on"], errors="coerce").dt.tz_localize("UTC")
    closed = pd.to_datetime(rows["closed_on"], errors="coerce").dt.tz_localize("UTC")
    labels = pd.Series(np.nan, index=rows.index)
    labels[rows["is_won"].astype(bool)] = 1.0
    labels[rows["is_lost"].astype(bool)] = 0.0
    decided = labels.notna()
    reference = pd.Series(now, index=rows.index)
    reference[decided] = closed[decided].fillna(_as_utc(rows["updated_at"])[decided])
    frame = pd.DataFrame(index=rows.index)
    frame["owner"] = rows["owner_id"].astype(str).where(rows["owner_id"].notna(), None)
    frame["product"] = rows["product_id"].astype(str).where(rows["product_id"].notna(), None)
    frame["product_series"] = rows["series"].astype("object")
    frame["industry"] = rows["industry"].astype("object")
    frame["country"] = rows["country"].astype("object")
    frame["has_account"] = rows["account_id"].notna().to_numpy(dtype=float)
    frame["employee_count"] = pd.to_numeric(rows["employee_count"], errors="coerce")
    frame["annual_revenue"] = pd.to_numeric(rows["annual_revenue"], errors="coerce").astype(float)
    frame["list_price"] = pd.to_numeric(rows["list_price"], errors="coerce").astype(float)
    frame["engaged_month"] = engaged.dt.month.astype(float)
    frame["engaged_quarter"] = engaged.dt.quarter.astype(float)
    # Stage is what an open deal is scored on; for decided deals it is the outcome itself, so
    # it reaches the model only through the cold-start rules, never as a learned feature.
    frame = frame.join(_activity_features(session, tenant_id, "opportunity_id", reference, only))
    extra = {
        "stage_position": rows["stage_position"].astype(float),
        "engaged": engaged,
        "closed": closed,
        "owner": frame["owner"],
        "amount": pd.to_numeric(rows["amount"], errors="coerce"),
        "expected_close_date": rows["expected_close_date"],
    }
    return FeatureSet(list(rows["id"]), frame, labels, reference, extra=extra)


def account_features(
    session: Session, tenant_id: uuid.UUID, template: Template, only: Only = None
) -> FeatureSet:
    now = utc_now()
    statement = select(
        Account.id,
        Account.industry,
        Account.tier,
        Account.province,
        Account.employee_count,
        Account.annual_revenue,
        Account.founded_year,
        Account.is_churned,
        Account.updated_at,
        Account.custom,
    ).where(Account.tenant_id == tenant_id, Account.deleted_at.is_(None))
    if only is not None:
        statement = statement.where(Account.id.in_(only))
    rows = _indexed(_rows(session, statement))
    labels = rows["is_churned"].map(lambda value: np.nan if value is None else float(bool(value)))
    labels = pd.to_numeric(labels, errors="coerce")
    reference = pd.Series(now, index=rows.index)
    frame = pd.DataFrame(index=rows.index)
    for name in ("industry", "tier", "province"):
        frame[name] = rows[name].astype("object")
    frame["employee_count"] = pd.to_numeric(rows["employee_count"], errors="coerce").astype(float)
    frame["annual_revenue"] = pd.to_numeric(rows["annual_revenue"], errors="coerce").astype(float)
    frame["founded_year"] = pd.to_numeric(rows["founded_year"], errors="coerce").astype(float)
    frame = frame.join(_activity_features(session, tenant_id, "account_id", reference, only))
    frame = frame.join(_ticket_features(session, tenant_id, reference, only))
    frame = frame.join(
        _custom_columns(rows["custom"], template.excluded_fields), suffixes=("", CUSTOM_SUFFIX)
    )
    return FeatureSet(list(rows["id"]), frame, labels, _as_utc(rows["updated_at"]))


def _ticket_features(
    session: Session, tenant_id: uuid.UUID, reference: pd.Series, only: Only
) -> pd.DataFrame:
    statement = select(
        Ticket.account_id, Ticket.opened_at.label("at"), Ticket.priority.label("kind")
    ).where(
        Ticket.tenant_id == tenant_id, Ticket.deleted_at.is_(None), Ticket.account_id.is_not(None)
    )
    if only is not None:
        statement = statement.where(Ticket.account_id.in_(only))
    events = _rows(session, statement)
    if not events.empty:
        events["at"] = _as_utc(events["at"])
        events = events[events["at"].notna()]
    return behaviour(events, "account_id", reference, (90,), "tickets", ("urgent",))


def campaign_member_features(
    session: Session, tenant_id: uuid.UUID, template: Template, only: Only = None
) -> FeatureSet:
    now = utc_now()
    statement = (
        select(
            CampaignMember.id,
            CampaignMember.contact_id,
            CampaignMember.status,
            CampaignMember.has_responded,
            CampaignMember.touched_at,
            CampaignMember.created_at,
            CampaignMember.custom.label("member_custom"),
            Campaign.channel,
            Contact.gender,
            Contact.province,
            Contact.birth_date,
            Contact.custom.label("contact_custom"),
        )
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .outerjoin(Contact, Contact.id == CampaignMember.contact_id)
        .where(CampaignMember.tenant_id == tenant_id, CampaignMember.deleted_at.is_(None))
    )
    if only is not None:
        # Earlier touches of the same contacts are needed for the history features.
        contacts = select(CampaignMember.contact_id).where(CampaignMember.id.in_(only))
        statement = statement.where(
            or_(CampaignMember.id.in_(only), CampaignMember.contact_id.in_(contacts))
        )
    rows = _indexed(_rows(session, statement))
    touched = _as_utc(rows["touched_at"]).fillna(_as_utc(rows["created_at"]))
    labels = pd.Series(np.nan, index=rows.index)
    known = rows["status"] != "targeted"
    labels[known] = rows.loc[known, "has_responded"].astype(float)
    frame = pd.DataFrame(index=rows.index)
    frame["channel"] = rows["channel"].astype("object")
    frame["gender"] = rows["gender"].astype("object")
    frame["province"] = rows["province"].astype("object")
    birth = pd.to_datetime(rows["birth_date"], errors="coerce")
    frame["age"] = (now.year - birth.dt.year).astype(float)
    # Earlier touches of the same contact, strictly before this one.
    ordered = pd.DataFrame(
        {"contact": rows["contact_id"], "at": touched, "responded": rows["has_responded"]}
    )
    ordered = ordered.sort_values("at")
    grouped = ordered.groupby("contact", dropna=True)
    frame["previous_touches"] = grouped.cumcount().reindex(rows.index).fillna(0).astype(float)
    previous_responses = grouped["responded"].transform(
        lambda series: series.astype(float).cumsum().shift(1, fill_value=0.0)
    )
    frame["previous_responses"] = previous_responses.reindex(rows.index).fillna(0).astype(float)
    frame = frame.join(
        _custom_columns(rows["contact_custom"], template.excluded_fields),
        suffixes=("", CUSTOM_SUFFIX),
    )
    frame = frame.join(
        _custom_columns(rows["member_custom"], template.excluded_fields, "touch_"),
        suffixes=("", CUSTOM_SUFFIX),
    )
    return FeatureSet(list(rows["id"]), frame, labels, touched)


def ticket_text_features(
    session: Session, tenant_id: uuid.UUID, template: Template, only: Only = None
) -> FeatureSet:
    statement = select(
        Ticket.id,
        Ticket.subject,
        Ticket.description,
        Ticket.category,
        Ticket.custom,
        Ticket.opened_at,
        Ticket.created_at,
    ).where(Ticket.tenant_id == tenant_id, Ticket.deleted_at.is_(None))
    if only is not None:
        statement = statement.where(Ticket.id.in_(only))
    rows = _indexed(_rows(session, statement))
    texts = [
        " ".join(part for part in (subject, description) if part)
        for subject, description in zip(rows["subject"], rows["description"], strict=True)
    ]
    if template.name == "ticket_category":
        labels = rows["category"].astype("object").where(rows["category"].notna(), None)
    else:
        labels = rows["custom"].map(
            lambda value: value.get("sentiment") if isinstance(value, dict) else None
        )
    times = _as_utc(rows["opened_at"]).fillna(_as_utc(rows["created_at"]))
    return FeatureSet(list(rows["id"]), pd.DataFrame(index=rows.index), labels, times, texts=texts)


BUILDERS: dict[str, Callable[[Session, uuid.UUID, Template, Only], FeatureSet]] = {
    "lead_score": lead_features,
    "win_probability": opportunity_features,
    "churn_risk": account_features,
    "campaign_response": campaign_member_features,
    "sentiment": ticket_text_features,
    "ticket_category": ticket_text_features,
}


def build_features(
    session: Session, tenant_id: uuid.UUID, template: Template, only: Only = None
) -> FeatureSet:
    """Features of every live record, or of the records in ``only`` (real-time scoring)."""
    features = BUILDERS[template.name](session, tenant_id, template, only)
    if only is not None and template.name == "campaign_response":
        return restrict(features, set(only))
    return features


def restrict(features: FeatureSet, record_ids: set[uuid.UUID]) -> FeatureSet:
    """The same features for a subset of records (real-time scoring of one record)."""
    mask = np.asarray([record_id in record_ids for record_id in features.record_ids], dtype=bool)
    texts = (
        [text for text, keep in zip(features.texts, mask, strict=True) if keep]
        if features.texts
        else None
    )
    extra = None
    if features.extra is not None:
        extra = {name: series[mask] for name, series in features.extra.items()}
    return FeatureSet(
        [record_id for record_id, keep in zip(features.record_ids, mask, strict=True) if keep],
        features.frame[mask],
        features.labels[mask],
        features.times[mask],
        texts,
        extra,
    )


def reference_time_range(times: pd.Series) -> tuple[datetime | None, datetime | None]:
    valid = times.dropna()
    if valid.empty:
        return None, None
    return valid.min().to_pydatetime(), valid.max().to_pydatetime()
