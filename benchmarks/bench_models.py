"""Private models on the public data sets: quality against baselines, training time, scoring speed.

Every data set is split once, 80/20 stratified with a fixed seed; each learner
and its baseline are trained on the same 80 % and measured on the same 20 % in
the same run. Nothing is tuned on these held-out figures.

    .venv/bin/python -m benchmarks.bench_models [--only churn,bank,...] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from benchmarks.common import machine_facts, percentile, write_results
from zhike.ai.models.evaluation import evaluate_tabular, evaluate_text
from zhike.ai.models.explain import tabular_contributions, top_tabular_factors
from zhike.ai.models.learners import SEED, binary_labels, fit_tabular, predict_positive
from zhike.sales.forecast import backtest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("ZHIKE_DATASETS_DIR", REPO.parent / "shared" / "data"))


def split(frame: pd.DataFrame, label: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = train_test_split(frame, test_size=0.2, stratify=label, random_state=SEED)
    return train, test


def compare(
    train: pd.DataFrame, y_train: np.ndarray, test: pd.DataFrame, y_test: np.ndarray
) -> dict[str, Any]:
    ours = evaluate_tabular(train, y_train, test, y_test)
    baseline = evaluate_tabular(train, y_train, test, y_test, candidates=["logistic_regression"])
    keys = (
        "roc_auc",
        "pr_auc",
        "accuracy",
        "f1",
        "brier",
        "training_seconds",
        "training_cpu_seconds",
        "learner",
    )
    return {
        "rows_train": len(train),
        "rows_test": len(test),
        "ours": {key: ours[key] for key in keys} | {"candidates": ours["candidates"]},
        "logistic_regression": {key: baseline[key] for key in keys},
    }


def churn(data: Path) -> dict[str, Any]:
    frame = pd.read_csv(data / "telco_customer_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv")
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce")
    labels = binary_labels(frame["Churn"])
    features = frame.drop(columns=["customerID", "Churn"])
    train, test = split(features.assign(_y=labels), labels)
    return compare(
        train.drop(columns="_y"),
        train["_y"].to_numpy(),
        test.drop(columns="_y"),
        test["_y"].to_numpy(),
    )


def bank(data: Path) -> dict[str, Any]:
    frame = pd.read_csv(data / "bank_marketing" / "bank-additional-full.csv", sep=";")
    labels = binary_labels(frame["y"])
    features = frame.drop(columns=["y"]).assign(_y=labels)
    train, test = split(features, labels)
    y_train, y_test = train["_y"].to_numpy(), test["_y"].to_numpy()
    train, test = train.drop(columns="_y"), test.drop(columns="_y")
    # duration is known only after the call ended, so it is a leak for targeting; shown apart.
    without = compare(
        train.drop(columns="duration"), y_train, test.drop(columns="duration"), y_test
    )
    with_duration = evaluate_tabular(train, y_train, test, y_test)
    return {**without, "with_duration_roc_auc": with_duration["roc_auc"]}


def leads(data: Path) -> dict[str, Any]:
    folder = data / "olist_marketing_funnel"
    mqls = pd.read_csv(folder / "olist_marketing_qualified_leads_dataset.csv")
    deals = pd.read_csv(folder / "olist_closed_deals_dataset.csv")
    labels = mqls["mql_id"].isin(set(deals["mql_id"])).to_numpy(dtype=int)
    first = pd.to_datetime(mqls["first_contact_date"])
    features = pd.DataFrame(
        {
            "lead_source": mqls["origin"],
            "landing_page": mqls["landing_page_id"],
            "first_contact_month": first.dt.month.astype(float),
            "first_contact_weekday": first.dt.day_of_week.astype(float),
            "_y": labels,
        }
    )
    train, test = split(features, labels)
    return compare(
        train.drop(columns="_y"),
        train["_y"].to_numpy(),
        test.drop(columns="_y"),
        test["_y"].to_numpy(),
    )


def opportunities(data: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    folder = data / "crm_sales_opportunities"
    pipeline = pd.read_csv(folder / "sales_pipeline.csv", parse_dates=["engage_date", "close_date"])
    accounts = pd.read_csv(folder / "accounts.csv")
    teams = pd.read_csv(folder / "sales_teams.csv")
    products = pd.read_csv(folder / "products.csv")
    products["product"] = products["product"].str.replace(" ", "")
    pipeline["product_key"] = pipeline["product"].str.replace(" ", "")
    merged = (
        pipeline.merge(accounts, on="account", how="left")
        .merge(teams, on="sales_agent", how="left")
        .merge(
            products,
            left_on="product_key",
            right_on="product",
            how="left",
            suffixes=("", "_catalog"),
        )
    )
    decided = merged[merged["deal_stage"].isin(["Won", "Lost"])].copy()
    labels = (decided["deal_stage"] == "Won").to_numpy(dtype=int)
    features = pd.DataFrame(
        {
            "owner": decided["sales_agent"],
            "product": decided["product"],
            "product_series": decided["series"],
            "industry": decided["sector"],
            "country": decided["office_location"],
            "manager": decided["manager"],
            "region": decided["regional_office"],
            "employee_count": decided["employees"],
            "annual_revenue": decided["revenue"],
            "list_price": decided["sales_price"],
            "engaged_month": decided["engage_date"].dt.month.astype(float),
            "_y": labels,
            "_days": (decided["close_date"] - decided["engage_date"]).dt.days,
        }
    )
    train, test = split(features, labels)
    result = compare(
        train.drop(columns=["_y", "_days"]),
        train["_y"].to_numpy(),
        test.drop(columns=["_y", "_days"]),
        test["_y"].to_numpy(),
    )
    # Expected close date: owner's median won cycle (shrunk) against the global median.
    won_train = train[train["_y"] == 1]
    overall = float(won_train["_days"].median())
    per_owner = won_train.groupby("owner")["_days"].agg(["median", "size"])
    shrunk = (per_owner["size"] * per_owner["median"] + 10 * overall) / (per_owner["size"] + 10)
    won_test = test[test["_y"] == 1]
    predicted = won_test["owner"].map(shrunk).fillna(overall)
    result["close_days_mae"] = round(float((predicted - won_test["_days"]).abs().mean()), 2)
    result["close_days_mae_global_median"] = round(
        float((overall - won_test["_days"]).abs().mean()), 2
    )
    deals = pd.DataFrame(
        {
            "owner": pipeline["sales_agent"],
            "team": pipeline["sales_agent"].map(teams.set_index("sales_agent")["manager"]),
            "engaged": pipeline["engage_date"],
            "closed": pipeline["close_date"],
            "outcome": pipeline["deal_stage"].map({"Won": "won", "Lost": "lost"}).fillna("open"),
            "amount": pipeline["close_value"].where(pipeline["deal_stage"] == "Won"),
        }
    )
    return deals[deals["engaged"].notna()], result


def sentiment(data: Path) -> dict[str, Any]:
    sets = {
        "waimai_10k": data / "zh_sentiment_waimai_10k" / "waimai_10k.csv",
        "chnsenticorp_htl": data / "zh_sentiment_chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv",
        "online_shopping_10_cats": data
        / "zh_sentiment_online_shopping_10_cats"
        / "online_shopping_10_cats.csv.gz",
    }
    results = {}
    for name, path in sets.items():
        frame = pd.read_csv(path).dropna(subset=["review"])
        train, test = split(frame, frame["label"])
        metrics = evaluate_text("sentiment", train, test, "label", "review", baseline=True)
        results[name] = {
            "rows_train": len(train),
            "rows_test": len(test),
            "accuracy": round(metrics["accuracy"], 4),
            "macro_f1": round(metrics["macro_f1"], 4),
            "roc_auc": round(metrics.get("roc_auc", float("nan")), 4),
            "training_seconds": metrics["training_seconds"],
            "baseline_accuracy": round(metrics["baseline"]["accuracy"], 4),
            "baseline_training_seconds": metrics["baseline"]["training_seconds"],
            "gain_points": round(100 * (metrics["accuracy"] - metrics["baseline"]["accuracy"]), 2),
        }
    return results


def tickets(data: Path) -> dict[str, Any]:
    frame = pd.read_csv(data / "banking77" / "train.csv")
    train, test = split(frame, frame["category"])
    metrics = evaluate_text("ticket_category", train, test, "category", "text", baseline=True)
    return {
        "rows_train": len(train),
        "rows_test": len(test),
        "accuracy": round(metrics["accuracy"], 4),
        "macro_f1": round(metrics["macro_f1"], 4),
        "roc_auc_ovr": round(metrics.get("roc_auc", float("nan")), 4),
        "training_seconds": metrics["training_seconds"],
        "baseline_accuracy": round(metrics["baseline"]["accuracy"], 4),
        "baseline_macro_f1": round(metrics["baseline"]["macro_f1"], 4),
    }


def _timed(function: Any) -> tuple[float, float]:
    """Measure wall-clock and CPU seconds of one call. CPU time depends far less on load."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def scoring_speed(data: Path, runs: int = 5, single_rows: int = 200) -> dict[str, Any]:
    """Time batch scoring of 100,000 contacts by three paths, then reasons and single records.

    The paths: the fitted pipeline with the library's OpenMP threads, the same on one
    thread, and the compiled frame encoder feeding the model a numpy matrix on one thread.
    """
    from zhike.ai.models.learners import limit_threads, prepare_frame
    from zhike.ai.models.realtime import explain_values
    from zhike.ai.models.row_encoder import RowEncoder
    from zhike.ai.models.scoring import batch_probabilities

    frame = pd.read_csv(data / "bank_marketing" / "bank-additional-full.csv", sep=";")
    labels = binary_labels(frame["y"])
    features = frame.drop(columns=["y", "duration"])
    # Speed depends on the learner, not on which one wins, so gradient boosting is always timed.
    model = fit_tabular(features, labels, candidates=["gradient_boosting"])
    assert model.columns is not None
    columns = model.columns
    batch = pd.concat([features] * 4, ignore_index=True).iloc[:100_000]

    def pipeline_one_thread() -> None:
        with limit_threads(1):
            model.pipeline.predict_proba(prepare_frame(batch, columns))

    paths = {
        "pipeline_library_threads": lambda: predict_positive(model, batch),
        "pipeline_one_thread": pipeline_one_thread,
        "encoder_one_thread": lambda: batch_probabilities(model, batch),
    }
    batch_probabilities(model, batch)  # compiles the encoder once, as a loaded model does
    walls: dict[str, list[float]] = {name: [] for name in paths}
    cpus: dict[str, list[float]] = {name: [] for name in paths}
    load_before = os.getloadavg()
    for _ in range(runs):
        # Alternate the paths so that a change in machine load hits all of them alike.
        for name, path in paths.items():
            wall, cpu = _timed(path)
            walls[name].append(wall)
            cpus[name].append(cpu)
    load_after = os.getloadavg()
    encoder = RowEncoder(model.pipeline, columns)
    encode_cpu = [_timed(lambda: encoder.encode_frame(batch))[1] for _ in range(runs)]
    explained = []
    reasons_batch = batch.iloc[:10_000]
    for _ in range(2):
        started = time.perf_counter()
        _, names, contributions = tabular_contributions(
            model.pipeline, columns, model.background, reasons_batch
        )
        top_tabular_factors(names, contributions, reasons_batch)
        explained.append(time.perf_counter() - started)
    single_pandas, single_fast, single_fast_cpu = [], [], []
    records = features.iloc[:single_rows].to_dict(orient="records")
    for row in range(single_rows):
        one = features.iloc[[row]]
        started = time.perf_counter()
        _, names, contributions = tabular_contributions(
            model.pipeline, columns, model.background, one
        )
        top_tabular_factors(names, contributions, one)
        single_pandas.append(time.perf_counter() - started)
        wall, cpu = _timed(lambda row=row: explain_values(model, encoder, records[row]))
        single_fast.append(wall)
        single_fast_cpu.append(cpu)
    rows = len(batch)
    return {
        "learner": model.learner,
        "rows": rows,
        "runs": runs,
        "load_average_before": [round(value, 1) for value in load_before],
        "load_average_after": [round(value, 1) for value in load_after],
        "rows_per_second": {
            name: round(rows / statistics.median(values)) for name, values in walls.items()
        },
        "rows_per_cpu_second": {
            name: round(rows / statistics.median(values)) for name, values in cpus.items()
        },
        "encode_only_rows_per_cpu_second": round(rows / statistics.median(encode_cpu)),
        "scores_with_reasons_per_second": round(len(reasons_batch) / statistics.median(explained)),
        "single_record_pandas_p95_ms": round(percentile(single_pandas, 0.95) * 1000, 2),
        "single_record_fast_p50_ms": round(percentile(single_fast, 0.5) * 1000, 2),
        "single_record_fast_p95_ms": round(percentile(single_fast, 0.95) * 1000, 2),
        "single_record_fast_cpu_median_ms": round(statistics.median(single_fast_cpu) * 1000, 2),
    }


def _seed_opportunities(session: Any, tenant_id: Any, owner_id: Any, count: int) -> None:
    from decimal import Decimal

    from sqlalchemy import select

    from zhike.customers.models import Account
    from zhike.sales.models import Activity, Opportunity, PipelineStage, Product

    rng = np.random.default_rng(2)
    today = datetime.now(UTC).date()
    stages = {
        stage.key: stage
        for stage in session.scalars(
            select(PipelineStage).where(PipelineStage.tenant_id == tenant_id)
        )
    }
    accounts = [
        Account(
            tenant_id=tenant_id, name=f"客户{index}", industry=("制造", "零售", "金融")[index % 3]
        )
        for index in range(50)
    ]
    products = [
        Product(tenant_id=tenant_id, name=f"产品{index}", list_price=Decimal(10_000 * (index + 1)))
        for index in range(5)
    ]
    session.add_all([*accounts, *products])
    session.flush()
    for index in range(count):
        engaged = today - timedelta(days=int(rng.integers(60, 300)))
        product = products[int(rng.integers(0, len(products)))]
        won = rng.random() < (0.6 if product.list_price and product.list_price > 30_000 else 0.3)
        is_open = index % 10 == 0
        stage_key = "won" if won else "lost"
        if is_open:
            stage_key = "proposal"
        deal = Opportunity(
            tenant_id=tenant_id,
            name=f"商机{index}",
            owner_id=owner_id,
            account_id=accounts[index % len(accounts)].id,
            product_id=product.id,
            stage_id=stages[stage_key].id,
            engaged_on=engaged,
            closed_on=None if is_open else engaged + timedelta(days=int(rng.integers(10, 60))),
        )
        session.add(deal)
        if index % 3 == 0:
            session.flush()
            session.add(
                Activity(
                    tenant_id=tenant_id,
                    kind="call",
                    subject="跟进",
                    opportunity_id=deal.id,
                    occurred_at=datetime.combine(engaged, datetime.min.time(), tzinfo=UTC)
                    + timedelta(days=2),
                )
            )
    session.flush()


def _realtime_pair(
    database: Any, actor: Any, model: Any, template: str, ids: list[Any]
) -> dict[str, float]:
    """Time one record rescored by the batch-shaped path and by the write hook, back to back."""
    from zhike.ai.models.realtime import score_after_write
    from zhike.ai.models.scoring import score_template

    old, fast, fast_cpu = [], [], []
    for record_id in ids:
        with database.session() as session:
            started = time.perf_counter()
            score_template(session, actor, template, [record_id])
            old.append(time.perf_counter() - started)
        with database.session() as session:
            wall, cpu = time.perf_counter(), time.process_time()
            record = session.get(model, record_id)
            score_after_write(session, actor, record, {}, None)
            fast.append(time.perf_counter() - wall)
            fast_cpu.append(time.process_time() - cpu)
    return {
        "batch_path_p50_ms": round(percentile(old, 0.5) * 1000, 2),
        "batch_path_p95_ms": round(percentile(old, 0.95) * 1000, 2),
        "p50_ms": round(percentile(fast, 0.5) * 1000, 2),
        "p95_ms": round(percentile(fast, 0.95) * 1000, 2),
        "cpu_median_ms": round(statistics.median(fast_cpu) * 1000, 2),
        "cpu_p95_ms": round(percentile(fast_cpu, 0.95) * 1000, 2),
    }


def realtime_in_database(
    samples: int = 150, batch_rows: int = 20_000, opportunity_rows: int = 2000
) -> dict[str, Any]:
    """Time real-time and batch scoring on SQLite.

    One lead and one opportunity are rescored by the old batch-shaped path and by the
    write hook, back to back. Then a whole tenant is batch-scored and written back.
    """
    from zhike.ai.models.scoring import score_template
    from zhike.ai.models.training import train_template
    from zhike.core.db import Database
    from zhike.core.migrate import upgrade
    from zhike.core.settings import Settings
    from zhike.core.timeutil import utc_now
    from zhike.sales.models import Lead, Opportunity
    from zhike.security.auth import actor_for
    from zhike.security.tenants import create_tenant

    load_before = os.getloadavg()
    folder = Path(tempfile.mkdtemp(prefix="bench-models-"))
    url = f"sqlite:///{folder / 'zhike.db'}"
    database = Database(url, Settings(database_url=url))
    upgrade(database.engine, url)
    rng = np.random.default_rng(1)
    now = utc_now()
    with database.session() as session:
        tenant, admin = create_tenant(
            session, "bench-models", "基准测试", "a@bench.example.com", "Bench-models-2026"
        )
        actor = actor_for(tenant, admin)
        for index in range(batch_rows):
            source = str(rng.choice(["referral", "paid_search", "social"]))
            converted = rng.random() < (0.5 if source == "referral" else 0.15)
            first = now - timedelta(days=int(rng.integers(200, 400)))
            session.add(
                Lead(
                    tenant_id=tenant.id,
                    name=f"线索{index}",
                    lead_source=source,
                    first_contact_at=first,
                    status="converted" if converted else "disqualified",
                )
            )
            if index % 5000 == 4999:
                session.flush()
        _seed_opportunities(session, tenant.id, admin.id, opportunity_rows)
    training: dict[str, dict[str, float]] = {}
    with database.session() as session:
        for template in ("lead_score", "win_probability"):
            wall, cpu = _timed(lambda template=template: train_template(session, actor, template))
            training[template] = {"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2)}
    with database.session() as session:
        lead_ids = [lead.id for lead in session.query(Lead).limit(samples)]
        opportunity_ids = [deal.id for deal in session.query(Opportunity).limit(samples)]
    leads_timing = _realtime_pair(database, actor, Lead, "lead_score", lead_ids)
    opportunity_timing = _realtime_pair(
        database, actor, Opportunity, "win_probability", opportunity_ids
    )
    batches, batch_cpu = [], []
    for _ in range(3):
        with database.session() as session:
            wall, cpu = time.perf_counter(), time.process_time()
            scored = len(score_template(session, actor, "lead_score"))
            batches.append(time.perf_counter() - wall)
            batch_cpu.append(time.process_time() - cpu)
    database.dispose()
    return {
        "rows": batch_rows,
        "training_in_database": training,
        "leads": leads_timing,
        "opportunities": opportunity_timing,
        "batch_records": scored,
        "batch_in_database_records_per_second": round(scored / statistics.median(batches)),
        "batch_in_database_records_per_cpu_second": round(scored / statistics.median(batch_cpu)),
        "load_average_before": [round(value, 1) for value in load_before],
        "load_average_after": [round(value, 1) for value in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--only", default="", help="comma-separated parts to run")
    parser.add_argument("--output", type=Path, default=None)
    arguments = parser.parse_args()
    parts = {part for part in arguments.only.split(",") if part}
    data = arguments.data_dir
    results: dict[str, Any] = {"machine": machine_facts()}

    def wanted(name: str) -> bool:
        return not parts or name in parts

    for name, function in (
        ("churn", churn),
        ("bank", bank),
        ("leads", leads),
        ("sentiment", sentiment),
        ("tickets", tickets),
        ("scoring", scoring_speed),
    ):
        if wanted(name):
            started = time.perf_counter()
            results[name] = function(data)
            print(name, results[name], f"({time.perf_counter() - started:.0f} s)", flush=True)
    if wanted("opportunities") or wanted("forecast"):
        deals, results["opportunities"] = opportunities(data)
        print("opportunities", results["opportunities"], flush=True)
        results["forecast"] = backtest(deals, [date(2017, month, 1) for month in range(7, 13)])
        print("forecast", results["forecast"], flush=True)
    if wanted("realtime"):
        results["realtime"] = realtime_in_database()
        print("realtime", results["realtime"], flush=True)
    path = write_results("models", results, arguments.output)
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
