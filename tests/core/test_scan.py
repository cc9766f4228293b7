"""The one scan box: a room label, an asset label or number, a staff badge."""

from __future__ import annotations

from sqlalchemy import select

from schoolhq.assets import services as assets
from schoolhq.assets.models import AssetCategory
from schoolhq.extensions import db
from schoolhq.people import services as people
from schoolhq.places import services as places
from tests.conftest import login, make_account


def test_scanned_codes_open_the_right_page(app, client):
    with app.test_request_context():
        campus = places.create_location("campus", "阳光小学")
        category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010105"))
        asset = assets.register_asset({"name": "电脑", "category_id": category.id, "unit_price_fen": 1}, campus.id)
        badge = people.create_person("赵敏", badge_code="T0042")
        make_account("someone", "staff")
        db.session.commit()
        cases = {
            f"http://school.lan/t/{campus.token}": f"/places/{campus.id}",
            asset.token: f"/assets/{asset.id}",
            asset.number: f"/assets/{asset.id}",
            "T0042": f"/people/{badge.id}",
        }
    login(client, "someone")
    assert client.get("/scan").status_code == 200
    for code, target in cases.items():
        response = client.get("/scan", query_string={"code": code})
        assert response.status_code == 302 and response.headers["Location"].endswith(target), code
    unknown = client.get("/scan", query_string={"code": "WHAT-IS-THIS"})
    assert unknown.status_code == 422 and "WHAT-IS-THIS" in unknown.get_data(as_text=True)
    assert client.get("/scan", query_string={"code": "x" * 1000}).status_code == 422
