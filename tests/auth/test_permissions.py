"""Central and tiered permissions: roles bundle permissions, assignments may be scoped."""

from __future__ import annotations

from sqlalchemy import select

from schoolhq.auth import services as auth
from schoolhq.auth.models import Account
from schoolhq.core.permissions import can
from schoolhq.extensions import db
from schoolhq.places import services as places
from schoolhq.places.models import Location
from tests.conftest import login, make_account


def _school():
    campus = places.create_location("campus", "阳光小学")
    building = places.create_location("building", "教学楼", campus.id)
    floor2 = places.create_location("floor", "2楼", building.id)
    floor3 = places.create_location("floor", "3楼", building.id)
    room2 = places.create_location("room", "201教室", floor2.id)
    room3 = places.create_location("room", "301教室", floor3.id)
    db.session.commit()
    return {k: v.id for k, v in dict(campus=campus, building=building, floor2=floor2, floor3=floor3,
                                      room2=room2, room3=room3).items()}


def test_admin_creates_a_staff_member_with_a_role_scoped_to_one_floor(app, admin_client):
    """The issue's 'done when': that person can act on that floor only."""
    with app.test_request_context():
        ids = _school()
        role_id = next(r.id for r in auth.roles() if r.code == "logistics_head")
    created = admin_client.post("/auth/accounts/new", data={
        "person_id": "", "name": "张年级", "department_id": "", "job_title": "三年级组长",
        "phone": "", "username": "zhang3", "password": "grade-three-1"})
    assert created.status_code == 303
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.username == "zhang3"))
        account_id = account.id
    assigned = admin_client.post(f"/auth/accounts/{account_id}/roles",
                                 data={"role_id": str(role_id), "scope": f"l{ids['floor3']}"})
    assert assigned.status_code == 200
    assert "3楼" in assigned.get_data(as_text=True)

    grade = app.test_client()
    assert login(grade, "zhang3", "grade-three-1").status_code == 303
    # On the third floor: rename a room, add a room.
    ok = grade.post(f"/places/{ids['room3']}/edit", data={"name": "301科学教室", "code": "A301",
                                                         "responsible_person_id": "", "sort_order": "0"})
    assert ok.status_code == 303
    assert grade.post(f"/places/new?parent={ids['floor3']}", data={
        "kind": "room", "name": "302教室", "code": "", "responsible_person_id": "", "sort_order": "0"}).status_code == 303
    # Elsewhere: refused, and nothing changed.
    assert grade.get(f"/places/{ids['room2']}/edit").status_code == 403
    assert grade.post(f"/places/{ids['room2']}/edit", data={"name": "被改了", "code": "",
                                                           "responsible_person_id": "", "sort_order": "0"}).status_code == 403
    assert grade.post(f"/places/new?parent={ids['floor2']}", data={
        "kind": "room", "name": "202教室", "code": "", "responsible_person_id": "", "sort_order": "0"}).status_code == 403
    assert grade.post("/places/new", data={"kind": "campus", "name": "分校", "code": "",
                                           "responsible_person_id": "", "sort_order": "0"}).status_code == 403
    # Moving a room of the third floor onto the second floor needs the second floor too.
    assert grade.post(f"/places/{ids['room3']}/move", data={"parent_id": str(ids["floor2"])}).status_code == 403
    with app.app_context():
        assert db.session.get(Location, ids["room2"]).name == "201教室"
        assert db.session.get(Location, ids["room3"]).name == "301科学教室"
        assert db.session.get(Location, ids["room3"]).parent_id == ids["floor3"]
        names = set(db.session.scalars(select(Location.name)))
        assert "302教室" in names and "202教室" not in names and "分校" not in names


def test_can_answers_for_scope(app):
    with app.test_request_context():
        ids = _school()
        scoped = make_account("scoped", "logistics_head", location_id=ids["floor3"])
        wide = make_account("wide", "logistics_head")
        plain = make_account("plain", "staff")
        room2, room3 = db.session.get(Location, ids["room2"]), db.session.get(Location, ids["room3"])
        floor3 = db.session.get(Location, ids["floor3"])
        assert can(scoped, "places.manage")  # somewhere: shows the menu
        assert can(scoped, "places.manage", room3) and can(scoped, "places.manage", floor3)
        assert not can(scoped, "places.manage", room2)
        assert can(wide, "places.manage", room2)
        assert not can(plain, "places.manage") and can(plain, "places.view", room2)


def test_removing_a_permission_from_a_role_takes_effect_and_survives_a_sync(app, admin_client):
    with app.test_request_context():
        ids = _school()
        make_account("keeper", "logistics_head")
        role = next(r for r in auth.roles() if r.code == "logistics_head")
        role_id, kept = role.id, sorted(role.permission_names - {"places.manage"})
    assert admin_client.post(f"/auth/roles/{role_id}", data={"name": "后勤主任", "permissions": kept}).status_code == 303
    keeper = app.test_client()
    login(keeper, "keeper")
    assert keeper.get(f"/places/{ids['room2']}/edit").status_code == 403
    with app.app_context():
        auth.sync_builtin_roles()
        db.session.commit()
        assert "places.manage" not in auth.get_role(role_id).permission_names


def test_unknown_permission_and_bad_role_codes_are_refused(app, admin_client):
    with app.app_context():
        role_id = next(r.id for r in auth.roles() if r.code == "staff")
    bad = admin_client.post(f"/auth/roles/{role_id}", data={"name": "教职工", "permissions": ["nuclear.launch"]})
    assert bad.status_code == 422
    assert admin_client.post("/auth/roles", data={"code": "年级组长", "name": "年级组长"}).status_code == 422
    assert admin_client.post("/auth/roles", data={"code": "grade_leader", "name": "年级组长"}).status_code == 303
    assert admin_client.post("/auth/roles", data={"code": "grade_leader", "name": "again"}).status_code == 422


def test_only_administrators_manage_accounts(app, client):
    with app.app_context():
        make_account("teacher", "staff")
    login(client, "teacher")
    assert client.get("/auth/accounts").status_code == 403
    assert client.post("/auth/accounts/new", data={"name": "x", "username": "x", "password": "12345678"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Account).where(Account.username == "x")) is None


def test_an_admin_cannot_lock_themself_out(app, admin_client):
    with app.app_context():
        me = db.session.scalar(select(Account).where(Account.username == "admin"))
        me_id = me.id
        assignment_id = auth.assignments_of(me_id)[0].id
    assert admin_client.post(f"/auth/accounts/{me_id}/active", data={"active": "0"}).status_code == 422
    assert admin_client.post(f"/auth/accounts/{me_id}/roles/{assignment_id}/remove").status_code == 422
    with app.app_context():
        assert db.session.get(Account, me_id).active
        assert len(auth.assignments_of(me_id)) == 1


def test_duplicate_and_double_scoped_assignments_are_refused(app, admin_client):
    with app.test_request_context():
        ids = _school()
        account = make_account("someone", "staff")
        staff_role = next(r.id for r in auth.roles() if r.code == "staff")
        account_id = account.id
    again = admin_client.post(f"/auth/accounts/{account_id}/roles", data={"role_id": str(staff_role), "scope": ""})
    assert again.status_code == 422
    nowhere = admin_client.post(f"/auth/accounts/{account_id}/roles", data={"role_id": str(staff_role), "scope": "l99999"})
    assert nowhere.status_code == 422
    with app.app_context():
        assert len(auth.assignments_of(account_id)) == 1
    assert ids
