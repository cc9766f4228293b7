"""Issue 12 §4: a role scoped to a department or to a subtree of places reads only what
lies inside it — the repair tickets, their summary and its export; a store's receipts,
shelf sheet, balances, ledger, registers and reports — and a room's public QR card names
nobody while the school's public-label switch is off."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from schoolhq.core import settings
from schoolhq.extensions import db
from schoolhq.people import services as people
from schoolhq.places import services as places
from schoolhq.repairs import services as repairs
from schoolhq.repairs.models import RepairCategory
from schoolhq.stock import counts, requisitions
from schoolhq.stock import services as stock
from tests.conftest import login, make_account
from tests.factories.core import school_years
from tests.factories.repairs import photo
from tests.factories.stock import make_item

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def _building():
    """The campus with one building of two floors and a room on each."""
    campus = places.create_location("campus", "阳光小学")
    building = places.create_location("building", "教学楼", campus.id)
    first = places.create_location("floor", "1楼", building.id)
    second = places.create_location("floor", "2楼", building.id)
    return (campus, first, second, places.create_location("room", "101教室", first.id),
            places.create_location("room", "201教室", second.id))


def _client(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def _sheet(response, index=0) -> list[list]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[index]
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


# Repairs -------------------------------------------------------------------------------

def _category(name):
    from sqlalchemy import select

    return db.session.scalar(select(RepairCategory).where(RepairCategory.name == name))


@pytest.fixture
def tickets(app):
    """One ticket on the first floor; three of the same fault in room 201 (a repeat place),
    one of them fixed this month by 李师傅; the heads: one for the first floor, one for a
    department, one for the school, and a worker for the first floor."""
    with app.test_request_context():
        school_years()
        _campus, first, _second, room1, room2 = _building()
        office = people.create_department("总务处")
        teacher = make_account("teacher", "staff", name="王芳")
        fixer = make_account("fixer", "maintenance", name="李师傅")
        head = make_account("head", "logistics_head", name="王海涛")
        make_account("floorhead", "logistics_head", name="一楼主任", location_id=first.id)
        make_account("floorfixer", "maintenance", name="一楼师傅", location_id=first.id)
        make_account("depthead", "logistics_head", name="处室主任", scope_department_id=office.id)
        lighting, plumbing = _category("电工/照明"), _category("水暖/管道")
        inside = repairs.report(teacher, repairs.Report(location_id=room1.id, category_id=lighting.id,
                                                        priority="normal", description="一楼灯管不亮"))
        outside = [repairs.report(teacher, repairs.Report(location_id=room2.id, category_id=plumbing.id,
                                                          priority="normal", description="二楼水管漏水"))
                   for _n in range(3)]
        repairs.assign(head, outside[0].id, fixer.person_id)
        repairs.start(fixer, outside[0].id)
        repairs.complete(fixer, outside[0].id, repairs.Completion("换了水管接头", "30", "", "", photo()))
        db.session.commit()
        return {"inside": inside.number, "outside": [t.number for t in outside]}


def test_a_scoped_ticket_list_shows_only_the_tickets_in_scope(app, tickets):
    for username in ("floorhead", "floorfixer"):
        page = _client(app, username).get("/repairs/?status=&repeats=1").get_data(as_text=True)
        assert tickets["inside"] in page and "一楼灯管不亮" in page, username
        assert not any(number in page for number in tickets["outside"]), username
        assert "二楼水管漏水" not in page and "201教室" not in page, username
        assert "二楼水管漏水" not in _client(app, username).get("/repairs/").get_data(as_text=True)
    # a department holds no places: a head scoped to one sees no ticket of any place
    page = _client(app, "depthead").get("/repairs/?status=").get_data(as_text=True)
    assert tickets["inside"] not in page and not any(number in page for number in tickets["outside"])
    # the school-wide head still sees every ticket and the repeat place
    page = _client(app, "head").get("/repairs/?status=&repeats=1").get_data(as_text=True)
    assert all(number in page for number in [tickets["inside"], *tickets["outside"]])
    assert "201教室" in page


def test_a_scoped_summary_counts_only_the_tickets_in_scope(app, tickets):
    floor = _client(app, "floorhead")
    by_category = _sheet(floor.get("/repairs/summary?format=xlsx"))
    assert [(row[0], row[1], row[2]) for row in by_category] == [("电工/照明", 1, 0)]
    assert _sheet(floor.get("/repairs/summary?format=xlsx"), 1) == []
    page = floor.get("/repairs/summary").get_data(as_text=True)
    assert "水暖/管道" not in page and "李师傅" not in page and "201教室" not in page
    dept = _client(app, "depthead")
    assert _sheet(dept.get("/repairs/summary?format=xlsx")) == []
    # the school-wide head: all four tickets, the fix and who made it, the repeat place
    head = _client(app, "head")
    rows = {row[0]: (row[1], row[2]) for row in _sheet(head.get("/repairs/summary?format=xlsx"))}
    assert rows == {"水暖/管道": (3, 1), "电工/照明": (1, 0)}
    assert [row[0] for row in _sheet(head.get("/repairs/summary?format=xlsx"), 1)] == ["李师傅"]
    assert "201教室" in head.get("/repairs/summary").get_data(as_text=True)


# Stock ---------------------------------------------------------------------------------

@pytest.fixture
def stores(app):
    """The main store on the second floor and a cupboard on the first, each with its
    receipt; pens in both, paper in the main store alone; issues from both; a count of
    the main store. A keeper scoped to the first floor, one scoped to a department, and
    the school-wide logistics head."""
    with app.test_request_context():
        _campus, first, _second, room1, room2 = _building()
        office = people.create_department("总务处")
        head = make_account("head", "logistics_head", name="王海涛")
        make_account("floorkeeper", "storekeeper", name="钱敏", location_id=first.id)
        make_account("deptkeeper", "storekeeper", name="孙丽", scope_department_id=office.id)
        teacher = make_account("teacher", "staff", name="王芳")
        pupil_helper = make_account("helper", "staff", name="李雷")
        main = stock.save_store("总务仓库", room2.id, None)
        cupboard = stock.save_store("一楼文具柜", room1.id, None)
        pens, paper = make_item("中性笔", "支"), make_item("复印纸", "包", min_level="50")
        main_receipt = stock.receive(main.id, [stock.ReceiptLine(pens.id, "20", "2.00"),
                                               stock.ReceiptLine(paper.id, "40", "25.00")], "得力", "DL-778")
        cupboard_receipt = stock.receive(cupboard.id, [stock.ReceiptLine(pens.id, "5", "3.00")], "晨光", "CG-123")
        requisitions.issue_at_counter(head, main.id, teacher.person_id, [requisitions.CounterLine(pens.id, "2")],
                                      "上课用", on_paper=True)
        requisitions.issue_at_counter(head, cupboard.id, pupil_helper.person_id,
                                      [requisitions.CounterLine(pens.id, "1")], "值日用", on_paper=True)
        count = counts.start(head, main.id)
        db.session.commit()
        return {"main": main.id, "cupboard": cupboard.id, "pens": pens.id, "paper": paper.id, "count": count.id,
                "main_receipt": (main_receipt.id, main_receipt.number),
                "cupboard_receipt": (cupboard_receipt.id, cupboard_receipt.number)}


def test_another_stores_receipt_and_shelf_sheet_are_refused(app, stores):
    keeper = _client(app, "floorkeeper")
    assert keeper.get(f"/stock/receipts/{stores['main_receipt'][0]}").status_code == 403
    assert keeper.get(f"/stock/stores/{stores['main']}/shelf-sheet").status_code == 403
    assert keeper.get(f"/stock/receipts/{stores['cupboard_receipt'][0]}").status_code == 200
    sheet = keeper.get(f"/stock/stores/{stores['cupboard']}/shelf-sheet")
    assert sheet.status_code == 200 and "中性笔" in sheet.get_data(as_text=True)
    # a department holds no store
    other = _client(app, "deptkeeper")
    assert other.get(f"/stock/receipts/{stores['cupboard_receipt'][0]}").status_code == 403
    assert other.get(f"/stock/stores/{stores['cupboard']}/shelf-sheet").status_code == 403
    head = _client(app, "head")
    assert head.get(f"/stock/receipts/{stores['main_receipt'][0]}").status_code == 200
    assert head.get(f"/stock/stores/{stores['main']}/shelf-sheet").status_code == 200


def test_scoped_stock_lists_show_only_the_stores_in_scope(app, stores):
    keeper = _client(app, "floorkeeper")
    receipts = keeper.get("/stock/receipts").get_data(as_text=True)
    assert stores["cupboard_receipt"][1] in receipts and stores["main_receipt"][1] not in receipts
    assert "得力" not in receipts
    assert "总务仓库" not in keeper.get("/stock/stores").get_data(as_text=True)
    listing = keeper.get("/stock/").get_data(as_text=True)
    # what the cupboard holds: 5 pens less the one issued; the paper it never held is not listed
    assert "<strong>4</strong> 支" in listing and "复印纸" not in listing
    assert "总务仓库" not in listing
    item = keeper.get(f"/stock/items/{stores['pens']}").get_data(as_text=True)
    assert "总务仓库" not in item and "王芳" not in item
    ledger = _sheet(keeper.get(f"/stock/items/{stores['pens']}/ledger.xlsx"))
    assert {row[1] for row in ledger} == {"一楼文具柜"} and [row[4] for row in ledger] == [5, 4]
    assert _sheet(keeper.get(f"/stock/items/{stores['paper']}/ledger.xlsx")) == []
    register = keeper.get("/stock/register").get_data(as_text=True)
    assert "李雷" in register and "王芳" not in register
    assert "总务仓库" not in keeper.get("/stock/counts").get_data(as_text=True)
    nothing = _client(app, "deptkeeper")
    assert stores["cupboard_receipt"][1] not in nothing.get("/stock/receipts").get_data(as_text=True)
    assert "一楼文具柜" not in nothing.get("/stock/stores").get_data(as_text=True)
    head = _client(app, "head")
    listing = head.get("/stock/").get_data(as_text=True)
    assert "<strong>22</strong> 支" in listing and "<strong>40</strong> 包" in listing
    assert "王芳" in head.get("/stock/register").get_data(as_text=True)


def test_scoped_stock_reports_add_up_the_stores_in_scope(app, stores):
    keeper = _client(app, "floorkeeper")
    valuation = _sheet(keeper.get("/stock/reports/valuation?format=xlsx"))
    assert [(row[1], row[4], row[6]) for row in valuation] == [("中性笔", 4, 12)]
    consumption = _sheet(keeper.get("/stock/reports/consumption?group=item&format=xlsx"))
    assert [(row[1], row[3]) for row in consumption] == [(1, 3)]
    # paper is below its minimum of 50 in the main store alone: not on the cupboard's list
    assert _sheet(keeper.get("/stock/purchase-list?format=xlsx")) == []
    head = _client(app, "head")
    assert {(row[1], row[4]) for row in _sheet(head.get("/stock/reports/valuation?format=xlsx"))} == \
        {("中性笔", 22), ("复印纸", 40)}
    assert [row[1] for row in _sheet(head.get("/stock/reports/consumption?group=item&format=xlsx"))] == [3]
    assert [row[0] for row in _sheet(head.get("/stock/purchase-list?format=xlsx"))] == ["复印纸"]


# The public card of a QR label ---------------------------------------------------------

def test_the_public_switch_hides_every_name_on_room_and_asset_cards(app, client):
    from tests.factories.assets import loanable_items

    with app.test_request_context():
        assets_, _borrower = loanable_items(n=1)
        asset = assets_[0]
        room = asset.location
        keeper = make_account("keeper", "staff", name="赵管")
        room.responsible_person_id = keeper.person_id
        asset.custodian_id = keeper.person_id
        db.session.commit()
        room_token, asset_token, room_name, asset_name = room.token, asset.token, room.name, asset.name
    shown = client.get(f"/t/{room_token}").get_data(as_text=True)
    assert room_name in shown and "赵管" in shown
    assert asset_name in client.get(f"/t/{asset_token}").get_data(as_text=True)
    with app.app_context():
        settings.update({"assets.public_label_info": False})
        db.session.commit()
    for token in (room_token, asset_token):
        response = client.get(f"/t/{token}")
        assert response.status_code == 200 and "赵管" not in response.get_data(as_text=True), token
    assert room_name in client.get(f"/t/{room_token}").get_data(as_text=True)
    assert asset_name not in client.get(f"/t/{asset_token}").get_data(as_text=True)
