"""Real-browser checks of the lending desk and the returns desk (htmx scan lists, the
person picker, due chips, the signature canvas), plus screenshots and A5 print output of
the asset pages for a person to look at."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from schoolhq.assets import loans
from tests.e2e.conftest import why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.pages import pdf_pages, shoot, sign, sign_in  # noqa: E402

BORROWER = ("王芳", "wf")  # the demo teacher and her pinyin initials
STOREKEEPER = "store"
ITEM_NAMES = ("笔记本电脑", "数码相机")  # one of each: two kinds, two return checklists


# Database helpers (run in the test's own thread, outside any request) ------------------

def loanable_in_storage(app, prefixes=ITEM_NAMES) -> list[tuple[int, str]]:
    """(id, asset number) of the first loanable item in storage, not on loan, per name prefix."""
    from sqlalchemy import select

    from schoolhq.assets import services
    from schoolhq.assets.models import Asset
    from schoolhq.extensions import db

    found = []
    with app.app_context():
        for prefix in prefixes:
            candidates = db.session.scalars(select(Asset).where(
                Asset.loanable.is_(True), Asset.status == "in_storage", Asset.name.startswith(prefix))
                .order_by(Asset.number))
            asset = next(a for a in candidates if services.open_loan(a.id) is None)
            found.append((asset.id, asset.number))
    return found


def person_id(app, name: str) -> int:
    from sqlalchemy import select

    from schoolhq.extensions import db
    from schoolhq.people.models import Person

    with app.app_context():
        return db.session.scalar(select(Person.id).where(Person.name == name))


def loans_of(app, asset_ids: list[int]) -> list[dict]:
    """The latest loan of each asset, with the asset's status, as plain values."""
    from sqlalchemy import select

    from schoolhq.assets.models import Asset, Loan
    from schoolhq.extensions import db

    rows = []
    with app.app_context():
        for asset_id in asset_ids:
            asset = db.session.get(Asset, asset_id)
            loan = db.session.scalars(select(Loan).where(Loan.asset_id == asset_id)
                                      .order_by(Loan.out_at.desc(), Loan.id.desc())).first()
            rows.append({"status": asset.status, "slip": loan.slip if loan else None,
                         "borrower": loan.borrower.name if loan else None,
                         "signature_id": loan.signature_id if loan else None,
                         "returned_at": loan.returned_at if loan else None,
                         "checklist_in": loan.checklist_in if loan else None})
    return rows


def lend_by_service(app, asset_ids: list[int], borrower_id: int) -> None:
    """Put items on loan without the desk (setup for the returns test)."""
    from schoolhq.core.timeutil import utcnow
    from schoolhq.extensions import db

    with app.test_request_context():
        loans.checkout(asset_ids, borrower_id, utcnow() + timedelta(days=2), "完好", require_signature=False)
        db.session.commit()


# Page helpers ------------------------------------------------------------------------

def scan(page, tag: str) -> int:
    """Type a tag into the scan box and press Enter, as a barcode scanner does; returns
    the HTTP status of the htmx answer."""
    box = page.locator("#tag")
    box.click()
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/scan")) as sent:
        box.press_sequentially(tag)
        page.keyboard.press("Enter")
    assert sent.value.request.headers.get("hx-request") == "true", "the scan was not sent by htmx"
    return sent.value.status


def mark_page(page) -> None:
    page.evaluate("window.__noReload = 'still here'")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__noReload") == "still here", "the page was reloaded"


def pick_person(page, name: str, initials: str) -> None:
    with page.expect_response(lambda r: "/people/pick" in r.url and "q=" in r.url):
        page.locator("#borrower-q").press_sequentially(initials)
    choice = page.locator("#pick-results label.pick").filter(
        has=page.locator("strong", has_text=re.compile(f"^{name}$")))
    expect(choice).to_have_count(1)
    choice.locator("input[type=radio]").check()
    expect(choice.locator("input[type=radio]")).to_be_checked()


def pick_due(page) -> None:
    """明天 when the desk offers it, else 指定日期 and the day after tomorrow."""
    tomorrow = page.locator("label.chip").filter(has_text="明天")
    if tomorrow.count():
        tomorrow.locator("input[type=radio]").check()
        expect(tomorrow.locator("input")).to_be_checked()
        return
    page.locator("label.chip").filter(has_text="指定日期").locator("input").check()
    day = page.evaluate("new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10)")
    page.locator("#due_date").fill(day)


# Tests -------------------------------------------------------------------------------

def test_storekeeper_lends_two_items_at_the_desk(page, demo, app):
    (first_id, first), (second_id, second) = loanable_in_storage(app)
    name, initials = BORROWER
    sign_in(page, STOREKEEPER)
    page.goto("/assets/desk")
    expect(page.locator("main h1")).to_have_text("借用登记台")
    rows = page.locator("#cart li.row")
    errors = page.locator("#cart .alert.error")
    mark_page(page)

    assert scan(page, first) == 200
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(first)
    expect(page.locator("#tag")).to_have_value("")  # emptied and ready for the next scan
    expect(page.locator("#tag")).to_be_focused()
    assert scan(page, second) == 200
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text(second)
    expect(errors).to_have_count(0)
    assert_not_reloaded(page)

    assert scan(page, first) == 422
    expect(errors).to_have_text(f"{first} 已在列表中。")
    expect(rows).to_have_count(2)
    assert scan(page, "NO-SUCH-TAG-42") == 422
    expect(errors).to_contain_text("NO-SUCH-TAG-42")
    expect(errors).to_contain_text("没有标签为")
    expect(rows).to_have_count(2)
    assert_not_reloaded(page)

    pick_person(page, name, initials)
    pick_due(page)
    sign(page)
    assert_not_reloaded(page)
    shoot(page, "desk-filled-zh", full_page=True)

    page.locator("#checkout-form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/assets/slip/JY\d{6}-[0-9A-F]{4}$"))
    expect(page.locator("main h1")).to_have_text("借用单")
    slip = page.locator("article.loan-slip")
    expect(slip.locator("tbody tr")).to_have_count(2)
    for number in (first, second):
        expect(slip).to_contain_text(number)
    expect(slip).to_contain_text(name)
    signature = slip.locator("img.signature")
    expect(signature).to_be_visible()
    assert signature.evaluate("img => img.complete && img.naturalWidth > 0"), "the signature image did not load"
    shoot(page, "slip-zh", full_page=True)
    assert len(pdf_pages(page, "slip-pdf", "A5")) == 1, "the loan slip does not fit one A5 sheet"

    loans = loans_of(app, [first_id, second_id])
    assert [loan["status"] for loan in loans] == ["on_loan", "on_loan"]
    assert len({loan["slip"] for loan in loans}) == 1
    assert page.url.endswith(loans[0]["slip"])
    assert {loan["borrower"] for loan in loans} == {name}
    assert all(loan["signature_id"] for loan in loans)
    assert all(loan["returned_at"] is None for loan in loans)


def tab_to(page, target, limit: int = 30) -> None:
    """Press Tab until `target` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} never took the focus in {limit} presses of Tab")


def test_a_checkout_finishes_with_the_keyboard_alone(page, demo, app):
    """No mouse: the scan box has the focus, Tab reaches the borrower, the due chips, the
    signature pad (which takes the focus and says how to go on) and "signs on paper"."""
    (asset_id, number), = loanable_in_storage(app, prefixes=(ITEM_NAMES[0],))
    sign_in(page, STOREKEEPER)
    page.goto("/assets/desk")
    expect(page.locator("#tag")).to_be_focused()
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    expect(page.locator("#cart")).to_contain_text(number)
    tab_to(page, page.locator("#borrower-q"))
    with page.expect_response(lambda r: "/people/pick" in r.url):
        page.keyboard.type(BORROWER[1])
    choice = page.locator("#pick-results label.pick").filter(has_text=BORROWER[0]).locator("input[type=radio]")
    tab_to(page, choice)
    page.keyboard.press("Space")
    expect(choice).to_be_checked()
    tab_to(page, page.locator("input[name=due]:checked"))
    page.keyboard.press("ArrowRight")  # the next chip
    tab_to(page, page.locator("#condition"))
    page.keyboard.type("完好")
    tab_to(page, page.locator("canvas[data-signature-for]"))
    expect(page.locator("#signature-hint")).to_be_visible()
    tab_to(page, page.locator("#on_paper"))
    page.keyboard.press("Space")
    expect(page.locator("#on_paper")).to_be_checked()
    shoot(page, "desk-keyboard-1024", full_page=True)
    tab_to(page, page.locator("#checkout-form [type=submit]"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/assets/slip/"))
    expect(page.locator("main")).to_contain_text(BORROWER[0])
    (loan,) = loans_of(app, [asset_id])
    assert (loan["status"], loan["borrower"], loan["signature_id"]) == ("on_loan", BORROWER[0], None)


def test_storekeeper_checks_two_items_back_in(page, demo, app):
    items = loanable_in_storage(app)
    ids = [asset_id for asset_id, _number in items]
    lend_by_service(app, ids, person_id(app, BORROWER[0]))
    sign_in(page, STOREKEEPER)
    page.goto("/assets/checkin")
    expect(page.locator("main h1")).to_have_text("归还")
    returns = page.locator("#return-list li.return-item")
    mark_page(page)

    for count, (_asset_id, number) in enumerate(items, start=1):
        assert scan(page, number) == 200
        expect(returns).to_have_count(count)
        expect(returns.nth(count - 1)).to_contain_text(number)
        expect(returns.nth(count - 1)).to_contain_text(BORROWER[0])
    assert_not_reloaded(page)

    for index in range(len(items)):
        boxes = returns.nth(index).locator(".checks input[type=checkbox]")
        expect(boxes).to_have_count(2)  # the laptop's and the camera's return checklists
        expect(returns.nth(index).locator(".checks")).not_to_contain_text(re.compile(r"[A-Za-z]{3,}"))
        for n in range(boxes.count()):
            boxes.nth(n).check()
    expect(page.locator("#return-list input[type=checkbox]:checked")).to_have_count(4)
    shoot(page, "checkin-zh", full_page=True)

    page.locator("#checkin-form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/assets/checkin\?done=2$"))
    expect(page.locator("main .alert.ok")).to_have_text("已确认归还 2 件物品。")
    shoot(page, "checkin-done-zh", full_page=True)

    loans = loans_of(app, ids)
    assert [loan["status"] for loan in loans] == ["in_storage", "in_storage"]
    assert all(loan["returned_at"] is not None for loan in loans)
    assert all(loan["checklist_in"] and all(loan["checklist_in"].values()) for loan in loans), loans


def test_asset_screenshots(browsing, demo, app):
    """Pictures of the asset pages for a person to look at; beyond the pages loading in
    Chinese, nothing is asserted about their looks."""
    page = browsing.page
    [(asset_id, number)] = loanable_in_storage(app, ITEM_NAMES[:1])
    sign_in(page, STOREKEEPER)

    page.goto(f"/assets/{asset_id}")
    expect(page.locator("main h1")).to_contain_text(number)
    shoot(page, "asset-detail-zh", full_page=True)

    for width, height in ((1024, 768), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/assets/")
        expect(page.locator("main table tbody tr").first).to_be_visible()
        shoot(page, f"assets-{width}-zh")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        print(f"/assets/ at {width}px: horizontal overflow {overflow}px")
    page.set_viewport_size({"width": 1024, "height": 768})

    page.emulate_media(media="print")
    page.goto(f"/assets/{asset_id}/card")
    expect(page.locator("article.asset-card")).to_contain_text(number)
    shoot(page, "card-print-zh", full_page=True)
    page.emulate_media(media="screen")


def test_asset_card_prints_on_one_a5_sheet(page, demo, app):
    [(asset_id, number)] = loanable_in_storage(app, ITEM_NAMES[:1])
    sign_in(page, STOREKEEPER)
    page.goto(f"/assets/{asset_id}/card")
    expect(page.locator("article.asset-card")).to_contain_text(number)
    assert len(pdf_pages(page, "card-pdf", "A5")) == 1, "the asset card does not fit one A5 sheet"
