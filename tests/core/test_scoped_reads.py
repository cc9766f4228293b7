"""Issue 12 §4: a role scoped to a department or to a subtree of places reads only what
lies inside it — the repair tickets, their summary and its export."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from schoolhq.extensions import db
from schoolhq.people import services as people
from schoolhq.places import services as places
from schoolhq.repairs import services as repairs
from schoolhq.repairs.models import RepairCategory
from tests.conftest import login, make_account
from tests.factories.core import school_years
from tests.factories.repairs import photo

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
