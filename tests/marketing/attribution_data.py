"""Paths for attribution built from the public lead funnel and bank campaign data sets."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path as FilePath

from zhike.marketing.attribution import Path, Touch

_START = datetime(2026, 1, 1, tzinfo=UTC)


def olist_paths(folder: FilePath) -> list[Path]:
    """One path per marketing-qualified lead: its origin channel, converted when a deal closed.

    Olist records a single origin per lead, so every model must agree here; the
    value of a closed deal is its declared monthly revenue (0 where not declared).
    """
    deals: dict[str, float] = {}
    with (folder / "olist_closed_deals_dataset.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                deals[row["mql_id"]] = float(row["declared_monthly_revenue"] or 0)
            except ValueError:
                deals[row["mql_id"]] = 0.0
    paths = []
    with (folder / "olist_marketing_qualified_leads_dataset.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            origin = row["origin"] or "unknown"
            touched = datetime.fromisoformat(row["first_contact_date"]).replace(tzinfo=UTC)
            converted = row["mql_id"] in deals
            paths.append(Path([Touch(origin, touched)], converted, 1.0 if converted else 0.0))
    return paths


def bank_paths(folder: FilePath, limit: int | None = None) -> list[Path]:
    """Multi-touch paths from UCI Bank Marketing: earlier campaign contacts, then this campaign's.

    ``previous`` contacts of an earlier campaign become touches named after its
    outcome (``previous:success``...), and ``campaign`` contacts of this campaign
    touches named after the contact channel (cellular, telephone). Both counts are
    capped at 5 to keep paths readable; a subscription (y = yes) is a conversion.
    """
    paths = []
    with (folder / "bank-additional-full.csv").open(encoding="utf-8") as handle:
        for index, row in enumerate(csv.DictReader(handle, delimiter=";")):
            if limit is not None and index >= limit:
                break
            earlier = min(int(row["previous"]), 5)
            current = min(int(row["campaign"]), 5)
            touches = [
                Touch(f"previous:{row['poutcome']}", _START + timedelta(days=step))
                for step in range(earlier)
            ] + [
                Touch(f"this:{row['contact']}", _START + timedelta(days=30 + step))
                for step in range(current)
            ]
            converted = row["y"] == "yes"
            paths.append(
                Path(
                    touches,
                    converted,
                    1.0 if converted else 0.0,
                    _START + timedelta(days=30 + current),
                )
            )
    return paths
