"""A school's own 资产台账, with every trap of issue 13 §2, imported in Chromium on a tablet:
upload, the check page's choices (create the missing places under a building, the people
and departments; keep batch rows as one card), the import, and a second upload of the same
file that finds nothing new."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.assets.test_import import _ledger  # noqa: E402
from tests.e2e.pages import shoot, sign_in  # noqa: E402


def _asset_count(app) -> int:
    from sqlalchemy import func, select

    from schoolhq.assets.models import Asset
    from schoolhq.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count(Asset.id)))


def test_a_messy_ledger_is_imported_from_the_check_page(browsing, demo, app, tmp_path):
    page = browsing.page
    ledger = tmp_path / "阳光小学资产台账.xlsx"
    ledger.write_bytes(_ledger())
    before = _asset_count(app)
    sign_in(page, "logistics")
    page.goto("/assets/import")
    page.set_input_files("#file", str(ledger))
    page.locator("main form [type=submit]").click()
    expect(page.locator("h1")).to_have_text(re.compile("检查"))
    expect(page.locator("#header_row")).to_have_value("4")
    expect(page.locator("main")).to_contain_text("“约800”")
    expect(page.locator("main")).to_contain_text("三(2)班")
    shoot(page, "import-first-check-1024", full_page=True)
    # each choice checks the file again at once
    page.select_option("#places_parent", index=1)
    expect(page.locator("main")).not_to_contain_text("地点“三(2)班”在系统中不存在")
    for choice in ("create_people", "create_departments"):  # the demo school may have them already
        if page.locator(f"input[name={choice}]").count():
            page.check(f"input[name={choice}]")
            expect(page.locator(f"input[name={choice}]")).to_be_checked()
    expect(page.locator("main")).to_contain_text("6 行可导入")
    expect(page.locator("input[name=batches][value=keep]")).to_be_checked()
    page.wait_for_load_state("networkidle")  # no check still on its way to redraw the form
    shoot(page, "import-check-1024", full_page=True)
    page.get_by_role("button", name=re.compile("只导入 6 行")).click()
    expect(page.locator(".alert.ok")).to_contain_text("6")
    assert _asset_count(app) == before + 6

    page.goto("/assets/import")
    page.set_input_files("#file", str(ledger))
    page.locator("main form [type=submit]").click()
    expect(page.locator("main")).to_contain_text("6 行已导入")
    expect(page.get_by_role("button", name=re.compile("导入"))).to_have_count(0)
    assert _asset_count(app) == before + 6
