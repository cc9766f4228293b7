"""A USB scanner at the real speed (issue #13, section 1): it types a tag and Enter at
5 ms a key and the next tag at once. Twenty tags typed that way into each scan box that
builds a list all arrive, in order, with no error and nothing unknown recorded."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.conftest import TEST_PASSWORD, make_account  # noqa: E402
from tests.e2e.pages import shoot, sign_in  # noqa: E402

TAGS = 20
KEY_DELAY_MS = 5


def type_like_a_scanner(page, tags: list[str]) -> None:
    """Every tag and its Enter into the focused scan box, 5 ms a key, no pause between tags."""
    page.locator("#tag").click()
    for tag in tags:
        page.keyboard.type(tag, delay=KEY_DELAY_MS)
        page.keyboard.press("Enter")


def _laptops(app, n: int = TAGS) -> tuple[list[int], list[str], int]:
    from schoolhq.extensions import db
    from tests.factories.assets import loanable_items

    with app.test_request_context():
        assets, teacher = loanable_items(n=n)
        make_account("store", "storekeeper", name="赵敏")
        db.session.commit()
        return [a.id for a in assets], [a.number for a in assets], teacher


def test_twenty_tags_at_scanner_speed_reach_the_lending_desk_in_order(browsing, app):
    _ids, numbers, _teacher = _laptops(app)
    page = browsing.page
    sign_in(page, "store", TEST_PASSWORD)
    page.goto("/assets/desk")
    type_like_a_scanner(page, numbers)
    rows = page.locator("#cart li.row strong")
    expect(rows).to_have_count(TAGS, timeout=30000)
    assert rows.all_inner_texts() == numbers
    expect(page.locator("#cart .alert")).to_have_count(0)
    expect(page.locator("#tag")).to_have_value("")  # nothing half-typed left behind
    shoot(page, "desk-twenty-scans-zh")


def test_twenty_returns_at_scanner_speed_all_reach_the_returns_list(browsing, app):
    from datetime import timedelta

    from schoolhq.assets import loans
    from schoolhq.core.timeutil import utcnow
    from schoolhq.extensions import db

    ids, numbers, teacher = _laptops(app)
    with app.test_request_context():
        loans.checkout(ids, teacher, utcnow() + timedelta(days=2), "完好", require_signature=False)
        db.session.commit()
    page = browsing.page
    sign_in(page, "store", TEST_PASSWORD)
    page.goto("/assets/checkin")
    type_like_a_scanner(page, numbers)
    rows = page.locator("#return-list strong")
    expect(rows).to_have_count(TAGS, timeout=30000)
    assert [text.strip() for text in rows.all_inner_texts()][:TAGS] == numbers
    expect(page.locator("#return-list .alert")).to_have_count(0)


def test_twenty_items_at_scanner_speed_are_all_found_in_a_stocktake(browsing, app):
    from sqlalchemy import select

    from schoolhq.assets import audits
    from schoolhq.assets.models import Asset, AuditScan
    from schoolhq.extensions import db

    ids, numbers, _teacher = _laptops(app)
    with app.test_request_context():
        room_id = db.session.get(Asset, ids[0]).location_id
        campaign_id = audits.start("期末清查", room_id).id
        db.session.commit()
    page = browsing.page
    sign_in(page, "store", TEST_PASSWORD)
    page.goto(f"/assets/audits/{campaign_id}/rooms/{room_id}")
    type_like_a_scanner(page, numbers)
    expect(page.locator("#tag")).to_have_value("")
    with app.app_context():
        def recorded():
            db.session.rollback()  # a fresh read each time
            return list(db.session.execute(select(AuditScan.code, AuditScan.result)
                                           .where(AuditScan.campaign_id == campaign_id).order_by(AuditScan.id)))

        for _ in range(60):
            if len(recorded()) >= TAGS:
                break
            page.wait_for_timeout(500)
        scans = recorded()
    assert [code for code, _result in scans] == numbers, scans
    assert {result for _code, result in scans} == {"found"}  # nothing unknown, nothing twice


def test_twenty_barcodes_at_scanner_speed_reach_the_stock_counter_in_order(browsing, app):
    from schoolhq.extensions import db
    from tests.factories.stock import make_item, make_store, receive

    with app.app_context():
        store = make_store()
        items = [make_item(f"物品{n:02d}", "个", barcode=f"69012345{n:05d}") for n in range(TAGS)]
        for item in items:
            receive(store, item, "50")
        make_account("store", "storekeeper", name="赵敏")
        db.session.commit()
        names, barcodes = [i.name for i in items], [i.barcode for i in items]
    page = browsing.page
    sign_in(page, "store", TEST_PASSWORD)
    page.goto("/stock/counter")
    type_like_a_scanner(page, barcodes)
    rows = page.locator("#counter-lines li.row strong")
    expect(rows).to_have_count(TAGS, timeout=30000)
    assert rows.all_inner_texts() == names
    expect(page.locator("#counter-lines .alert")).to_have_count(0)
