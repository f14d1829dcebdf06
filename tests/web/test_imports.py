"""The import wizard: upload, map (by hand or with a built-in profile), validate and import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from zhike.core.db import Database
from zhike.ingestion.models import ImportRun
from zhike.sales.models import Opportunity, PipelineStage
from zhike.sales.process import save_process
from zhike.sales.process_schemas import ProcessStageWrite, SalesProcessWrite, StageCriteria
from zhike.security.admin import create_user
from zhike.security.schemas import UserCreate

from .conftest import save_screenshot
from .web_support import USER_PASSWORD, add_user, create_record, log_in

if TYPE_CHECKING:
    from testkit import TenantInfo

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

CONTACTS = (
    "客户姓名,手机号码,E-mail,所在城市\n"
    "欧阳明,13811112222,ouyang@example.com,苏州\n"
    "坏数据,12345,not-an-email,南京\n"
)


def test_import_a_csv_and_find_the_contact(page: Any, tenant: TenantInfo) -> None:
    page.goto("/imports")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    save_screenshot(page, "import-upload")

    page.get_by_test_id("upload").locator("input[type=file]").set_input_files(
        files=[{"name": "联系人.csv", "mimeType": "text/csv", "buffer": CONTACTS.encode("gb18030")}]
    )
    preview = page.get_by_test_id("preview-table")
    expect(preview).to_contain_text("欧阳明")
    expect(page.get_by_text("编码 gb18030")).to_be_visible()
    save_screenshot(page, "import-settings")

    page.get_by_test_id("to-mapping").click()
    mapping = page.get_by_test_id("mapping-table")
    expect(mapping).to_contain_text("客户姓名")
    expect(page.get_by_test_id("mapping-手机号码")).to_contain_text("手机")
    save_screenshot(page, "import-mapping")

    page.get_by_test_id("validate").click()
    result = page.get_by_test_id("validation-result")
    expect(result).to_contain_text("共 2 行：新建 1，更新 0，未变 0，有问题 1")
    expect(page.get_by_test_id("rejects-table")).to_contain_text("12345")
    expect(page.get_by_role("link", name="下载问题行报告（CSV）")).to_be_visible()
    save_screenshot(page, "import-validation")

    page.get_by_test_id("start-import").click()
    expect(page.get_by_test_id("import-result")).to_contain_text("导入完成")
    expect(page.get_by_test_id("import-progress")).to_have_attribute("aria-valuenow", "100")
    save_screenshot(page, "import-result")

    page.get_by_role("link", name="查看导入的记录").click()
    expect(page).to_have_url("/contacts")
    expect(page.get_by_test_id("record-link").filter(has_text="欧阳明")).to_be_visible()
    expect(page.get_by_test_id("record-link").filter(has_text="坏数据")).to_have_count(0)


PIPELINE = (
    "opportunity_id,sales_agent,product,deal_stage,close_value\n"
    "1C1I7A6R,Moses Frase,GTXPro,Won,1054\n"
    "Z063OYW0,李娜,GTX Pro,Won,4514\n"
    "EC4QE1BX,Nobody Known,GTX Pro,Won,50\n"
)


def _add_named_user(database: Database, tenant: TenantInfo, email: str, name: str) -> None:
    with database.session() as session:
        create_user(
            session,
            tenant.actor,
            UserCreate(email=email, display_name=name, password="Browser-pass-2026"),
        )


def test_built_in_profile_and_owner_names(
    page: Any, tenant: TenantInfo, database: Database
) -> None:
    _add_named_user(database, tenant, "moses@example.com", "Moses Frase")
    _add_named_user(database, tenant, "li.na.east@example.com", "李娜")
    _add_named_user(database, tenant, "li.na.west@example.com", "李娜")
    create_record(database, tenant, "products", name="GTX Pro", currency="USD")
    page.goto("/imports")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)

    page.get_by_test_id("upload").locator("input[type=file]").set_input_files(
        files=[{"name": "sales_pipeline.csv", "mimeType": "text/csv", "buffer": PIPELINE.encode()}]
    )
    expect(page.get_by_test_id("preview-table")).to_contain_text("Moses Frase")
    page.get_by_test_id("to-mapping").click()
    expect(page.get_by_test_id("mapping-table")).to_contain_text("sales_agent")

    page.get_by_test_id("profile-select").click()
    option = page.get_by_role(
        "option", name="销售管道（MavenTech 示例数据） · 商机 · sales_pipeline.csv"
    )
    expect(option).to_contain_text("内置")
    option.click()
    applied = page.get_by_test_id("profile-applied")
    expect(applied).to_contain_text("已按“销售管道（MavenTech 示例数据）”填写 5 列的对应字段。")
    expect(applied).to_contain_text("导入时还会按方案填写：币种和商机名称。")
    expect(page.get_by_test_id("mapping-sales_agent")).to_contain_text("负责人")
    save_screenshot(page, "import-built-in-profile")

    page.get_by_test_id("validate").click()
    expect(page.get_by_test_id("validation-result")).to_contain_text(
        "共 3 行：新建 1，更新 0，未变 0，有问题 2"
    )
    rejects = page.get_by_test_id("rejects-table")
    expect(rejects).to_contain_text(
        "有 2 位用户的姓名是 李娜（列 sales_agent）："
        "li.na.east@example.com, li.na.west@example.com；请改填其中那位用户的邮箱。"
    )
    expect(rejects).to_contain_text("找不到邮箱或姓名为 Nobody Known 的用户（列 sales_agent）")
    expect(rejects).not_to_contain_text("Moses Frase")
    save_screenshot(page, "import-owner-rejects")


# The header and the first, won row of PIPELINE, whose owner and product the tests create.
WON_DEAL = "\n".join(PIPELINE.splitlines()[:2]) + "\n"
# A won deal needs a logged call first, which a row of a file can never show.
CALL_BEFORE_WON = SalesProcessWrite(
    key="call_before_won",
    name_zh="赢单前先通话",
    name_en="Call before winning",
    is_default=True,
    stages=[ProcessStageWrite(stage="won", entry=StageCriteria(activities=["call"]))],
)
HISTORICAL_LABEL = "导入历史数据（不检查销售流程的阶段要求）"
STAGE_RULE = "“赢单”阶段需要先完成一次与该商机关联的电话，请先记录。"


def _prepare_won_deal_import(database: Database, tenant: TenantInfo) -> None:
    _add_named_user(database, tenant, "moses@example.com", "Moses Frase")
    create_record(database, tenant, "products", name="GTX Pro", currency="USD")
    with database.session() as session:
        save_process(session, tenant.actor, CALL_BEFORE_WON)


def _map_with_pipeline_profile(page: Any) -> None:
    page.get_by_test_id("upload").locator("input[type=file]").set_input_files(
        files=[{"name": "sales_pipeline.csv", "mimeType": "text/csv", "buffer": WON_DEAL.encode()}]
    )
    expect(page.get_by_test_id("preview-table")).to_contain_text("Moses Frase")
    page.get_by_test_id("to-mapping").click()
    expect(page.get_by_test_id("mapping-table")).to_contain_text("sales_agent")
    page.get_by_test_id("profile-select").click()
    page.get_by_role(
        "option", name="销售管道（MavenTech 示例数据） · 商机 · sales_pipeline.csv"
    ).click()
    expect(page.get_by_test_id("mapping-sales_agent")).to_contain_text("负责人")


def test_pipeline_profile_ticks_historical_for_admin(
    page: Any, tenant: TenantInfo, database: Database
) -> None:
    _prepare_won_deal_import(database, tenant)
    page.goto("/imports")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)

    _map_with_pipeline_profile(page)

    historical = page.get_by_role("checkbox", name=HISTORICAL_LABEL)
    expect(historical).to_be_checked()
    expect(page.get_by_test_id("profile-historical")).to_contain_text(
        "这个方案默认按历史数据导入，已勾选下方的“导入历史数据”"
    )
    save_screenshot(page, "import-historical-profile")

    # Unticked, the won row breaks the sales process's rule for the won stage.
    # Element Plus hides the input itself; a person clicks the box and its label.
    page.get_by_test_id("historical").click()
    expect(historical).not_to_be_checked()
    page.get_by_test_id("validate").click()
    expect(page.get_by_test_id("validation-result")).to_contain_text(
        "共 1 行：新建 0，更新 0，未变 0，有问题 1"
    )
    expect(page.get_by_test_id("rejects-table")).to_contain_text(STAGE_RULE)

    page.get_by_role("button", name="上一步").click()
    expect(historical).not_to_be_checked()
    page.get_by_test_id("historical").click()
    expect(historical).to_be_checked()
    page.get_by_test_id("validate").click()
    expect(page.get_by_test_id("validation-result")).to_contain_text(
        "共 1 行：新建 1，更新 0，未变 0，有问题 0"
    )
    page.get_by_test_id("start-import").click()
    expect(page.get_by_test_id("import-result")).to_contain_text("导入完成")

    with database.session() as session:
        stage = session.scalar(
            select(PipelineStage.key)
            .join(Opportunity, Opportunity.stage_id == PipelineStage.id)
            .where(
                Opportunity.tenant_id == tenant.tenant.id,
                Opportunity.external_id == "1C1I7A6R",
            )
        )
        runs = session.scalars(
            select(ImportRun.historical).where(
                ImportRun.tenant_id == tenant.tenant.id, ImportRun.status == "succeeded"
            )
        ).all()
    assert stage == "won"
    assert runs == [True]


def test_historical_checkbox_absent_for_manager(
    page: Any, tenant: TenantInfo, database: Database
) -> None:
    _prepare_won_deal_import(database, tenant)
    manager = add_user(database, tenant, "qin.feng", "sales_manager")
    page.goto("/imports")
    log_in(page, tenant.slug, manager.email, USER_PASSWORD)

    _map_with_pipeline_profile(page)

    expect(page.get_by_test_id("profile-historical")).to_contain_text("只有管理员可以这样导入")
    expect(page.get_by_test_id("historical")).to_have_count(0)
    expect(page.get_by_role("checkbox", name=HISTORICAL_LABEL)).to_have_count(0)
    page.get_by_test_id("validate").click()
    expect(page.get_by_test_id("rejects-table")).to_contain_text(STAGE_RULE)
