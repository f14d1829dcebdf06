"""The import wizard: upload a CSV, check the mapping, validate, import and find the contact."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from .conftest import save_screenshot
from .web_support import log_in

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
    expect(result).to_contain_text("共 2 行：新建 1，更新 0，有问题 1")
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
