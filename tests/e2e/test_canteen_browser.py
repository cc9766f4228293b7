"""The morning check on a kitchen tablet held upright (768×1024): everyone well with one
tap, a cook sent home with a fever, the manager signs the day's sheet; then the month's
从业人员晨检记录 printed on A4 and looked at."""

from __future__ import annotations

import glob
import os
import re
import subprocess

import pytest

from tests.e2e.conftest import SCREENS, why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.conftest import TEST_PASSWORD  # noqa: E402
from tests.e2e.pages import shoot, sign, sign_in, sign_out  # noqa: E402


def test_a_morning_check_on_a_kitchen_tablet(browsing, app):
    from tests.factories.canteen import kitchen

    with app.app_context():
        k = kitchen()
        cook_id = k.cook.person_id
    page = browsing.page
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, "cook", TEST_PASSWORD)
    page.goto("/canteen/morning")
    expect(page.locator("main h1")).to_contain_text("晨检")
    page.get_by_role("button", name="其余人员全部正常").click()
    expect(page.locator("main")).to_contain_text("已检 4 / 4 人，离岗 2 人。")
    row = page.locator(f"#mc-{cook_id}")
    row.locator("summary").click()
    row.locator("input[name$=temperature]").fill("38.1")
    row.get_by_role("button", name="记录").click()
    expect(page.locator(f"#mc-{cook_id}")).to_contain_text("体温 38.1 ℃")
    expect(page.locator(f"#mc-{cook_id} .tag.tone-danger")).to_have_text("离岗")
    shoot(page, "canteen-morning-portrait", full_page=True)
    sign_out(page)

    sign_in(page, "kitchen", TEST_PASSWORD)
    page.goto("/canteen/morning")
    sign(page)
    page.get_by_role("button", name="签字确认").click()
    expect(page.locator("canvas[data-signature-for]")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("王经理 于")

    page.goto("/canteen/ledgers/morning")
    expect(page.locator("main table.sheet tbody tr")).to_have_count(4)
    expect(page.locator("main table.sheet img.signature")).to_have_count(1)
    os.makedirs(SCREENS, exist_ok=True)
    pdf = f"{SCREENS}/canteen-morning-ledger.pdf"
    for old in glob.glob(f"{SCREENS}/canteen-morning-ledger-*.png"):
        os.remove(old)
    page.pdf(path=pdf, format="A4", print_background=True, prefer_css_page_size=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", pdf, f"{SCREENS}/canteen-morning-ledger"], check=True, timeout=30)
    sheets = glob.glob(f"{SCREENS}/canteen-morning-ledger-*.png")
    assert len(sheets) == 1, sheets
    assert re.search(r"/canteen/ledgers/morning", page.url)
