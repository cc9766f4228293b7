"""Importing an existing 资产台账: mapping, dry run with every row's errors, all-or-nothing
or only the valid rows, idempotent on the asset number, GBK CSV, files that are not
spreadsheets."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from schoolhq.assets.models import Asset
from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import login, make_account

HEADER = ["资产编号", "资产名称", "分类代码", "单价", "数量", "购置日期", "存放地点", "使用人"]


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _setup(app):
    with app.test_request_context():
        campus = places.create_location("campus", "阳光小学")
        building = places.create_location("building", "教学楼", campus.id)
        floor = places.create_location("floor", "1楼", building.id)
        places.create_location("room", "101教室", floor.id, code="A101")
        make_account("head", "logistics_head", name="王海涛")
        db.session.commit()


def _upload(client, data: bytes, name: str):
    return client.post("/assets/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _token(response) -> str:
    html = response.get_data(as_text=True)
    return html.split('/assets/import/', 1)[1].split('"', 1)[0]


def _mapping():
    keys = ["number", "name", "category", "unit_price", "quantity", "purchased_on", "location", "custodian"]
    return {f"map-{key}": str(i) for i, key in enumerate(keys)}


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Asset.id)))


GOOD = [["OLD-001", "电脑", "A02010105", "4500", 1, "2020-09-01", "A101", "王海涛"],
        ["OLD-002", "文件柜", "A05010502", "1,200.00", 2, "2019/03/15", "阳光小学 / 教学楼 / 1楼 / 101教室", ""]]
BAD = [["OLD-003", "", "Z999", "abc", 0, "昨天", "火星", "无名氏"], ["OLD-001", "重复", "A02010105", "1", 1, "", "A101", ""]]


def test_a_valid_file_imports_once(app, client):
    _setup(app)
    login(client, "head")
    checked = _upload(client, _xlsx(GOOD), "台账.xlsx")
    assert checked.status_code == 200
    html = checked.get_data(as_text=True)
    assert "OLD-002" not in html  # no errors to list
    token = _token(checked)
    done = client.post(f"/assets/import/{token}", data={**_mapping(), "action": "all"})
    assert done.status_code == 303 and _count(app) == 2
    with app.app_context():
        cabinet = db.session.scalar(select(Asset).where(Asset.number == "OLD-002"))
        assert cabinet.unit_price_fen == 120000 and cabinet.quantity == 2 and str(cabinet.purchased_on) == "2019-03-15"
    again = _upload(client, _xlsx(GOOD), "台账.xlsx")
    client.post(f"/assets/import/{_token(again)}", data={**_mapping(), "action": "all"})
    assert _count(app) == 2  # idempotent on the asset number


def test_errors_are_listed_and_nothing_is_written_unless_asked(app, client):
    _setup(app)
    login(client, "head")
    checked = _upload(client, _xlsx(GOOD + BAD), "台账.xlsx")
    html = checked.get_data(as_text=True)
    for problem in ("Z999", "火星", "无名氏", "昨天", "OLD-001"):
        assert problem in html, problem
    token = _token(checked)
    refused = client.post(f"/assets/import/{token}", data={**_mapping(), "action": "all"})
    assert refused.status_code == 422 and _count(app) == 0
    partial = client.post(f"/assets/import/{token}", data={**_mapping(), "action": "valid"})
    assert partial.status_code == 303 and _count(app) == 2


def test_required_columns_must_be_mapped(app, client):
    _setup(app)
    login(client, "head")
    token = _token(_upload(client, _xlsx(GOOD), "a.xlsx"))
    mapping = _mapping()
    del mapping["map-location"]
    response = client.post(f"/assets/import/{token}", data={**mapping, "action": "all"})
    assert response.status_code == 422 and _count(app) == 0


def test_gbk_csv_and_bad_files(app, client):
    _setup(app)
    login(client, "head")
    csv_text = ",".join(HEADER) + "\n" + "OLD-9,投影仪,A02020000,4200,1,2021-01-01,A101,\n"
    checked = _upload(client, csv_text.encode("gb18030"), "导出.csv")
    assert checked.status_code == 200 and "投影仪" not in checked.get_data(as_text=True).split("<h2>")[0]
    client.post(f"/assets/import/{_token(checked)}", data={**_mapping(), "action": "all"})
    assert _count(app) == 1
    for data, name in ((b"PK\x03\x04 broken", "x.xlsx"), (b"%PDF-1.4", "x.pdf"), (b"", "empty.csv")):
        assert _upload(client, data, name).status_code == 422, name
    assert client.post("/assets/import/../../etc/passwd", data={"action": "all"}).status_code in (404, 422)
    assert client.post("/assets/import/deadbeef.xlsx", data={"action": "all"}).status_code == 422
