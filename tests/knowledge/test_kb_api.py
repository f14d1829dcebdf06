"""Knowledge base over the API: workflow, revisions, permissions, import and search."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from kb_support import publish_faq, user_client
from testkit import TenantInfo


def test_draft_is_not_searchable_until_published(client: TestClient) -> None:
    created = client.post(
        "/api/v1/kb/articles",
        json={
            "kind": "faq",
            "title": "怎么修改绑定的还款银行卡",
            "body": "在 App 的“我的-银行卡”中解绑旧卡后添加新卡。",
            "similar_questions": ["还款卡怎么换", "怎么修改绑定的还款银行卡", " 换一张卡还款 "],
            "category": "还款",
            "tags": ["银行卡"],
        },
    )
    assert created.status_code == 201, created.text
    article = created.json()
    assert article["status"] == "draft"
    assert article["revision"] == 1
    assert article["published_revision"] is None
    assert article["similar_questions"] == ["还款卡怎么换", "换一张卡还款"]

    assert client.get("/api/v1/kb/search", params={"q": "还款卡怎么换"}).json()["hits"] == []

    submitted = client.post(f"/api/v1/kb/articles/{article['id']}/submit")
    assert submitted.json()["status"] == "in_review"
    started = time.perf_counter()
    published = client.post(f"/api/v1/kb/articles/{article['id']}/publish")
    assert published.json()["status"] == "published"
    hits = client.get("/api/v1/kb/search", params={"q": "我想换一张银行卡来还款"}).json()["hits"]
    assert time.perf_counter() - started < 1.0
    assert [hit["article_id"] for hit in hits] == [article["id"]]
    assert hits[0]["answer"] == "在 App 的“我的-银行卡”中解绑旧卡后添加新卡。"


def test_editing_published_article_keeps_serving_published_revision(client: TestClient) -> None:
    article_id = publish_faq(client, "利息怎么算", "按日计息，日利率 0.05%。", ["利息是多少"])
    current = client.get(f"/api/v1/kb/articles/{article_id}")
    edited = client.patch(
        f"/api/v1/kb/articles/{article_id}",
        json={"body": "按日计息，日利率 0.04%。"},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "draft"
    assert edited.json()["revision"] == 2
    assert edited.json()["published_revision"] == 1
    hits = client.get("/api/v1/kb/search", params={"q": "利息怎么算"}).json()["hits"]
    assert hits[0]["answer"] == "按日计息，日利率 0.05%。"

    client.post(f"/api/v1/kb/articles/{article_id}/publish")
    hits = client.get("/api/v1/kb/search", params={"q": "利息怎么算"}).json()["hits"]
    assert hits[0]["answer"] == "按日计息，日利率 0.04%。"
    revisions = client.get(f"/api/v1/kb/articles/{article_id}/revisions").json()
    assert [(item["revision"], item["body"]) for item in revisions] == [
        (1, "按日计息，日利率 0.05%。"),
        (2, "按日计息，日利率 0.04%。"),
    ]


def test_archive_and_delete_leave_the_index(client: TestClient) -> None:
    archived = publish_faq(client, "如何注销账户", "在设置中申请注销。", [])
    deleted = publish_faq(client, "如何开具结清证明", "联系客服开具。", [])
    assert client.post(f"/api/v1/kb/articles/{archived}/archive").status_code == 200
    assert client.delete(f"/api/v1/kb/articles/{deleted}").status_code == 204
    for question in ("如何注销账户", "如何开具结清证明"):
        assert client.get("/api/v1/kb/search", params={"q": question}).json()["hits"] == []


def test_invalid_transition_is_refused(client: TestClient) -> None:
    article_id = publish_faq(client, "额度怎么提升", "按时还款可提升额度。", [])
    response = client.post(f"/api/v1/kb/articles/{article_id}/submit")
    assert response.status_code == 409
    assert response.json()["code"] == "kb_invalid_transition"
    assert "状态为“已发布”的知识文章不能提交审核" in response.json()["detail"]
    assert client.get(f"/api/v1/kb/articles/{article_id}").json()["status"] == "published"


def test_roles_service_agent_edits_sales_rep_reads(client: TestClient, tenant: TenantInfo) -> None:
    article_id = publish_faq(client, "几点可以还款", "全天可还款。", [])
    with user_client(client, tenant.slug, "service_agent") as agent:
        created = agent.post("/api/v1/kb/articles", json={"title": "还款时间说明", "body": "全天"})
        assert created.status_code == 201, created.text
    with user_client(client, tenant.slug, "sales_rep") as rep:
        assert rep.get(f"/api/v1/kb/articles/{article_id}").status_code == 200
        assert (
            rep.get("/api/v1/kb/search", params={"q": "几点还款"}).json()["hits"][0]["article_id"]
            == article_id
        )
        denied = rep.post("/api/v1/kb/articles", json={"title": "不该创建", "body": ""})
        assert denied.status_code == 403
        assert rep.post(f"/api/v1/kb/articles/{article_id}/archive").status_code == 403
    with user_client(client, tenant.slug, "auditor") as auditor:
        assert auditor.get("/api/v1/kb/search", params={"q": "还款"}).status_code == 403
    listed = client.get("/api/v1/kb/articles").json()["items"]
    assert sorted(item["title"] for item in listed) == ["几点可以还款", "还款时间说明"]
    assert client.get(f"/api/v1/kb/articles/{article_id}").json()["status"] == "published"


def test_tenants_never_see_each_other(client: TestClient, other_client: TestClient) -> None:
    publish_faq(client, "本公司专属问题", "只属于本租户。", [])
    response = other_client.get("/api/v1/kb/search", params={"q": "本公司专属问题"})
    assert response.json()["hits"] == []


def test_import_faq_csv_and_markdown(client: TestClient) -> None:
    table = (
        "id,question,answer\nq1,怎么还款,在 App 中点击还款\nq1,如何还钱,\nq2,额度多少,最高 20 万\n"
    )
    response = client.post(
        "/api/v1/kb/import",
        params={"publish": "true"},
        files={"file": ("faq.csv", table.encode("utf-8"), "text/csv")},
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"created": 2, "published": 2}
    markdown = "# 提前还款说明\n\n提前还款不收手续费。利息按实际天数计算。\n"
    response = client.post(
        "/api/v1/kb/import",
        files={"file": ("guide.md", markdown.encode("utf-8"), "text/markdown")},
    )
    assert response.json() == {"created": 1, "published": 0}
    items = {item["title"]: item for item in client.get("/api/v1/kb/articles").json()["items"]}
    assert items["怎么还款"]["similar_questions"] == ["如何还钱"]
    assert items["怎么还款"]["body"] == "在 App 中点击还款"
    assert items["提前还款说明"]["kind"] == "article"
    assert items["提前还款说明"]["status"] == "draft"
    hits = client.get("/api/v1/kb/search", params={"q": "如何还钱"}).json()["hits"]
    assert hits[0]["title"] == "怎么还款"


def test_import_rejects_unknown_format(client: TestClient) -> None:
    response = client.post(
        "/api/v1/kb/import", files={"file": ("data.json", b"{}", "application/json")}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "kb_import_format"
    assert client.get("/api/v1/kb/articles").json()["items"] == []
