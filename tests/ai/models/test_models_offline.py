"""Learners, explanations, forecasting and stall detection on files and in-memory frames."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sqlalchemy import select
from typer.testing import CliRunner

from zhike.ai.models.artifacts import dump_artifact, load_artifact
from zhike.ai.models.cli import models_app
from zhike.ai.models.coldstart import lexicon_sentiment
from zhike.ai.models.evaluation import evaluate_text, read_table
from zhike.ai.models.explain import (
    _input_groups,
    describe_factor,
    tabular_contributions,
    top_tabular_factors,
)
from zhike.ai.models.learners import (
    choose_calibration,
    fit_tabular,
    infer_columns,
    predict_positive,
    prepare_frame,
)
from zhike.ai.models.profiles import numeric_profile, numeric_shares, psi
from zhike.ai.models.realtime import explain_values
from zhike.ai.models.row_encoder import RowEncoder
from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.sales.forecast import backtest
from zhike.sales.models import Opportunity, OpportunityStageChange, PipelineStage
from zhike.sales.stalled import find_stalled, robust_limit


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=5000)
    profile = numeric_profile(values)
    assert psi(profile["expected"], numeric_shares(values, profile["edges"])) == pytest.approx(
        0.0, abs=1e-9
    )
    shifted = numeric_shares(values + 1.0, profile["edges"])
    assert psi(profile["expected"], shifted) > 0.5


def test_lexicon_sentiment_reads_negation() -> None:
    scores, factors = lexicon_sentiment(["服务很好，谢谢", "送餐太慢，很失望", "不满意"])
    assert scores[0] > 0.6
    assert scores[1] < 0.4
    assert scores[2] < 0.5
    assert factors[1][0]["feature"] == "term"


def test_eval_command_prints_held_out_metrics(tmp_path: Path, data_dir: Path) -> None:
    frame = pd.read_csv(data_dir / "telco_customer_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv")
    frame = frame.drop(columns=["customerID"]).sample(1500, random_state=7)
    frame.iloc[:1000].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[1000:].to_csv(tmp_path / "test.csv", index=False)
    result = CliRunner().invoke(
        models_app,
        [
            "eval",
            "--template",
            "churn_risk",
            "--train",
            str(tmp_path / "train.csv"),
            "--test",
            str(tmp_path / "test.csv"),
            "--label",
            "Churn",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert {"roc_auc", "pr_auc", "accuracy", "f1", "brier", "training_seconds"} <= set(metrics)
    assert metrics["rows"] == 500
    assert metrics["roc_auc"] > 0.78


def test_blank_cells_leave_a_number_column_numeric(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "tenure,TotalCharges,Churn,plan\n0, ,No,A1\n5,100.5,Yes,\n7,,No,B\n",
        encoding="utf-8",
    )
    frame = read_table(path)
    assert pd.api.types.is_float_dtype(frame["TotalCharges"])
    assert frame["TotalCharges"].isna().tolist() == [True, False, True]
    assert frame["TotalCharges"].iat[1] == 100.5
    assert frame["Churn"].tolist() == ["No", "Yes", "No"]
    assert frame["plan"].iat[0] == "A1"
    assert infer_columns(frame.drop(columns="Churn")).numeric == ["tenure", "TotalCharges"]


def test_eval_command_names_a_missing_label(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,y\n1,0\n", encoding="utf-8")
    result = CliRunner().invoke(
        models_app,
        [
            "eval",
            "--template",
            "churn_risk",
            "--train",
            str(tmp_path / "a.csv"),
            "--test",
            str(tmp_path / "a.csv"),
            "--label",
            "Churn",
        ],
    )
    assert result.exit_code == 1
    assert "Churn" in result.output


def test_sentiment_learner_on_a_sample_of_reviews(data_dir: Path) -> None:
    frame = pd.read_csv(data_dir / "zh_sentiment_waimai_10k" / "waimai_10k.csv").sample(
        3000, random_state=3
    )
    metrics = evaluate_text(
        "sentiment", frame.iloc[:2400], frame.iloc[2400:], "label", "review", baseline=True
    )
    assert metrics["rows"] == 600
    assert metrics["accuracy"] > 0.85
    assert metrics["baseline"]["accuracy"] > 0.8


def test_forecast_back_test_beats_seasonal_naive_on_a_regular_pipeline() -> None:
    rng = np.random.default_rng(5)
    rows = []
    for day in pd.date_range("2024-01-01", "2025-06-30", freq="D"):
        for _ in range(rng.poisson(3)):
            days = int(rng.integers(5, 60))
            won = rng.random() < 0.6
            rows.append(
                {
                    "owner": f"o{rng.integers(4)}",
                    "team": "t",
                    "engaged": day,
                    "closed": day + timedelta(days=days),
                    "outcome": "won" if won else "lost",
                    "amount": 1000.0 if won else None,
                }
            )
    deals = pd.DataFrame(rows)
    result = backtest(deals, [date(2025, month, 1) for month in range(1, 6)])
    assert len(result["months"]) == 5
    assert result["wape"] < result["seasonal_naive_wape"]


def test_robust_limit_ignores_one_extreme_stay() -> None:
    median, limit = robust_limit(np.asarray([10, 11, 12, 9, 10, 400.0]))
    assert median == pytest.approx(10.5)
    assert limit < 30


def test_stalled_deal_is_found_with_its_reason(database: Database, tenant) -> None:
    now = utc_now()
    with database.session() as session:
        stage = session.scalars(
            select(PipelineStage).where(
                PipelineStage.tenant_id == tenant.tenant.id, PipelineStage.key == "proposal"
            )
        ).one()
        won = session.scalars(
            select(PipelineStage).where(
                PipelineStage.tenant_id == tenant.tenant.id, PipelineStage.key == "won"
            )
        ).one()
        deals = []
        for index in range(7):
            start = now - timedelta(days=100 + index)
            deal = Opportunity(
                tenant_id=tenant.tenant.id,
                name=f"商机{index}",
                stage_id=won.id,
                owner_id=tenant.admin.id,
            )
            session.add(deal)
            session.flush()
            session.add_all(
                [
                    OpportunityStageChange(
                        tenant_id=tenant.tenant.id,
                        opportunity_id=deal.id,
                        to_stage_id=stage.id,
                        changed_at=start,
                    ),
                    OpportunityStageChange(
                        tenant_id=tenant.tenant.id,
                        opportunity_id=deal.id,
                        from_stage_id=stage.id,
                        to_stage_id=won.id,
                        changed_at=start + timedelta(days=10 + index % 3),
                    ),
                ]
            )
        # 60.97 days would round to 61.0; the deal has spent 60 whole days in the stage.
        for name, days in (("卡住的商机", 60.97), ("正常的商机", 8.0)):
            deal = Opportunity(
                tenant_id=tenant.tenant.id, name=name, stage_id=stage.id, owner_id=tenant.admin.id
            )
            session.add(deal)
            session.flush()
            deals.append(deal)
            session.add(
                OpportunityStageChange(
                    tenant_id=tenant.tenant.id,
                    opportunity_id=deal.id,
                    to_stage_id=stage.id,
                    changed_at=now - timedelta(days=days),
                )
            )
        session.flush()
        stalled = find_stalled(session, tenant.actor, now=now)
    assert [deal.opportunity_id for deal in stalled] == [deals[0].id]
    assert stalled[0].typical_days == pytest.approx(11.0)
    assert stalled[0].days_in_stage == pytest.approx(60.9)
    assert stalled[0].reason.startswith("在阶段「报价谈判」已停留 60 天")


def test_a_number_never_filled_in_is_left_out_of_training() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "lead_source": rng.choice(["referral", "social"], 300),
            "days_since_last_activity": np.full(300, np.nan),
        }
    )
    labels = (frame["lead_source"] == "referral").to_numpy(dtype=int)
    model = fit_tabular(frame, labels)
    assert model.columns is not None
    assert model.columns.numeric == []
    assert predict_positive(model, frame).shape == (300,)


def test_calibration_choice_follows_the_shape_of_errors() -> None:
    rng = np.random.default_rng(4)
    probabilities = rng.uniform(0.01, 0.99, 6000)
    log_odds = np.log(probabilities / (1 - probabilities))
    # Outcomes that follow a logistic curve of the log-odds: sigmoid fits them exactly.
    logistic = (rng.random(6000) < 1 / (1 + np.exp(-2 * log_odds))).astype(int)
    assert choose_calibration(probabilities, logistic, seed=1) == "sigmoid"
    # Outcomes that jump at two cut points: only the step-shaped isotonic fit follows them.
    stepped_chance = np.select([probabilities < 0.3, probabilities < 0.7], [0.05, 0.9], 0.2)
    stepped = (rng.random(6000) < stepped_chance).astype(int)
    assert choose_calibration(probabilities, stepped, seed=1) == "isotonic"


def test_shallow_boosting_is_a_candidate_with_depth_two() -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "tier": rng.choice(["A", "B", "C"], 400),
            "visits": rng.poisson(3, 400).astype(float),
        }
    )
    labels = ((frame["tier"] == "A") ^ (frame["visits"] > 3)).to_numpy(dtype=int)
    model = fit_tabular(frame, labels, candidates=["gradient_boosting_shallow"])
    assert model.learner == "gradient_boosting_shallow"
    boosted = model.pipeline.named_steps["model"].estimator
    assert boosted.max_depth == 2
    assert predict_positive(model, frame).shape == (400,)


def _churn_by_activities(activities: np.ndarray) -> np.ndarray:
    """Return the chance of churn: steep fall over the first few activities, slow after."""
    return np.asarray(1 / (1 + np.exp(-(1.0 - 1.2 * np.log1p(activities)))), dtype=float)


def test_linear_learner_fits_levelling_effect() -> None:
    rng = np.random.default_rng(1)
    activities = rng.integers(0, 73, 3000).astype(float)
    frame = pd.DataFrame({"activities_90d": activities})
    labels = (rng.random(3000) < _churn_by_activities(activities)).astype(int)
    model = fit_tabular(frame, labels, candidates=["logistic_regression"])
    grid = np.asarray([0.0, 1.0, 3.0, 6.0, 12.0, 24.0, 48.0, 72.0])
    predicted = predict_positive(model, pd.DataFrame({"activities_90d": grid}))
    # A straight line in the raw count misses this curve by up to 0.39 (at 0 activities).
    assert np.abs(predicted - _churn_by_activities(grid)).max() < 0.05


@pytest.mark.parametrize("learner", ["logistic_regression", "blend_shallow"])
def test_asinh_term_explained_as_input(learner: str) -> None:
    rng = np.random.default_rng(3)
    activities = rng.integers(0, 73, 1000).astype(float)
    activities[:50] = np.nan
    frame = pd.DataFrame({"activities_90d": activities, "tier": rng.choice(["A", "B"], 1000)})
    chance = _churn_by_activities(np.nan_to_num(activities, nan=10.0))
    labels = (rng.random(1000) < chance).astype(int)
    model = fit_tabular(frame, labels, candidates=[learner])
    assert model.columns is not None

    encoder = model.pipeline.named_steps["features"]
    names = [str(name) for name in encoder.get_feature_names_out()]
    groups = _input_groups(model.pipeline, model.columns)
    linear_prefix = "" if learner == "logistic_regression" else "linear_"
    grouped = [names[index] for index in groups["activities_90d"]]
    expected = [
        f"{linear_prefix}number__activities_90d",
        f"{linear_prefix}number__missingindicator_activities_90d",
        f"{linear_prefix}number_asinh__activities_90d",
    ]
    if learner == "blend_shallow":
        expected.insert(0, "boost_number__activities_90d")
    assert grouped == expected
    assert sorted(groups) == ["activities_90d", "tier"]

    probe = pd.DataFrame({"activities_90d": [0.0], "tier": ["A"]})
    _, factor_names, contributions = tabular_contributions(
        model.pipeline, model.columns, model.background, probe
    )
    factors = top_tabular_factors(factor_names, contributions, probe)[0]
    assert factors[0]["feature"] == "activities_90d"
    assert factors[0]["value"] == 0.0
    assert factors[0]["contribution"] > 0.2
    row_encoder = RowEncoder(model.pipeline, model.columns)
    _, single = explain_values(model, row_encoder, {"activities_90d": 0.0, "tier": "A"})
    assert single[0]["feature"] == "activities_90d"
    assert single[0]["contribution"] == factors[0]["contribution"]
    contribution = f"{factors[0]['contribution']:+.2f}"
    assert describe_factor(factors[0], "zh-CN") == f"近90天跟进次数 = 0.0 {contribution}"
    assert describe_factor(factors[0], "en") == (
        f"Activities in the last 90 days = 0.0 {contribution}"
    )

    artifact, digest = dump_artifact(model.pipeline)
    loaded = load_artifact(artifact, digest)
    assert isinstance(loaded, Pipeline)
    prepared = prepare_frame(frame, model.columns)
    assert np.array_equal(loaded.predict_proba(prepared), model.pipeline.predict_proba(prepared))
