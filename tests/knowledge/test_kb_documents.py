"""Importing Word and PDF documents, and one index kept current across processes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

from docx import Document
from fastapi.testclient import TestClient
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from testkit import TenantInfo


def docx_bytes() -> bytes:
    document = Document()
    document.add_heading("退换货政策", level=1)
    document.add_paragraph("收到商品七天内可申请无理由退货，运费由买家承担。")
    document.add_heading("质量问题", level=2)
    document.add_paragraph("商品有质量问题时，十五天内可换货，运费由商家承担。")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "客服电话"
    table.rows[0].cells[1].text = "400-800-1234"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(title: str | None) -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    if title:
        page.setTitle(title)
    page.setFont("STSong-Light", 12)
    page.drawString(72, 720, "发票开具说明")
    page.drawString(72, 700, "订单完成后可在订单详情页申请电子发票，三个工作日内发送到邮箱。")
    page.save()
    return buffer.getvalue()


def upload(client: TestClient, name: str, content: bytes, mime: str) -> dict[str, int]:
    response = client.post(
        "/api/v1/kb/import", params={"publish": "true"}, files={"file": (name, content, mime)}
    )
    assert response.status_code == 201, response.text
    result: dict[str, int] = response.json()
    return result


def test_docx_import_becomes_searchable_article(client: TestClient) -> None:
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert upload(client, "policy.docx", docx_bytes(), mime) == {"created": 1, "published": 1}
    articles = client.get("/api/v1/kb/articles", params={"kind": "article"}).json()["items"]
    assert [article["title"] for article in articles] == ["退换货政策"]
    body = articles[0]["body"]
    assert body.startswith("收到商品七天内可申请无理由退货")
    assert "### 质量问题" in body
    assert "客服电话 | 400-800-1234" in body
    hits = client.get("/api/v1/kb/search", params={"q": "有质量问题能换货吗"}).json()["hits"]
    assert hits[0]["title"] == "退换货政策"


def test_pdf_import_uses_title_or_first_line(client: TestClient) -> None:
    upload(client, "invoice.pdf", pdf_bytes("电子发票"), "application/pdf")
    upload(client, "untitled.pdf", pdf_bytes(None), "application/pdf")
    titles = sorted(
        article["title"] for article in client.get("/api/v1/kb/articles").json()["items"]
    )
    assert titles == ["发票开具说明", "电子发票"]
    hits = client.get("/api/v1/kb/search", params={"q": "怎么申请电子发票"}).json()["hits"]
    assert len(hits) == 2
    assert "订单详情页申请电子发票" in hits[0]["answer"]


def test_broken_documents_are_rejected(client: TestClient) -> None:
    for name, mime in (
        ("broken.docx", "application/octet-stream"),
        ("broken.pdf", "application/pdf"),
    ):
        response = client.post("/api/v1/kb/import", files={"file": (name, b"not a document", mime)})
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "kb_import_unreadable"
        assert name in response.json()["detail"]
    assert client.get("/api/v1/kb/articles").json()["items"] == []


PUBLISHER = textwrap.dedent(
    """
    import sys, uuid
    from sqlalchemy import select
    from zhike.core.db import get_database
    from zhike.knowledge.schemas import ArticleCreate
    from zhike.knowledge.service import KnowledgeService
    from zhike.security.auth import actor_for
    from zhike.security.models import Tenant, User
    from zhike.security.tenancy import bind_tenant

    tenant_id, step = uuid.UUID(sys.argv[1]), sys.argv[2]
    with get_database().session() as session:
        bind_tenant(session, tenant_id)
        tenant = session.get(Tenant, tenant_id)
        admin = session.scalars(select(User).where(User.tenant_id == tenant_id)).first()
        service = KnowledgeService(session, actor_for(tenant, admin))
        if step == "publish":
            article = service.records.create(
                ArticleCreate(kind="faq", title="积分什么时候过期", body="积分在获得次年年底过期。")
            )
            service.transition(article.id, "publish", None)
            print(article.id)
        else:
            service.transition(uuid.UUID(sys.argv[3]), "archive", None)
    """
)


def run_other_process(*arguments: str) -> str:
    completed = subprocess.run(  # noqa: S603 - runs this interpreter on a fixed script
        [sys.executable, "-c", PUBLISHER, *arguments],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def test_publish_in_other_process_is_searchable(client: TestClient, tenant: TenantInfo) -> None:
    question = {"q": "积分会过期吗"}
    assert client.get("/api/v1/kb/search", params=question).json()["hits"] == []
    article_id = run_other_process(str(tenant.tenant.id), "publish")
    hits = client.get("/api/v1/kb/search", params=question).json()["hits"]
    assert [hit["article_id"] for hit in hits] == [article_id]
    run_other_process(str(tenant.tenant.id), "archive", article_id)
    assert client.get("/api/v1/kb/search", params=question).json()["hits"] == []
