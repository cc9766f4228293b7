"""A stocktake of one room on a tablet: scanning with a USB-scanner's keystrokes, one item
registered elsewhere (moved here only when confirmed) and one unknown tag."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.pages import sign_in  # noqa: E402


def _room_and_items(app):
    """A room of the demo's open stocktake with two items expected in it, and an item
    registered in another room of the same stocktake."""
    from sqlalchemy import select

    from schoolhq.assets.models import AuditCampaign, AuditExpected, AuditScan
    from schoolhq.extensions import db

    with app.app_context():
        campaign = db.session.scalar(select(AuditCampaign).order_by(AuditCampaign.id))
        scanned = set(db.session.scalars(select(AuditScan.asset_id).where(AuditScan.campaign_id == campaign.id)))
        by_room: dict[int, list] = {}
        for row in db.session.scalars(select(AuditExpected).where(AuditExpected.campaign_id == campaign.id)):
            if row.asset_id not in scanned:
                by_room.setdefault(row.location_id, []).append(row)
        rooms = sorted(by_room, key=lambda r: -len(by_room[r]))
        here, there = rooms[0], rooms[1]
        return (campaign.id, here, [r.asset.number for r in by_room[here]][:2],
                by_room[there][0].asset.number, by_room[there][0].asset_id)


def test_auditing_a_room_with_a_misplaced_and_an_unknown_tag(page, demo, app):
    campaign_id, room_id, numbers, elsewhere, elsewhere_id = _room_and_items(app)
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, "store")
    page.goto(f"/assets/audits/{campaign_id}/rooms/{room_id}")
    page.evaluate("window.__noReload = true")
    tag = page.locator("#tag")
    for number in numbers:
        tag.fill(number)
        tag.press("Enter")
        expect(page.locator("#audit-room .alert")).to_contain_text(number)
    tag.fill(elsewhere)
    tag.press("Enter")
    expect(page.locator("#audit-room")).to_contain_text("登记在别处")
    tag.fill("ZC-NOBODY-KNOWS")
    tag.press("Enter")
    expect(page.locator("#audit-room")).to_contain_text("ZC-NOBODY-KNOWS")
    tag.fill(numbers[0])
    tag.press("Enter")
    expect(page.locator("#audit-room .alert")).to_contain_text("不重复计数")
    page.get_by_role("button", name="调至此处？").click()
    expect(page.locator("#audit-room")).to_contain_text("将调至此处")
    assert page.evaluate("window.__noReload") is True
    page.screenshot(path="/tmp/screens/audit-room-zh.png", full_page=True)

    from schoolhq.assets.models import Asset, AuditScan
    from schoolhq.extensions import db

    with app.app_context():
        scans = {s.code: s for s in db.session.query(AuditScan).filter_by(campaign_id=campaign_id)}
        assert scans["ZC-NOBODY-KNOWS"].result == "unknown"
        assert scans[elsewhere].result == "misplaced" and scans[elsewhere].move_confirmed
        assert db.session.get(Asset, elsewhere_id).location_id != room_id  # moves only at closing
