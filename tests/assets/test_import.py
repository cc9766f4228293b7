"""Importing an existing 资产台账 as schools keep it: a title block above the header,
prices like `1078元`, month-only dates, 合计 rows, repeated headers, the file's own row
numbers, places and people created from the preview, batch rows kept or split, and a
re-import that adds nothing even without asset numbers. The files are built here, one
trap each, and the whole ledger with every trap at once."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from schoolhq.assets import importer
from schoolhq.assets.models import Asset, AssetEvent
from schoolhq.extensions import db
from schoolhq.people.models import Department, Person
from schoolhq.places import services as places
from schoolhq.places.models import Location
from tests.conftest import login, make_account

HEADER = ["资产编号", "资产名称", "分类代码", "单价", "数量", "购置日期", "存放地点", "使用人"]


def _book(*sheets) -> bytes:
    """An XLSX of (title, rows) sheets; a row of None is left blank."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for number, row in enumerate(rows, 1):
            for column, value in enumerate(row or [], 1):
                if value is not None:
                    sheet.cell(number, column, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx(rows) -> bytes:
    return _book(("台账", [HEADER, *rows]))


def _setup(app):
    with app.test_request_context():
        campus = places.create_location("campus", "阳光小学")
        building = places.create_location("building", "教学楼", campus.id)
        floor = places.create_location("floor", "1楼", building.id)
        places.create_location("room", "101教室", floor.id, code="A101")
        make_account("head", "logistics_head", name="王海涛")
        db.session.commit()
        return building.id


def _upload(client, data: bytes, name: str):
    return client.post("/assets/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _token(response) -> str:
    html = response.get_data(as_text=True)
    return html.split('/assets/import/', 1)[1].split('"', 1)[0]


def _run(client, token: str, action: str = "all", **choices):
    return client.post(f"/assets/import/{token}", data={"action": action, **choices})


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Asset.id)))


def _asset(app, **where):
    with app.app_context():
        query = select(Asset)
        for key, value in where.items():
            query = query.where(getattr(Asset, key) == value)
        asset = db.session.scalars(query).one()
        db.session.expunge(asset)
        return asset


GOOD = [["OLD-001", "电脑", "A02010105", "4500", 1, "2020-09-01", "A101", "王海涛"],
        ["OLD-002", "文件柜", "A05010502", "1,200.00", 2, "2019/03/15", "阳光小学 / 教学楼 / 1楼 / 101教室", ""]]
BAD = [["OLD-003", "", "Z999", "abc", 0, "昨天", "火星", "无名氏"], ["OLD-001", "重复", "A02010105", "1", 1, "", "A101", ""]]


def test_a_valid_file_imports_once(app, client):
    _setup(app)
    login(client, "head")
    checked = _upload(client, _xlsx(GOOD), "台账.xlsx")
    assert checked.status_code == 200
    token = _token(checked)
    done = _run(client, token)
    assert done.status_code == 303 and _count(app) == 2
    cabinet = _asset(app, number="OLD-002")
    assert cabinet.unit_price_fen == 120000 and cabinet.quantity == 2 and str(cabinet.purchased_on) == "2019-03-15"
    again = _upload(client, _xlsx(GOOD), "台账.xlsx")
    assert "已导入 2" in again.get_data(as_text=True) or "2 行已导入" in again.get_data(as_text=True)
    assert _run(client, _token(again)).status_code == 422
    assert _count(app) == 2  # idempotent on the asset number


def test_errors_name_the_value_and_the_row_and_nothing_is_written_unless_asked(app, client):
    _setup(app)
    login(client, "head")
    checked = _upload(client, _xlsx(GOOD + BAD), "台账.xlsx")
    html = checked.get_data(as_text=True)
    for problem in ("Z999", "abc", "昨天", "OLD-001"):
        assert problem in html, problem
    assert "<td class=\"nowrap\">4</td>" in html  # row 4 of the file: the header is row 1
    token = _token(checked)
    refused = _run(client, token)
    assert refused.status_code == 422 and _count(app) == 0
    partial = _run(client, token, "valid")
    assert partial.status_code == 303 and _count(app) == 2


def test_required_columns_must_be_mapped(app, client):
    _setup(app)
    login(client, "head")
    token = _token(_upload(client, _xlsx(GOOD), "a.xlsx"))
    mapping = {"layout": "0:1", "sheet": "0", "header_row": "1",
               **{f"map-{key}": str(i) for i, key in enumerate(["number", "name", "category"])}}
    response = _run(client, token, **mapping)
    assert response.status_code == 422 and _count(app) == 0
    assert "存放地点" in response.get_data(as_text=True) or "Kept in" in response.get_data(as_text=True)


def test_gbk_csv_and_files_that_are_not_ledgers(app, client):
    _setup(app)
    login(client, "head")
    csv_text = "固定资产登记表,,,,,,,\n" + ",".join(HEADER) + "\n" + "OLD-9,投影仪,A02020000,4200元,1,2021.01,A101,\n"
    checked = _upload(client, csv_text.encode("gb18030"), "导出.csv")
    assert checked.status_code == 200
    assert _run(client, _token(checked)).status_code == 303
    assert _count(app) == 1
    for data, name in ((b"PK\x03\x04 broken", "x.xlsx"), (b"%PDF-1.4", "x.pdf"), (b"", "empty.csv"),
                       (b"\xd0\xcf\x11\xe0", "旧台账.xls")):
        assert _upload(client, data, name).status_code == 422, name
    assert "xlsx" in _upload(client, b"\xd0\xcf\x11\xe0", "旧台账.xls").get_data(as_text=True)
    assert client.post("/assets/import/../../etc/passwd", data={"action": "all"}).status_code in (404, 422)
    assert client.post("/assets/import/deadbeef.xlsx", data={"action": "all"}).status_code == 422


# The school's own ledger, every trap at once --------------------------------------------

LEDGER_HEADER = ["序号", "资产编号", "资产名称", "资产分类", "规格型号", "数量", "单价（元）", "金额（元）",
                 "购置日期", "使用部门", "存放地点", "使用人", "状态", "备注"]


def _ledger(extra_rows=()) -> bytes:
    rows = [
        ["阳光小学固定资产台账（2024年度）"],                                   # 1: a merged title
        ["填报单位：阳光小学", None, None, None, None, None, None, None, "单位：元"],  # 2
        None,                                                                       # 3
        LEDGER_HEADER,                                                              # 4
        [1, None, "台式计算机", "A02010105", "i5/8G", 1, "1078元", "1078元", "2017.07", "信息中心", "三(2)班", "李老师",
         "在用", "旧机"],                                                            # 5
        [2, None, "投影仪", "A02020000 办公设备", "", 1, "￥5,514.07", None, "2014年8月", "教务处", "三（2）班",
         "王海涛", "闲置", None],                                                    # 6
        None,                                                                       # 7: a blank row
        [3, None, "学生课桌椅", "A05010502", "", 45, "3,500.00", "157500", "2016-9-19", "", "A101", "", "维修中"],  # 8
        [4, None, "打印机", "A02021000", "", 1, 4587.0, 4587.0, datetime(2014, 8, 11), "", "A101", "", "待报废"],  # 9
        [5, None, "碎纸机", "A02021301", "", 1, None, 880, "2014/08/11", "", "A101", "", ""],                 # 10
        ["小计", None, None, None, None, 49, None, 164621.07],                       # 11
        LEDGER_HEADER,                                                              # 12: printed again
        [6, None, "白板", "A02020700", "", 1, "约800", None, "2017.13", "", "A101", "", "借给别人"],           # 13
        [7, None, "小计算器", "A02020000", "", 1, "25", None, 42736, "", "A101", "", ""],                   # 14
        ["合计", None, None, None, None, 51],                                        # 15
        [None, "制表人：张三", None, None, None, None, None, None, "审核人：李四"],       # 16
        *extra_rows,
    ]
    return _book(("说明", [["本表由资产管理员填写"]]), ("2024", rows))


def _choose(html: str) -> dict:
    """The check page's own choices, as the browser would post them back."""
    import re

    data = {"layout": re.search(r'name="layout" value="([^"]+)"', html).group(1)}
    data["sheet"], data["header_row"] = data["layout"].split(":")
    for key, index in re.findall(r'<select id="map-(\w+)" name="map-\w+">(?:(?!</select>).)*?<option value="(\d+)" selected',
                                 html, flags=re.S):
        data[f"map-{key}"] = index
    return data


def test_a_real_ledger_with_every_trap(app, client):
    building_id = _setup(app)
    login(client, "head")
    checked = _upload(client, _ledger(), "阳光小学资产台账.xlsx")
    assert checked.status_code == 200
    html = checked.get_data(as_text=True)
    choices = _choose(html)
    # the second sheet and its fourth row are the table, not the title or the 说明 sheet
    assert choices["layout"] == "1:4"
    for key in ("name", "category", "quantity", "unit_price", "amount", "purchased_on", "department", "location",
                "custodian", "status", "note"):
        assert f"map-{key}" in choices, key
    # the bad values shown as written, on the file's own row numbers
    for text in ("“约800”", "“2017.13”", "“借给别人”"):
        assert text in html, text
    assert '<td class="nowrap">13</td>' in html
    # totals, the repeated header and the signature line are recognised, not broken rows
    for line in (11, 12, 15, 16):
        assert f'<td class="nowrap">{line}</td>' in html, line
    assert "小计算器" not in html.split("不是资产的行")[-1]  # a calculator, not a subtotal
    for missing in ("三(2)班", "李老师", "信息中心", "教务处"):
        assert missing in html, missing
    token = _token(checked)

    # everything asked for at once: create what is missing, keep batch rows as one card
    refused = _run(client, token, **choices)
    assert refused.status_code == 422 and _count(app) == 0  # row 13 still has problems
    done = _run(client, token, "valid", **choices, places_parent=str(building_id), create_people="1",
                create_departments="1", batches="keep")
    assert done.status_code == 303, done.get_data(as_text=True)
    assert _count(app) == 6  # rows 5, 6, 8, 9, 10 and 14

    computer = _asset(app, name="台式计算机")
    assert computer.unit_price_fen == 107800 and computer.purchased_on == date(2017, 7, 1)
    assert "2017.07" in computer.note and "旧机" in computer.note and computer.status == "in_use"
    projector = _asset(app, name="投影仪")
    assert projector.unit_price_fen == 551407 and projector.purchased_on == date(2014, 8, 1)
    assert projector.status == "in_storage" and projector.location_id == computer.location_id  # 三（2）班 = 三(2)班
    desks = _asset(app, name="学生课桌椅")
    assert (desks.quantity, desks.unit_price_fen, desks.purchased_on, desks.status) == (
        45, 350000, date(2016, 9, 19), "under_repair")
    printer = _asset(app, name="打印机")
    assert (printer.unit_price_fen, printer.purchased_on, printer.status) == (458700, date(2014, 8, 11),
                                                                               "pending_disposal")
    shredder = _asset(app, name="碎纸机")
    assert shredder.unit_price_fen == 88000 and shredder.purchased_on == date(2014, 8, 11)  # price from 金额
    calculator = _asset(app, name="小计算器")
    assert calculator.purchased_on == date(2017, 1, 1)  # Excel's day number 42736
    with app.app_context():
        room = db.session.get(Location, computer.location_id)
        assert room.name == "三(2)班" and room.parent_id == building_id and room.kind == "room"
        teacher = db.session.scalars(select(Person).where(Person.name == "李老师")).one()
        assert teacher.account is None and teacher.department.name == "信息中心"
        assert computer.custodian_id == teacher.id and computer.department_id == teacher.department_id
        assert db.session.scalar(select(func.count(Department.id)).where(Department.name == "教务处")) == 1
        history = db.session.scalars(select(AssetEvent).where(AssetEvent.asset_id == computer.id)).one()
        assert "阳光小学资产台账.xlsx" in history.note and "5" in history.note

    # the same file again, three times, with or without its mapping: nothing more
    for _attempt in range(3):
        again = _upload(client, _ledger(), "阳光小学资产台账.xlsx")
        again_html = again.get_data(as_text=True)
        assert "6 行已导入" in again_html or "已导入 6" in again_html
        _run(client, _token(again), "valid", places_parent=str(building_id), create_people="1",
             create_departments="1")
    assert _count(app) == 6
    # the file grows a corrected copy of row 13 at its end: only that row is new
    fixed = [6, None, "白板", "A02020700", "", 1, "800", None, "2017.12", "", "A101", "", "在用"]
    grown = _upload(client, _ledger(extra_rows=[fixed]), "阳光小学资产台账.xlsx")
    assert _run(client, _token(grown), "valid").status_code == 303
    assert _count(app) == 7


def test_the_header_row_can_be_chosen_and_a_wrong_one_writes_nothing(app, client):
    _setup(app)
    login(client, "head")
    checked = _upload(client, _ledger(), "台账.xlsx")
    token = _token(checked)
    wrong = _run(client, token, "all", sheet="1", header_row="1", layout="1:4")
    assert wrong.status_code == 422 and _count(app) == 0
    page = wrong.get_data(as_text=True)
    assert 'value="1" selected' in page  # row 1 kept as chosen, the columns guessed again (none)
    back = _run(client, token, "check", sheet="1", header_row="4", layout="1:1")
    assert back.status_code == 200 and _choose(back.get_data(as_text=True))["map-name"] == "2"


def test_batch_rows_split_into_labelled_cards_and_identical_lines_stay_two(app, client):
    _setup(app)
    login(client, "head")
    rows = [["ZC-9", "笔记本电脑", "A02010108", "5000", 3, "2023-09-01", "A101", ""],
            ["", "椅子", "A05010502", "120", 1, "2023-09-01", "A101", ""],
            ["", "椅子", "A05010502", "120", 1, "2023-09-01", "A101", ""]]
    checked = _upload(client, _xlsx(rows), "批量.xlsx")
    assert "数量大于 1" in checked.get_data(as_text=True) or "quantity above 1" in checked.get_data(as_text=True)
    assert _run(client, _token(checked), batches="split").status_code == 303
    with app.app_context():
        laptops = db.session.scalars(select(Asset).where(Asset.name == "笔记本电脑").order_by(Asset.number)).all()
        assert [a.number for a in laptops] == ["ZC-9-1", "ZC-9-2", "ZC-9-3"]
        assert {a.quantity for a in laptops} == {1} and len({a.token for a in laptops}) == 3
    assert _count(app) == 5  # three laptops and the two identical chairs
    again = _upload(client, _xlsx(rows), "批量.xlsx")
    _run(client, _token(again), batches="split")
    assert _count(app) == 5


def test_creating_places_needs_a_building_or_floor(app, client):
    _setup(app)
    login(client, "head")
    rows = [["", "电脑", "A02010105", "4500", 1, "2020-09-01", "科学室", ""]]
    token = _token(_upload(client, _xlsx(rows), "a.xlsx"))
    with app.app_context():
        room = db.session.scalars(select(Location).where(Location.kind == "room")).first()
    refused = _run(client, token, places_parent=str(room.id))
    assert refused.status_code == 422 and _count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Location.id)).where(Location.name == "科学室")) == 0


# The values, one by one -----------------------------------------------------------------

@pytest.mark.parametrize(("written", "fen"), [
    ("1078元", 107800), ("￥5,514.07", 551407), ("3,500.00", 350000), ("4587.0", 458700), (4587.0, 458700),
    ("¥ 1,078", 107800), ("RMB 99.5", 9950), (33.33333, 3333), (120, 12000), ("", 0), (None, 0)])
def test_prices_as_ledgers_write_them(ctx, written, fen):
    assert importer.ledger_yuan(written) == fen


@pytest.mark.parametrize("written", ["约800", "1.005", "-5", "八百元", "1e400", "nan"])
def test_prices_that_are_refused(ctx, written):
    with pytest.raises(ValueError):
        importer.ledger_yuan(written)


@pytest.mark.parametrize(("written", "day", "month_only"), [
    ("2017.07", date(2017, 7, 1), True), ("2014年8月", date(2014, 8, 1), True), ("2016-9-19", date(2016, 9, 19), False),
    ("2014/08/11", date(2014, 8, 11), False), ("2014年8月11日", date(2014, 8, 11), False),
    ("20140811", date(2014, 8, 11), False), (datetime(2014, 8, 11), date(2014, 8, 11), False),
    (42736, date(2017, 1, 1), False), (2017.07, date(2017, 7, 1), True), ("2015", date(2015, 1, 1), True),
    ("2016-09-19 00:00:00", date(2016, 9, 19), False), ("２０１７．０７", date(2017, 7, 1), True)])
def test_dates_as_ledgers_write_them(ctx, written, day, month_only):
    assert importer.ledger_date(written) == (day, month_only)


@pytest.mark.parametrize("written", ["2017.13", "昨天", "1900-01-01", "2017-02-30", "17.07"])
def test_dates_that_are_refused(ctx, written):
    with pytest.raises(ValueError):
        importer.ledger_date(written)


def test_quantities_and_totals(ctx):
    assert importer.ledger_quantity("45台") == 45 and importer.ledger_quantity(45.0) == 45
    assert importer.ledger_quantity(None) == 1
    for bad in ("0", "4.5", "很多"):
        with pytest.raises(ValueError):
            importer.ledger_quantity(bad)
    assert importer._is_total(["合计", None, 45]) and importer._is_total([None, "本页小计："])
    assert not importer._is_total([7, "小计算器"]) and not importer._is_total(["总计划书"])
