"""The asset register: seeded data, numbers, tiers, value, events, scope, bad input."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from schoolhq.assets import services
from schoolhq.assets.models import Asset, AssetCategory, AssetEvent, AssetKind, AssetStatus
from schoolhq.core import settings
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import login, make_account

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def _school():
    campus = places.create_location("campus", "阳光小学")
    building = places.create_location("building", "教学楼", campus.id)
    floor2 = places.create_location("floor", "2楼", building.id)
    floor3 = places.create_location("floor", "3楼", building.id)
    room2 = places.create_location("room", "201教室", floor2.id)
    room3 = places.create_location("room", "301教室", floor3.id)
    return room2, room3


def _category(code="A02010105"):
    return db.session.scalar(select(AssetCategory).where(AssetCategory.code == code))


def _values(**overrides):
    values = {"name": "台式计算机", "category_id": _category().id, "unit_price_fen": 450000}
    values.update(overrides)
    return values


def test_the_domain_file_is_seeded_once_with_its_tree(ctx):
    computer = _category("A02010105")
    assert computer.parent.code == "A02010100" and computer.parent.parent.code == "A02010000"
    assert services.depreciation_years(computer) == 6
    assert services.depreciation_years(_category("A05010502")) == 15
    assert services.depreciation_years(_category("A04000000")) == 0
    assert computer.class_2010 == "2"
    assert db.session.get(AssetStatus, "on_loan").can_loan is False
    assert db.session.scalar(select(AssetKind).where(AssetKind.key == "water_point")).fields
    before = db.session.scalar(select(func.count(AssetCategory.id)))
    from schoolhq.core.seeding import seed_all

    computer.name = "电脑（本校改名）"
    seed_all()
    assert db.session.scalar(select(func.count(AssetCategory.id))) == before
    assert computer.name == "电脑（本校改名）"


def test_numbers_tokens_tier_and_the_registered_event(ctx):
    room2, _room3 = _school()
    year = local_today().year
    first = services.register_asset(_values(), room2.id)
    second = services.register_asset(_values(name="办公椅", category_id=_category("A05010301").id,
                                             unit_price_fen=45000), room2.id)
    assert first.number.startswith(f"ZC{year}") and first.number != second.number
    assert len(first.token) == 8 and first.token != second.token
    assert first.tier == "fixed_asset" and second.tier == "low_value_durable"
    settings.update({"assets.fixed_asset_threshold_fen": 500000})
    assert services.suggest_tier(450000) == "low_value_durable"
    events = services.history(first.id)
    assert [e.kind for e in events] == ["registered"]
    settings.update({"assets.number_pattern": "{category}-{seq:04d}"})
    third = services.register_asset(_values(), room2.id)
    assert third.number == "A02-0001"
    with pytest.raises(ServiceError):
        settings.update({"assets.number_pattern": "no sequence"})


def test_straight_line_value(ctx):
    room2, _ = _school()
    asset = services.register_asset(_values(unit_price_fen=720000, purchased_on=date(2024, 1, 5),
                                            booked_on=date(2024, 1, 5)), room2.id)
    value = services.value_of(asset, on=date(2025, 12, 31))
    # 6 years = 72 months; January 2024 .. December 2025 is 24 months.
    assert (value.years, value.accumulated_fen, value.net_fen) == (6, 240000, 480000)
    assert services.value_of(asset, on=date(2040, 1, 1)).net_fen == 0
    cheap = services.register_asset(_values(unit_price_fen=50000, tier="low_value_durable",
                                            booked_on=date(2020, 1, 1)), room2.id)
    assert services.value_of(cheap).accumulated_fen == 0


def test_moves_custodians_and_statuses_are_events_never_overwrites(ctx):
    room2, room3 = _school()
    keeper = make_account("keeper", None, name="赵敏")
    asset = services.register_asset(_values(), room2.id)
    services.move_asset(asset.id, room3.id, "换教室")
    services.change_custodian(asset.id, keeper.person_id)
    services.change_status(asset.id, "under_repair", "屏幕坏了")
    kinds = [e.kind for e in reversed(services.history(asset.id))]
    assert kinds == ["registered", "moved", "custodian_changed", "status_changed"]
    moved = next(e for e in services.history(asset.id) if e.kind == "moved")
    assert moved.data["from"]["name"].endswith("201教室") and moved.data["to"]["name"].endswith("301教室")
    with pytest.raises(ServiceError):
        services.move_asset(asset.id, room3.id)  # already there
    with pytest.raises(ServiceError):
        services.change_status(asset.id, "disposed")  # only through disposal
    with pytest.raises(ServiceError):
        services.change_status(asset.id, "on_loan")


def test_history_rows_cannot_be_updated_or_deleted_even_in_sql(app):
    with app.test_request_context():
        room2, _ = _school()
        asset = services.register_asset(_values(), room2.id)
        db.session.commit()
        event_id = services.history(asset.id)[0].id
    with app.app_context():
        for statement in ("UPDATE asset_event SET kind = 'forged' WHERE id = :id",
                          "DELETE FROM asset_event WHERE id = :id"):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(text(statement), {"id": event_id})
            db.session.rollback()
        assert db.session.get(AssetEvent, event_id).kind == "registered"


@pytest.mark.parametrize("overrides,field", [
    ({"name": " "}, "name"),
    ({"category_id": 999999}, "category_id"),
    ({"unit_price_fen": -1}, "unit_price"),
    ({"quantity": 0}, "quantity"),
    ({"purchased_on": date(2999, 1, 1)}, "purchased_on"),
])
def test_bad_asset_values_are_refused(ctx, overrides, field):
    room2, _ = _school()
    with pytest.raises(ServiceError) as error:
        services.register_asset(_values(**overrides), room2.id)
    assert error.value.field == field
    assert db.session.scalar(select(func.count(Asset.id))) == 0


def test_duplicate_numbers_and_unknown_places_are_refused(ctx):
    room2, _ = _school()
    services.register_asset(_values(), room2.id, number="OLD-001")
    with pytest.raises(ServiceError):
        services.register_asset(_values(), room2.id, number="OLD-001")
    with pytest.raises(ServiceError):
        services.register_asset(_values(), 999999)


def test_tags_resolve_from_number_token_or_label_url(ctx):
    room2, _ = _school()
    asset = services.register_asset(_values(), room2.id)
    assert services.resolve_tag(asset.number) == asset
    assert services.resolve_tag(f"  {asset.token.upper()} ") == asset
    assert services.resolve_tag(f"http://school.lan/t/{asset.token}") == asset
    assert services.resolve_tag("nonsense") is None
    assert services.resolve_tag("x" * 500) is None


def test_the_register_through_the_web(app, client):
    with app.test_request_context():
        room2, room3 = _school()
        db.session.commit()
        make_account("keeper", "storekeeper")
        ids = (room2.id, room3.id, _category().id)
    login(client, "keeper")
    room2_id, room3_id, category_id = ids
    created = client.post("/assets/new", data={
        "name": "教师台式计算机", "category_id": str(category_id), "kind_id": "", "unit_price": "4,500.00",
        "quantity": "1", "tier": "", "location_id": str(room2_id), "custodian_id": "", "status": "in_use",
        "number": "", "unit": "台", "funding_source": "财政拨款"})
    assert created.status_code == 303
    asset_id = int(created.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert "教师台式计算机" in page and "¥4,500.00" in page
    bad = client.post("/assets/new", data={"name": "x", "category_id": str(category_id), "unit_price": "abc",
                                           "location_id": str(room2_id), "status": "in_use"})
    assert bad.status_code == 422 and "元" in bad.get_data(as_text=True)
    negative = client.post("/assets/new", data={"name": "x", "category_id": str(category_id), "unit_price": "-5",
                                                "location_id": str(room2_id), "status": "in_use"})
    assert negative.status_code == 422
    assert client.post(f"/assets/{asset_id}/move", data={"move-location_id": str(room3_id)}).status_code == 303
    listing = client.get(f"/assets/?location={room3_id}", headers={"HX-Request": "true"})
    assert listing.get_data(as_text=True).lstrip().startswith('<div id="asset-rows">')
    assert "教师台式计算机" in listing.get_data(as_text=True)
    assert "教师台式计算机" not in client.get(f"/assets/?location={room2_id}").get_data(as_text=True)
    export = client.get(f"/assets/export.xlsx?location={room3_id}")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    card = client.get(f"/assets/{asset_id}/card").get_data(as_text=True)
    assert "<svg" in card and "资产卡片" in card
    assert client.get("/assets/999999").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(Asset.id))) == 1


def test_a_floor_scoped_manager_sees_and_manages_only_that_floor(app, client):
    with app.test_request_context():
        room2, room3 = _school()
        here = services.register_asset(_values(name="三楼电脑"), room3.id)
        there = services.register_asset(_values(name="二楼电脑"), room2.id)
        make_account("floor3", "storekeeper", location_id=room3.parent_id)
        db.session.commit()
        here_id, there_id, room2_id, room3_id = here.id, there.id, room2.id, room3.id
    login(client, "floor3")
    listing = client.get("/assets/").get_data(as_text=True)
    assert "三楼电脑" in listing and "二楼电脑" not in listing
    assert client.get(f"/assets/{there_id}").status_code == 403
    assert client.get(f"/assets/{here_id}").status_code == 200
    assert client.post(f"/assets/{here_id}/move", data={"move-location_id": str(room2_id)}).status_code == 403
    assert client.post("/assets/new", data={"name": "x", "category_id": "1", "unit_price": "1",
                                            "location_id": str(room2_id), "status": "in_use"}).status_code == 403
    with app.app_context():
        assert db.session.get(Asset, here_id).location_id == room3_id


def test_public_label_shows_little_and_can_be_turned_off(app, client):
    with app.test_request_context():
        room2, _ = _school()
        asset = services.register_asset(_values(name="投影仪"), room2.id)
        db.session.commit()
        token = asset.token
    public = client.get(f"/t/{token}").get_data(as_text=True)
    assert "投影仪" in public and "201教室" in public and "4,500" not in public
    with app.test_request_context():
        settings.update({"assets.public_label_info": False})
        db.session.commit()
    hidden = client.get(f"/t/{token}").get_data(as_text=True)
    assert "投影仪" not in hidden and "201教室" not in hidden


def test_kind_fields_follow_the_chosen_kind(app, client):
    with app.test_request_context():
        room2, _ = _school()
        make_account("keeper", "storekeeper")
        water = db.session.scalar(select(AssetKind).where(AssetKind.key == "water_point"))
        db.session.commit()
        water_id, room_id, category_id = water.id, room2.id, _category("A02000000").id
    login(client, "keeper")
    fragment = client.get(f"/assets/kind-fields?kind_id={water_id}", headers={"HX-Request": "true"})
    assert 'name="extra-filter_model"' in fragment.get_data(as_text=True)
    base = {"name": "直饮水机", "category_id": str(category_id), "kind_id": str(water_id), "unit_price": "6800",
            "location_id": str(room_id), "status": "in_use", "extra-filter_model": "QG-U5"}
    bad = client.post("/assets/new", data={**base, "extra-filter_interval_days": "ninety"})
    assert bad.status_code == 422
    good = client.post("/assets/new", data={**base, "extra-filter_interval_days": "90",
                                            "extra-permit_expiry": "2027-06-30", "extra-not_a_field": "x"})
    assert good.status_code == 303
    with app.app_context():
        asset = db.session.scalar(select(Asset))
        assert asset.extra == {"filter_model": "QG-U5", "filter_interval_days": 90.0, "permit_expiry": "2027-06-30"}
        assert asset.kind.key == "water_point"


def test_asset_settings_page(app, client):
    """The asset settings live on the area's generic settings page."""
    with app.app_context():
        make_account("head", "logistics_head")
    login(client, "head")
    page = client.get("/assets/settings/general")
    assert page.status_code == 200 and "1000.00" in page.text
    assert "/assets/catalogue" in page.text  # the categories and kinds stay one tap away
    form = {"assets__fixed_asset_threshold_fen": "1,500", "assets__special_equipment_threshold_fen": "2000",
            "assets__number_pattern": "GZ{seq:06d}", "assets__disposal_principal_threshold_fen": "10000",
            "assets__after_school": "16:00", "assets__public_label_info": "y"}
    assert client.post("/assets/settings/general", data=form).status_code == 303
    for field, bad in (("assets__fixed_asset_threshold_fen", "-1"), ("assets__number_pattern", "{nope}{seq}"),
                       ("assets__after_school", "25:99"), ("assets__special_equipment_threshold_fen", "lots"),
                       ("assets__disposal_principal_threshold_fen", " ")):
        # each refused post also carries a good new time, which must not be saved either
        refused = client.post("/assets/settings/general", data={**form, "assets__after_school": "17:00", field: bad})
        assert refused.status_code == 422, field
        # the message sits inside the refused field's own block
        block = re.search(rf'<div class="field invalid">\s*<label for="{field}">.*?</div>', refused.text, re.S)
        assert block and 'class="field-error"' in block.group(0), field
    with app.test_request_context():
        assert settings.get("assets.fixed_asset_threshold_fen") == 150000
        assert settings.get("assets.number_pattern") == "GZ{seq:06d}"
        assert settings.get("assets.after_school") == "16:00"  # no refused post wrote anything


def test_the_old_asset_settings_address_leads_to_the_generic_page(app, client):
    with app.app_context():
        make_account("head", "logistics_head")
        make_account("teacher", "staff")
    login(client, "teacher")
    assert client.get("/assets/settings").status_code == 403
    assert client.get("/assets/settings/general").status_code == 403
    login(client, "head")
    moved = client.get("/assets/settings")
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/assets/settings/general")
    assert client.get("/assets/settings", follow_redirects=True).status_code == 200
    # an old form's post reaches the new page, which does not know its fields: refused, nothing saved
    old = client.post("/assets/settings", data={"fixed_asset_threshold": "1", "number_pattern": "{seq}"},
                      follow_redirects=True)
    assert old.status_code == 422
    with app.test_request_context():
        assert settings.get("assets.fixed_asset_threshold_fen") == 100000
    assert 'href="/assets/settings/general"' in client.get("/assets/").text


def test_a_photo_on_the_card_and_the_not_audited_list(app, client):
    import io as _io

    from PIL import Image

    with app.test_request_context():
        room2, _ = _school()
        asset = services.register_asset(_values(), room2.id)
        make_account("keeper", "storekeeper")
        db.session.commit()
        asset_id = asset.id
    login(client, "keeper")
    picture = _io.BytesIO()
    Image.new("RGB", (50, 40), "green").save(picture, "JPEG")
    picture.seek(0)
    ok = client.post(f"/assets/{asset_id}/photo", data={"photo": (picture, "pc.jpg")}, content_type="multipart/form-data")
    assert ok.status_code == 303
    bad = client.post(f"/assets/{asset_id}/photo", data={"photo": (_io.BytesIO(b"not an image"), "pc.jpg")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422
    with app.app_context():
        photo_id = db.session.get(Asset, asset_id).photo_id
    assert photo_id and client.get(f"/files/{photo_id}").status_code == 200
    assert "从未清查" in client.get("/assets/reports/unaudited").get_data(as_text=True)
