"""Departments, staff profiles, pinyin search and responsibility areas."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from schoolhq.core.errors import ServiceError
from schoolhq.extensions import db
from schoolhq.people import services as people
from schoolhq.people.models import Person
from schoolhq.places import services as places
from tests.conftest import login, make_account


def test_pinyin_and_initials(ctx):
    assert people.pinyin_of("王芳") == ("wangfang", "wf")
    assert people.pinyin_of("欧阳Li 2") == ("ouyangli2", "oyl2")


def test_people_are_found_by_name_pinyin_or_initials(ctx):
    office = people.create_department("总务处")
    people.create_person("王芳", office.id, "干事")
    people.create_person("汪峰", None, "教师")
    people.create_person("李静", None, "教师")
    found = lambda text: sorted(p.name for p in people.search_people(text))  # noqa: E731
    assert found("wf") == ["汪峰", "王芳"]
    assert found("王") == ["王芳"]
    assert found("lij") == ["李静"]
    assert found("WANG") == ["汪峰", "王芳"]
    assert [p.name for p in people.search_people("", office.id)] == ["王芳"]


def test_search_is_blind_to_case_and_takes_percent_signs_literally(ctx):
    people.create_person("Anna Li", None, "IT")
    people.create_person("张伟", None, "100% 体育")
    found = lambda text: [p.name for p in people.search_people(text)]  # noqa: E731
    assert found("anna") == ["Anna Li"] and found("it") == ["Anna Li"]
    assert found("%") == ["张伟"] and found("_") == []


def test_a_person_renamed_or_left_shows_in_the_next_search(app, client):
    """The directory each process holds is replaced the moment anyone changes."""
    with app.app_context():
        make_account("clerk", "admin")
        person = people.create_person("王芳", None, "干事")
        db.session.commit()
        person_id = person.id
    assert login(client, "clerk").status_code == 303
    assert "王芳" in client.get("/people/?q=wf", headers={"HX-Request": "true"}).get_data(as_text=True)
    with app.app_context():
        people.update_person(person_id, "汪峰", None, "干事", "")
        db.session.commit()
    rows = client.get("/people/?q=wf", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "汪峰" in rows and "王芳" not in rows
    assert client.get("/people/pick?q=wangf").get_data(as_text=True).count("汪峰") == 1


def test_department_tree_and_head(ctx):
    office = people.create_department("总务处")
    canteen = people.create_department("食堂", office.id)
    head = people.create_person("陈红梅", canteen.id)
    people.update_department(canteen.id, "食堂", head.id)
    assert canteen.path == f"/{office.id}/{canteen.id}/"
    assert [d.name for d in people.departments()] == ["总务处", "食堂"]
    with pytest.raises(ServiceError):
        people.create_department("食堂", office.id)
    with pytest.raises(ServiceError):
        people.create_department("新部门", 99999)


def test_badge_codes_are_unique(ctx):
    people.create_person("甲", badge_code="B001")
    with pytest.raises(ServiceError):
        people.create_person("乙", badge_code="B001")


def test_responsibilities_show_on_the_profile_and_on_the_room(app, client):
    with app.test_request_context():
        campus = places.create_location("campus", "阳光小学")
        building = places.create_location("building", "食堂楼", campus.id)
        floor = places.create_location("floor", "1楼", building.id)
        kitchen = places.create_location("room", "操作间", floor.id)
        head = make_account("head", "logistics_head", name="王海涛")
        db.session.commit()
        person_id, building_id, kitchen_id = head.person_id, building.id, kitchen.id
    login(client, "head")
    added = client.post(f"/people/{person_id}/responsibilities", data={
        "title": "食品安全第一责任人", "location_id": str(building_id), "description": ""},
        headers={"HX-Request": "true"})
    assert added.status_code == 200
    assert added.get_data(as_text=True).lstrip().startswith('<section class="card" id="responsibilities">')
    assert "食品安全第一责任人" in client.get(f"/people/{person_id}").get_data(as_text=True)
    # The room inside the building shows the building's responsibility area.
    assert "食品安全第一责任人" in client.get(f"/places/{kitchen_id}").get_data(as_text=True)
    empty = client.post(f"/people/{person_id}/responsibilities", data={"title": " ", "location_id": ""},
                        headers={"HX-Request": "true"})
    assert empty.status_code == 422


def test_people_pages_and_bad_input(app, client):
    with app.test_request_context():
        make_account("head", "logistics_head", name="王海涛")
        count = db.session.scalar(select(func.count(Person.id)))
    login(client, "head")
    listing = client.get("/people/?q=whT")
    assert "王海涛" in listing.get_data(as_text=True)
    fragment = client.get("/people/?q=wht", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="people-rows">')
    assert "HX-Request" in fragment.headers["Vary"]
    assert client.post("/people/new", data={"name": "", "department_id": ""}).status_code == 422
    assert client.post("/people/new", data={"name": "x" * 61, "department_id": ""}).status_code == 422
    assert client.post("/people/new", data={"name": "新人", "department_id": "424242"}).status_code == 422
    assert client.get("/people/424242").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id))) == count
    assert client.post("/people/new", data={"name": "新人", "department_id": "", "job_title": "保安"}).status_code == 303


def test_a_department_scoped_manager_edits_only_their_department(app, client):
    with app.test_request_context():
        office = people.create_department("总务处")
        teaching = people.create_department("教务处")
        mine = people.create_person("总务甲", office.id)
        other = people.create_person("教务乙", teaching.id)
        make_account("deptmgr", "logistics_head", department_id=office.id, scope_department_id=office.id)
        ids = (mine.id, other.id, office.id, teaching.id)
        db.session.commit()
    login(client, "deptmgr")
    mine_id, other_id, office_id, teaching_id = ids
    ok = client.post(f"/people/{mine_id}/edit", data={"name": "总务甲", "department_id": str(office_id),
                                                      "job_title": "干事", "phone": ""})
    assert ok.status_code == 303
    assert client.post(f"/people/{other_id}/edit", data={"name": "改", "department_id": str(teaching_id)}).status_code == 403
    # nor move their own person out into a department they do not manage
    assert client.post(f"/people/{mine_id}/edit", data={"name": "总务甲", "department_id": str(teaching_id)}).status_code == 403
    with app.app_context():
        assert db.session.get(Person, other_id).name == "教务乙"
        assert db.session.get(Person, mine_id).department_id == office_id


def test_surnames_read_as_surnames(ctx):
    assert people.pinyin_of("曾国强") == ("zengguoqiang", "zgq")
    assert people.pinyin_of("单雪") == ("shanxue", "sx")
    assert people.pinyin_of("长孙无忌")[1] == "zswj"
