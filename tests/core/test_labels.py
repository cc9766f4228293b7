"""Label sheets: layouts seeded from the data file, sheets and skipped positions, the
per-layout stylesheet, calibration saved under a name, bad offsets refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from schoolhq.core import labels
from schoolhq.core.errors import ServiceError
from schoolhq.core.models import LabelLayout
from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import login, make_account


def test_three_layouts_are_seeded(ctx):
    grids = sorted((lay.columns, lay.rows) for lay in labels.layouts())
    assert grids == [(3, 8), (4, 10), (5, 13)]


def test_sheets_skip_used_positions_and_break_pages(ctx):
    layout = next(lay for lay in labels.layouts() if lay.columns == 3)
    pages = labels.sheets(layout, list(range(30)), skip=5)
    assert len(pages) == 2 and len(pages[0]) == 24 and len(pages[1]) == 11
    assert [c.item for c in pages[0][:6]] == [None] * 5 + [0]
    assert (pages[0][5].row, pages[0][5].column) == (2, 3)
    css = labels.stylesheet(layout)
    assert f".labels-{layout.id} .r8 {{ top: 259.50mm; }}" in css and "@page labels" in css


def test_calibration_copies_a_builtin_layout_and_refuses_nonsense(ctx):
    builtin = next(lay for lay in labels.layouts() if lay.columns == 5)
    mine = labels.save_calibrated(builtin.id, "教务处打印机", "1.5", "-0.75")
    assert not mine.builtin and (mine.offset_x, mine.offset_y) == (1.5, -0.75)
    assert builtin.offset_x == 0
    again = labels.save_calibrated(mine.id, "教务处打印机", "2", "0")
    assert again.id == mine.id and again.offset_x == 2
    for x, y, name in (("abc", "0", "x"), ("50", "0", "x"), ("nan", "0", "x"), ("0", "0", builtin.name),
                       ("0", "0", " ")):
        with pytest.raises(ServiceError):
            labels.save_calibrated(builtin.id, name, x, y)
    assert db.session.scalar(select(func.count(LabelLayout.id))) == 4


def test_room_and_asset_label_pages(app, client):
    with app.test_request_context():
        campus = places.create_location("campus", "阳光小学")
        building = places.create_location("building", "教学楼", campus.id)
        floor = places.create_location("floor", "1楼", building.id)
        for n in range(30):
            places.create_location("room", f"1{n:02d}教室", floor.id)
        make_account("head", "logistics_head")
        db.session.commit()
        layout_id = next(lay.id for lay in labels.layouts() if lay.columns == 4)
    login(client, "head")
    page = client.get(f"/places/labels?layout={layout_id}&skip=3").get_data(as_text=True)
    assert page.count('class="label-page') == 1 and page.count("<svg") == 30
    assert f"/labels/layout/{layout_id}.css" in page
    css = client.get(f"/labels/layout/{layout_id}.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert client.get("/labels/layout/99999.css").status_code == 404
    assert client.get("/places/labels?layout=abc&skip=-4").status_code == 200
    calibrate = client.post(f"/labels/calibrate?layout={layout_id}", data={"name": "我的4×10", "offset_x": "1",
                                                                          "offset_y": "0.5"})
    assert calibrate.status_code == 303
    assert client.post(f"/labels/calibrate?layout={layout_id}", data={"name": "坏的", "offset_x": "x",
                                                                      "offset_y": "0"}).status_code == 422
    assert client.get("/assets/labels").status_code == 200


def test_many_labels_come_in_batches_of_sheets_continuing_where_the_last_stopped(ctx):
    layout = labels.layouts()[0]
    size = layout.per_sheet * labels.SHEETS_PER_BATCH
    items = list(range(2 * size + 5))
    first = labels.batch(layout, items, skip=3, number=1)
    second = labels.batch(layout, items, skip=3, number=2)
    last = labels.batch(layout, items, skip=3, number=3)
    assert first.count == 3 and (first.skip, second.skip) == (3, 0)
    assert first.items == items[:size - 3] and second.items[0] == items[size - 3]
    assert first.items + second.items + last.items == items  # every label once, in order
    assert labels.batch(layout, items, skip=3, number=99).number == 3  # past the end: the last batch
    assert labels.batch(layout, [], skip=0, number=1).count == 1


def test_the_asset_labels_page_draws_one_batch_and_links_the_next(app, client, monkeypatch):
    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory

    monkeypatch.setattr(labels, "SHEETS_PER_BATCH", 1)
    with app.test_request_context():
        campus = places.create_location("campus", "阳光小学")
        room = places.create_location("room", "101教室", campus.id)
        category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010105"))
        per_sheet = labels.layouts()[0].per_sheet
        for n in range(per_sheet + 2):
            assets.register_asset({"name": f"椅子{n}", "category_id": category.id, "unit_price_fen": 100}, room.id)
        make_account("store", "storekeeper")
        db.session.commit()
    assert login(client, "store").status_code == 303
    page = client.get("/assets/labels", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert page.count('class="qr-box"') == per_sheet and "下一批" in page and "第 1 批，共 2 批" in page
    rest = client.get("/assets/labels?batch=2").get_data(as_text=True)
    assert rest.count('class="qr-box"') == 2
