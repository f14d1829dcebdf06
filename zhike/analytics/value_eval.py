"""Evaluation of the customer-value and suggestion models on public data sets.

Used by the tests and by ``benchmarks/bench_value.py``; the product itself
never reads these files.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from zhike.analytics import clv
from zhike.analytics.recommend import leave_latest_out

# Fader, Hardie and Lee (2005) on the full 2,357-customer CDNOW sample.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}
CDNOW_CALIBRATION_END = date(1997, 9, 30)
CDNOW_HOLDOUT_WEEKS = 39.0


def load_cdnow_sample(folder: Path) -> list[clv.Purchase]:
    """Read the 1/10 sample, whose columns are master id, sample id, YYYYMMDD, CDs, dollars."""
    purchases = []
    text = (folder / "cdnow_transactions" / "CDNOW_sample.txt").read_text("ascii")
    for line in text.splitlines():
        parts = line.split()
        if parts:
            day = date(int(parts[2][:4]), int(parts[2][4:6]), int(parts[2][6:]))
            purchases.append(clv.Purchase(parts[1], day, Decimal(parts[4])))
    return purchases


def evaluate_cdnow(folder: Path) -> dict[str, Any]:
    """Fit on the calibration period; compare holdout purchases with two rate baselines."""
    purchases = load_cdnow_sample(folder)
    summary = clv.summarize(purchases, CDNOW_CALIBRATION_END)
    fitted = clv.fit_bgnbd(summary)
    spend = clv.fit_gamma_gamma(summary)
    holdout: dict[str, set[date]] = {}
    for purchase in purchases:
        if purchase.day > CDNOW_CALIBRATION_END:
            holdout.setdefault(purchase.customer, set()).add(purchase.day)
    actual = np.array([len(holdout.get(customer, ())) for customer in summary.customers])
    predicted = fitted.expected_purchases(
        CDNOW_HOLDOUT_WEEKS, summary.frequency, summary.recency, summary.age
    )
    own_rate = summary.frequency / summary.age * CDNOW_HOLDOUT_WEEKS
    mean_rate = summary.frequency.sum() / summary.age.sum() * CDNOW_HOLDOUT_WEEKS
    return {
        "customers": len(summary.customers),
        "bgnbd": {"r": fitted.r, "alpha": fitted.alpha, "a": fitted.a, "b": fitted.b},
        "bgnbd_published": PUBLISHED_BGNBD,
        "gamma_gamma": {"p": spend.p, "q": spend.q, "v": spend.v},
        "gamma_gamma_published": PUBLISHED_GAMMA_GAMMA,
        "holdout_purchases": int(actual.sum()),
        "predicted_purchases": round(float(predicted.sum()), 1),
        "mae_bgnbd": round(float(np.abs(predicted - actual).mean()), 4),
        "mae_own_rate": round(float(np.abs(own_rate - actual).mean()), 4),
        "mae_mean_rate": round(float(np.abs(mean_rate - actual).mean()), 4),
    }


def evaluate_pipeline(folder: Path, k: int = 3) -> dict[str, Any]:
    """Hit rate at ``k`` of the latest won product per account, model against popularity."""
    path = folder / "crm_sales_opportunities" / "sales_pipeline.csv"
    with path.open(encoding="utf-8") as handle:
        rows = [
            (row["account"], row["product"], row["close_date"])
            for row in csv.DictReader(handle)
            if row["deal_stage"] == "Won" and row["account"]
        ]
    result = leave_latest_out(rows, k=k)
    return {
        "won_deals": len(rows),
        "accounts": result.accounts,
        "products": len({product for _, product, _ in rows}),
        f"hit_rate_at_{k}_model": result.hit_rate_model,
        f"hit_rate_at_{k}_popularity": result.hit_rate_popularity,
    }
