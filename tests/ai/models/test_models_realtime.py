"""Real-time scoring: same score as batch, cache invalidation, the write hook and the scores API."""

from __future__ import annotations

import uuid
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from models_support import add_leads, add_opportunities, login_as
from sqlalchemy import func, select

from zhike.ai.models import model_cache, registry
from zhike.ai.models.features import build_features
from zhike.ai.models.learners import fit_tabular, prepare_frame
from zhike.ai.models.models import ModelScore, ModelVersion
from zhike.ai.models.realtime import (
    explain_values,
    load_record,
    production_model,
    record_values,
    score_one,
    score_values,
)
from zhike.ai.models.row_encoder import RowEncoder
from zhike.ai.models.scoring import batch_probabilities, compute_scores, score_template
from zhike.ai.models.templates import get_template
from zhike.ai.models.training import train_template
from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.sales.models import Lead, Opportunity, PipelineStage


def _scores(database: Database, tenant_id: uuid.UUID, record_id: str) -> list[ModelScore]:
    with database.session() as session:
        return list(
            session.scalars(
                select(ModelScore).where(
                    ModelScore.tenant_id == tenant_id, ModelScore.record_id == uuid.UUID(record_id)
                )
            )
        )


@pytest.mark.parametrize(
    "learner", ["gradient_boosting", "logistic_regression", "blend", "blend_shallow"]
)
def test_row_encoder_and_single_record_explanation_match_the_pipeline(learner: str) -> None:
    rng = np.random.default_rng(7)
    rows = 600
    frame = pd.DataFrame(
        {
            "lead_source": rng.choice(["referral", "social", "展会", None], rows),
            "province": rng.choice(["广东", "浙江", "rare-" + "x"], rows, p=[0.5, 0.49, 0.01]),
            "visits": rng.poisson(2, rows).astype(float),
            "budget": np.where(rng.random(rows) < 0.2, np.nan, rng.normal(100, 30, rows)),
        }
    )
    labels = ((frame["lead_source"] == "referral") | (frame["visits"] > 3)).to_numpy(dtype=int)
    model = fit_tabular(frame, labels, candidates=[learner])
    assert model.learner == learner
    assert model.columns is not None
    encoder = RowEncoder(model.pipeline, model.columns)
    probe = pd.concat(
        [frame.head(50), pd.DataFrame([{"lead_source": "never-seen", "province": None}])],
        ignore_index=True,
    )
    encoded = model.pipeline.named_steps["features"].transform(prepare_frame(probe, model.columns))
    expected = model.pipeline.predict_proba(prepare_frame(probe, model.columns))[:, 1]
    for row, values in enumerate(probe.to_dict(orient="records")):
        assert np.allclose(encoder.encode(values), encoded[row], rtol=0, atol=1e-12, equal_nan=True)
        probability, factors = explain_values(model, encoder, values)
        assert abs(probability - expected[row]) < 1e-9
        assert len(factors) <= 3
    whole = encoder.encode_frame(probe)
    assert whole.shape == encoded.shape
    assert np.allclose(whole, encoded, rtol=0, atol=1e-12, equal_nan=True)
    assert np.allclose(batch_probabilities(model, probe), expected, rtol=0, atol=1e-12)


def test_frame_encoder_reads_mixed_and_missing_columns() -> None:
    rng = np.random.default_rng(3)
    rows = 400
    frame = pd.DataFrame(
        {
            "tier": rng.choice(["A", "B", "C"], rows),
            "employees": rng.integers(1, 500, rows),
            "score_text": rng.choice(np.array(["1.5", "2", "x", None], dtype=object), rows),
        }
    )
    labels = ((frame["tier"] == "A") | (frame["employees"] > 300)).to_numpy(dtype=int)
    model = fit_tabular(frame, labels, candidates=["logistic_regression"])
    assert model.columns is not None
    encoder = RowEncoder(model.pipeline, model.columns)
    probe = pd.DataFrame(
        {
            # Numbers in a category column, an unseen category and a missing one.
            "tier": pd.Series([1, "Z", None, "B"], dtype=object),
            "employees": pd.Series([10, None, 250, 499], dtype="Int64"),
        }
    )
    expected = model.pipeline.named_steps["features"].transform(prepare_frame(probe, model.columns))
    assert np.allclose(encoder.encode_frame(probe), expected, rtol=0, atol=1e-12)
    for row, values in enumerate(probe.to_dict(orient="records")):
        assert np.allclose(encoder.encode(values), expected[row], rtol=0, atol=1e-12)


def test_fast_path_gives_the_batch_score(database: Database, tenant) -> None:
    add_leads(database, tenant.tenant.id, 300, seed=11)
    now = utc_now()
    with database.session() as session:
        # Open leads without activity: their features do not depend on the clock.
        for index in range(5):
            session.add(
                Lead(
                    tenant_id=tenant.tenant.id,
                    name=f"新线索{index}",
                    lead_source=("referral", "social", None, "展会", "trade_show")[index],
                    first_contact_at=now - timedelta(days=3),
                    custom={"landing_page": "page-9" if index else None},
                )
            )
    with database.session() as session:
        version = train_template(session, tenant.actor, "lead_score")
    # Read-only from here on, so that no write lock is held while 305 records are compared.
    with database.session() as session:
        template = get_template("lead_score")
        features = build_features(session, tenant.tenant.id, template)
        batch = {score.record_id: score for score in compute_scores(template, features, version)}
        entry = production_model(session, tenant.tenant.id, "lead_score")
        assert entry.version_id == version.id
        assert entry.encoder is not None
        for record_id in features.record_ids:
            record = load_record(session, tenant.tenant.id, "lead_score", record_id)
            values = record_values(session, tenant.tenant.id, entry.template, record)
            score, factors, source = score_values(entry, values)
            assert source == "model"
            assert abs(score - batch[record_id].score) < 1e-9, record_id
            assert {factor["feature"] for factor in factors} <= {
                *features.frame.columns,
            }
    assert len(batch) == 305


def test_opportunity_fast_path_gives_the_batch_score(database: Database, tenant) -> None:
    add_opportunities(database, tenant, 300, seed=4)
    with database.session() as session:
        version = train_template(session, tenant.actor, "win_probability")
    today = utc_now().date()
    with database.session() as session:
        # Open deals without activity: their features do not depend on the clock.
        proposal = session.scalars(
            select(PipelineStage).where(
                PipelineStage.tenant_id == tenant.tenant.id, PipelineStage.key == "proposal"
            )
        ).one()
        decided = session.scalars(
            select(Opportunity).where(Opportunity.tenant_id == tenant.tenant.id).limit(4)
        ).all()
        for index, template_deal in enumerate(decided):
            session.add(
                Opportunity(
                    tenant_id=tenant.tenant.id,
                    name=f"进行中商机{index}",
                    owner_id=tenant.admin.id if index else None,
                    account_id=template_deal.account_id,
                    product_id=template_deal.product_id if index != 2 else None,
                    stage_id=proposal.id,
                    engaged_on=today - timedelta(days=5) if index != 3 else None,
                )
            )
    with database.session() as session:
        template = get_template("win_probability")
        features = build_features(session, tenant.tenant.id, template)
        batch = {score.record_id: score for score in compute_scores(template, features, version)}
        entry = production_model(session, tenant.tenant.id, "win_probability")
        assert entry.version_id == version.id
        assert entry.encoder is not None
        for record_id in features.record_ids:
            record = load_record(session, tenant.tenant.id, "win_probability", record_id)
            values = record_values(session, tenant.tenant.id, entry.template, record)
            score, _, source = score_values(entry, values)
            assert source == "model"
            assert abs(score - batch[record_id].score) < 1e-9, record_id
    assert len(batch) == 304
    open_scores = [score for score in batch.values() if score.details]
    assert len(open_scores) == 4
    with database.session() as session:
        for expected in open_scores:
            [scored] = score_one(session, tenant.actor, "opportunities", expected.record_id)
            assert scored.details == expected.details
            assert scored.details["expected_close_date"] >= today.isoformat()
            stored = session.scalars(
                select(ModelScore).where(ModelScore.record_id == expected.record_id)
            ).one()
            assert stored.details == expected.details


def test_cache_is_invalidated_on_promote_and_rollback(database: Database, tenant) -> None:
    add_leads(database, tenant.tenant.id, 300, seed=5)
    tenant_id = tenant.tenant.id
    with database.session() as session:
        first = train_template(session, tenant.actor, "lead_score")
    with database.session() as session:
        assert production_model(session, tenant_id, "lead_score").version_id == first.id
        second = train_template(session, tenant.actor, "lead_score", promote_if_better=False)
        assert second.status == "candidate"
        # A candidate does not change what scores.
        assert model_cache.get(tenant_id, "lead_score") is not None
        assert production_model(session, tenant_id, "lead_score").version_id == first.id
        registry.promote(session, tenant.actor, second.id)
        assert model_cache.get(tenant_id, "lead_score") is None
        assert production_model(session, tenant_id, "lead_score").version_id == second.id
    assert model_cache.get(tenant_id, "lead_score") is None  # dropped again on commit
    with database.session() as session:
        lead_id = session.scalars(select(Lead.id).where(Lead.tenant_id == tenant_id)).first()
        assert production_model(session, tenant_id, "lead_score").version_id == second.id
        registry.rollback(session, tenant.actor, "lead_score")
        assert model_cache.get(tenant_id, "lead_score") is None
        assert production_model(session, tenant_id, "lead_score").version_id == first.id
        score_template(session, tenant.actor, "lead_score", [lead_id])
        stored = session.scalars(select(ModelScore).where(ModelScore.record_id == lead_id)).one()
        assert stored.model_version_id == first.id


def test_create_and_update_score_the_lead(client: TestClient, database: Database, tenant) -> None:
    created = client.post(
        "/api/v1/leads",
        json={"name": "王五", "lead_source": "referral", "mobile": "13912345678"},
    )
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    [stored] = _scores(database, tenant.tenant.id, lead_id)
    # prior 0.10 + referral 0.10 + mobile 0.03, from the cold-start rules.
    assert (stored.template, stored.source, stored.score) == ("lead_score", "rules", 0.23)
    response = client.get(f"/api/v1/leads/{lead_id}/scores")
    assert response.status_code == 200
    [score] = response.json()
    assert score["score"] == 0.23
    assert score["model_version"] is None
    assert score["model_version_id"] is None
    assert score["scored_at"] is not None
    assert [factor["text"] for factor in score["top_factors"]] == [
        "规则：线索来源 +0.10",
        "规则：有手机号 +0.03",
    ]
    english = client.get(f"/api/v1/leads/{lead_id}/scores", headers={"Accept-Language": "en"})
    assert english.json()[0]["top_factors"][0]["text"] == "rule: Lead source +0.10"

    etag = client.get(f"/api/v1/leads/{lead_id}").headers["ETag"]
    updated = client.patch(
        f"/api/v1/leads/{lead_id}", json={"lead_source": "social"}, headers={"If-Match": etag}
    )
    assert updated.status_code == 200, updated.text
    [stored] = _scores(database, tenant.tenant.id, lead_id)
    assert stored.score == 0.13

    contact = client.post("/api/v1/contacts", json={"name": "赵六"})
    assert contact.status_code == 201
    assert _scores(database, tenant.tenant.id, contact.json()["id"]) == []
    assert client.get(f"/api/v1/contacts/{contact.json()['id']}/scores").json() == []


def test_a_failing_model_does_not_fail_the_write(
    client: TestClient, database: Database, tenant
) -> None:
    add_leads(database, tenant.tenant.id, 300, seed=3)
    with database.session() as session:
        version = train_template(session, tenant.actor, "lead_score")
        # A damaged artifact: loading it refuses, as it must.
        version.artifact_sha256 = "0" * 64
    model_cache.invalidate(tenant.tenant.id)
    created = client.post("/api/v1/leads", json={"name": "孙七", "lead_source": "referral"})
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    assert _scores(database, tenant.tenant.id, lead_id) == []
    with database.session() as session:
        assert session.get(Lead, uuid.UUID(lead_id)) is not None
        assert (
            session.scalar(
                select(func.count(ModelVersion.id)).where(
                    ModelVersion.tenant_id == tenant.tenant.id
                )
            )
            == 1
        )


def test_scores_follow_read_permission(client: TestClient, database: Database, tenant) -> None:
    first_rep = login_as(client, database, tenant, "rep-one", "sales_rep")
    second_rep = login_as(client, database, tenant, "rep-two", "sales_rep")
    created = client.post(
        "/api/v1/leads", json={"name": "周八", "lead_source": "referral"}, headers=first_rep
    )
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    own = client.get(f"/api/v1/leads/{lead_id}/scores", headers=first_rep)
    assert own.status_code == 200
    assert len(own.json()) == 1
    for path in (f"/api/v1/leads/{lead_id}/scores", f"/api/v1/models/scores/leads/{lead_id}"):
        other = client.get(path, headers=second_rep)
        assert (other.status_code, other.json()["code"]) == (404, "record_not_found"), path
    anonymous = client.get(f"/api/v1/leads/{lead_id}/scores", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    missing = client.get(f"/api/v1/leads/{uuid.uuid4()}/scores")
    assert (missing.status_code, missing.json()["code"]) == (404, "record_not_found")
    assert len(_scores(database, tenant.tenant.id, lead_id)) == 1


def test_batch_scores_explain_the_top_and_defer_the_rest(
    client: TestClient, database: Database, tenant
) -> None:
    add_leads(database, tenant.tenant.id, 300, seed=9)
    with database.session() as session:
        train_template(session, tenant.actor, "lead_score")
    response = client.post("/api/v1/models/templates/lead_score/score")
    assert response.json() == {"template": "lead_score", "scored": 300}
    with database.session() as session:
        rows = list(
            session.scalars(select(ModelScore).where(ModelScore.tenant_id == tenant.tenant.id))
        )
    deferred = [row for row in rows if row.details.get("reasons_deferred")]
    assert len(rows) == 300
    assert len(deferred) == 200
    assert max(row.score for row in deferred) <= min(
        row.score for row in rows if not row.details.get("reasons_deferred")
    )
    lowest = min(deferred, key=lambda row: row.score)
    [score] = client.get(f"/api/v1/leads/{lowest.record_id}/scores").json()
    assert score["details"] == {}
    assert score["model_version"] == 1
    assert 1 <= len(score["top_factors"]) <= 3
    assert all(factor["text"] for factor in score["top_factors"])
