"""The camera half of the scan box, without a camera: a photo of a QR label, chosen in
the file picker as a tablet on plain-HTTP campus Wi-Fi would, is decoded in the page
with the vendored jsQR and opens the asset."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.pages import sign_in  # noqa: E402


def _first_asset(app) -> tuple[int, str]:
    from sqlalchemy import select

    from schoolhq.assets.models import Asset
    from schoolhq.extensions import db

    with app.app_context():
        asset = db.session.scalar(select(Asset).order_by(Asset.id))
        return asset.id, asset.token


def test_a_photo_of_a_label_opens_the_asset(page, demo, app, tmp_path):
    import segno

    asset_id, token = _first_asset(app)
    photo = tmp_path / "label.png"
    segno.make(f"http://school.lan/t/{token}", error="m").save(str(photo), scale=8, border=4)
    sign_in(page, "logistics")
    page.goto("/scan")
    page.locator("[data-scan-camera-box] input[type=file]").set_input_files(str(photo))
    page.wait_for_url(f"**/assets/{asset_id}")
    expect(page.locator("h1")).to_be_visible()


def test_a_photo_without_a_code_says_so(page, demo, tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (400, 300), "white").save(blank)
    sign_in(page, "logistics")
    page.goto("/scan")
    page.locator("[data-scan-camera-box] input[type=file]").set_input_files(str(blank))
    expect(page.locator("[data-scan-status]")).to_contain_text("未找到二维码")
