"""Real-browser walk of a failed water test at 1024×768: the logistics head enters a lab
report whose E. coli is detected; the point goes out of use at once — its page says so,
and so does the card its QR label opens for someone not signed in; a report with pH 15 is
refused in its row and writes nothing; a passing retest of a new sample brings the point
back. The database agrees at each step."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.pages import pdf_pages, shoot, sign_in, sign_out  # noqa: E402

GOOD = {"coliforms": "未检出", "e_coli": "未检出", "colony_count": "15", "turbidity": "0.4", "ph": "7.3",
        "odour_taste": "无", "visible_matter": "无"}


def point_in_use(app) -> dict:
    from sqlalchemy import select

    from schoolhq.assets.models import Asset
    from schoolhq.extensions import db
    from schoolhq.water.models import LabTest, WaterPoint

    with app.app_context():
        point = db.session.scalar(select(WaterPoint).join(Asset, Asset.id == WaterPoint.asset_id)
                                  .where(WaterPoint.status == "in_use", WaterPoint.kind == "direct_drinking")
                                  .order_by(WaterPoint.id.desc()).limit(1))
        tests = db.session.scalar(select(db.func.count(LabTest.id)).where(LabTest.point_id == point.id))
        return {"asset_id": point.asset_id, "token": point.asset.token, "status": point.status, "tests": tests}


def filters_on_hand(app) -> int:
    from sqlalchemy import select

    from schoolhq.extensions import db
    from schoolhq.stock import services as stock
    from schoolhq.stock.models import StockItem

    with app.app_context():
        item = db.session.scalar(select(StockItem).where(StockItem.name == "直饮机滤芯",
                                                         StockItem.spec.like("PP棉%")))
        return stock.on_hand(item.id)


def state(app, asset_id: int) -> dict:
    from sqlalchemy import select

    from schoolhq.extensions import db
    from schoolhq.water.models import LabTest, WaterPoint

    with app.app_context():
        point = db.session.scalar(select(WaterPoint).where(WaterPoint.asset_id == asset_id))
        tests = db.session.scalar(select(db.func.count(LabTest.id)).where(LabTest.point_id == point.id))
        return {"status": point.status, "tests": tests, "ticket_id": point.ticket_id}


def enter_report(page, asset_id: int, number: str, values: dict, day: str) -> None:
    page.goto(f"/water/points/{asset_id}/tests/new")
    form = page.locator("main form")
    form.locator("#sampled_on").fill(day)
    form.locator("#reported_on").fill(day)
    form.locator("#laboratory").fill("市疾病预防控制中心检验所")
    form.locator("#report_number").fill(number)
    for key, value in values.items():
        form.locator(f"#p_{key}").fill(value)
    form.locator("button.primary[type=submit]").click()


def test_a_failed_lab_result_stops_the_point_until_a_passing_retest(browsing, demo, app):
    from schoolhq.core.timeutil import local_today

    page = browsing.page
    with app.app_context():
        today = local_today().isoformat()
    point = point_in_use(app)
    sign_in(page, "logistics")

    # the sediment filter changed by the school's worker, the filter taken from the store
    page.goto(f"/water/points/{point['asset_id']}")
    form = page.locator("main form[action$='/filters']")
    page.locator("main details", has=page.locator("form[action$='/filters']")).locator("summary").click()
    form.locator("#changed_on").fill(today)
    form.locator("#stage").select_option("sediment_pp")
    form.locator("#filter_model").fill("QG-U5-01")
    form.locator("#batch").fill("B2612")
    for select, text in (("#done_by_id", "孙师傅"), ("#stock_item_id", "PP棉")):
        option = form.locator(f"{select} option").filter(has_text=text).first
        form.locator(select).select_option(option.get_attribute("value"))
    before = filters_on_hand(app)
    form.locator("button.primary[type=submit]").click()
    expect(page.locator("main table").filter(has_text="B2612")).to_be_visible()
    expect(page.locator("main .alert.error")).to_have_count(0)
    assert filters_on_hand(app) == before - 1000, "one filter went out of the store on the stock ledger"

    # pH 15: refused in its row, nothing written
    enter_report(page, point["asset_id"], "SJ-E2E-0", dict(GOOD, ph="15"), today)
    expect(page.locator("main tr.invalid .field-error")).to_contain_text("pH")
    assert state(app, point["asset_id"])["tests"] == point["tests"]

    # E. coli detected: failed, and the point is out of use at once
    enter_report(page, point["asset_id"], "SJ-E2E-1", dict(GOOD, e_coli="2"), today)
    expect(page).to_have_url(re.compile(r"/water/tests/\d+$"))
    expect(page.locator("main tr.fail")).to_contain_text("大肠埃希氏菌")
    shoot(page, "water-test-failed-1024-zh", full_page=True)
    page.goto(f"/water/points/{point['asset_id']}")
    expect(page.locator("main .alert.error")).to_contain_text("请勿饮用")
    shoot(page, "water-point-out-of-use-1024-zh")
    stopped = state(app, point["asset_id"])
    assert stopped["status"] == "out_of_use" and stopped["ticket_id"]
    sign_out(page)

    # anyone who scans its label reads it
    page.goto(f"/t/{point['token']}")
    expect(page.locator("main .alert.error")).to_contain_text("请勿饮用")
    shoot(page, "water-qr-card-1024-zh")

    # a passing retest of a new sample brings it back
    sign_in(page, "logistics")
    enter_report(page, point["asset_id"], "SJ-E2E-2", GOOD, today)
    expect(page.locator("main .page-head .tag")).to_contain_text("合格")
    page.goto(f"/water/points/{point['asset_id']}")
    expect(page.locator("main .alert.error")).to_have_count(0)
    assert state(app, point["asset_id"])["status"] == "in_use"

    # the month's hygiene archive names all three, and prints
    page.goto(f"/water/ledger?month={today[:7]}")
    table = page.locator("main table.ledger")
    for text in ("SJ-E2E-1", "SJ-E2E-2", "B2612", "停止供水", "恢复供水"):
        expect(table).to_contain_text(text)
    assert pdf_pages(page, "water-archive-a4"), "the archive prints"
