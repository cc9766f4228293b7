"""A purchase in real browsers at tablet size (1024×768): the storekeeper asks for ¥2,950
of copy paper (over the logistics head's ¥500, so the principal approves too); the head and
the principal approve it; the head accepts the goods into the store; the accountant pays it
with an invoice, the line's execution rate moves from 0 to 14.8%, and the 报账 packet
prints on one A4 sheet. The database agrees."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.conftest import TEST_PASSWORD  # noqa: E402
from tests.e2e.pages import pdf_pages, shoot, sign_in, sign_out  # noqa: E402


def test_a_purchase_from_request_to_payment(browsing, app):
    from sqlalchemy import select

    from schoolhq.extensions import db
    from schoolhq.finance import services
    from schoolhq.finance.models import PurchaseRequest
    from schoolhq.stock.models import StockReceipt
    from tests.factories.finance import office

    with app.app_context():
        o = office("20000")
        line_id, item_id, store_id = o.line.id, o.item.id, o.stock_store.id
        db.session.commit()

    page = browsing.page
    sign_in(page, "store", TEST_PASSWORD)
    page.goto("/finance/requests/new")
    page.select_option("#line_id", str(line_id))
    page.fill("#title", "复印纸（本学期）")
    page.fill("#justification", "期中考试与日常办公用纸")
    page.select_option("select[name=kind-0]", "stock")
    page.select_option("select[name=item-0]", str(item_id))
    page.fill("input[name=quantity-0]", "100")
    page.fill("input[name=price-0]", "29.50")
    page.get_by_role("button", name="提交审批").click()
    expect(page.locator("main h1")).to_contain_text("复印纸（本学期）")
    expect(page.locator("main")).to_contain_text("后勤主任 → 校长")
    request_url = re.sub(r"^https?://[^/]+", "", page.url)
    sign_out(page)

    for username, step in (("logistics", "后勤主任"), ("principal", "校长")):
        sign_in(page, username, TEST_PASSWORD)
        page.goto(request_url)
        expect(page.get_by_role("heading", name=f"您的审批意见（{step}）")).to_be_visible()
        if username == "principal":
            shoot(page, "finance-request-principal", full_page=True)
        page.get_by_role("button", name="提交审批意见").click()
        expect(page.locator("main ol.timeline")).to_contain_text(step)
        sign_out(page)

    sign_in(page, "logistics", TEST_PASSWORD)
    page.goto(request_url)
    expect(page.locator("main .tag.status-approved")).to_be_visible()
    page.fill("#witness", "赵敏")
    page.select_option("#store_id", str(store_id))
    page.get_by_role("button", name="登记验收").click()
    expect(page.locator("main .tag.status-accepted")).to_have_text("已验收")
    expect(page.get_by_role("link", name="入库单")).to_be_visible()
    sign_out(page)

    sign_in(page, "accountant", TEST_PASSWORD)
    page.goto("/finance/")
    expect(page.locator("table.sheet tbody tr").first).to_contain_text("0.0%")
    page.goto(request_url)
    page.get_by_role("link", name="登记报账").click()
    page.fill("#invoice_no", "No.33010024")
    page.get_by_role("button", name="登记支出").click()
    expect(page.locator("main .tag.status-paid")).to_have_text("已报账")
    page.goto("/finance/")
    expect(page.locator("table.sheet tbody tr").first).to_contain_text("14.8%")
    shoot(page, "finance-lines", full_page=True)
    page.goto(request_url + "/packet")
    expect(page.locator("main")).to_contain_text("No.33010024")
    sheets = pdf_pages(page, "finance-packet")
    assert len(sheets) == 1, sheets

    with app.app_context():
        request = db.session.scalar(select(PurchaseRequest))
        assert request.status == "paid" and [a.level for a in request.approvals] == ["head", "principal"]
        assert db.session.scalar(select(StockReceipt.id).where(StockReceipt.purchase_request_id == request.id))
        figures = services.figures_of([request.line])[0]
        assert (figures.committed_fen, figures.spent_fen) == (0, 295000)
