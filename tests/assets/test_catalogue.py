"""The school edits its catalogue: categories (parent from the code, depreciation years,
the older class) and kinds (fields, return checklist); special equipment (class 3) uses
the higher threshold."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from schoolhq.assets import catalogue, services
from schoolhq.assets.models import AssetCategory, AssetKind
from schoolhq.core.errors import ServiceError
from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import login, make_account


def test_a_new_category_finds_its_parent_and_special_equipment_uses_its_threshold(ctx):
    lab = catalogue.save_category("A02100705", "数字显微镜", None, "3")
    assert lab.parent.code == "A02000000"
    campus = places.create_location("campus", "阳光小学")
    # ¥1,200: a fixed asset in general, but below the ¥1,500 line for special equipment
    microscope = services.register_asset({"name": "显微镜", "category_id": lab.id, "unit_price_fen": 120000}, campus.id)
    assert microscope.tier == "low_value_durable"
    for code, name, years, klass in (("B1", "x", None, ""), ("A02010105", "dup", None, ""), ("A12345678", " ", None, ""),
                                     ("A12345678", "x", 500, ""), ("A12345678", "x", None, "9")):
        with pytest.raises(ServiceError):
            catalogue.save_category(code, name, years, klass)


def test_kinds_with_fields_and_checklists(ctx):
    kind = catalogue.save_kind("microscope", "显微镜", "Microscope", True,
                               "magnification | 放大倍数 | Magnification | number\ncalibrated | 校准日期 | Calibrated | date",
                               "镜头盖已盖好 | Lens cap on")
    assert [f["type"] for f in kind.fields] == ["number", "date"] and kind.return_checklist[0]["zh"] == "镜头盖已盖好"
    for fields in ("bad line", "k | 中 | en | colour", "a | 甲 | A | text\na | 乙 | B | text"):
        with pytest.raises(ServiceError):
            catalogue.save_kind("other", "其他", "", False, fields, "")
    with pytest.raises(ServiceError):
        catalogue.save_kind("microscope", "重复", "", False, "", "")


def test_the_catalogue_pages(app, client):
    with app.app_context():
        make_account("head", "logistics_head")
        make_account("store", "storekeeper")
    login(client, "head")
    assert client.get("/assets/catalogue").status_code == 200
    assert client.post("/assets/catalogue", data={"which": "category", "code": "A05019999", "name": "校本课程教具",
                                                  "depreciation_years": "5", "class_2010": "6"}).status_code == 303
    assert client.post("/assets/catalogue", data={"which": "category", "code": "nope", "name": "x",
                                                  "class_2010": ""}).status_code == 422
    assert client.post("/assets/catalogue", data={"which": "kind", "kind-key": "drone", "kind-name_zh": "无人机",
                                                  "kind-fields": "", "kind-checklist": ""}).status_code == 303
    with app.app_context():
        category_id = db.session.scalar(select(AssetCategory.id).where(AssetCategory.code == "A05019999"))
        kind_id = db.session.scalar(select(AssetKind.id).where(AssetKind.key == "drone"))
    assert client.post(f"/assets/catalogue/categories/{category_id}", data={"name": "教具（校本）",
                                                                            "depreciation_years": "", "class_2010": "6"}).status_code == 303
    assert client.post(f"/assets/catalogue/kinds/{kind_id}", data={"name_zh": "无人机", "fields": "x | 航时 | Flight time | minutes"}).status_code == 422
    store = app.test_client()
    login(store, "store")
    assert store.get("/assets/catalogue").status_code == 403
