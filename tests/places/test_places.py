"""The location tree: levels, names, moves that rewrite paths, archiving, labels."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from schoolhq.core.errors import ServiceError
from schoolhq.core.models import AuditEntry
from schoolhq.extensions import db
from schoolhq.places import services as places
from schoolhq.places.models import Location
from tests.conftest import login, make_account


def _tree():
    campus = places.create_location("campus", "阳光小学")
    a = places.create_location("building", "教学楼", campus.id, "A")
    b = places.create_location("building", "综合楼", campus.id, "B")
    a1 = places.create_location("floor", "1楼", a.id)
    room = places.create_location("room", "101教室", a1.id)
    return campus, a, b, a1, room


def test_paths_and_full_names_follow_the_tree(ctx):
    campus, a, _b, a1, room = _tree()
    assert room.path == f"/{campus.id}/{a.id}/{a1.id}/{room.id}/"
    assert room.full_name == "阳光小学 / 教学楼 / 1楼 / 101教室"
    assert [p.id for p in places.ancestors(room)] == [campus.id, a.id, a1.id]
    assert len(room.token) == 8 and room.token != a1.token


@pytest.mark.parametrize("kind,parent", [("room", None), ("building", "room"), ("floor", "floor"), ("spaceship", "campus")])
def test_levels_are_enforced(ctx, kind, parent):
    campus, _a, _b, a1, room = _tree()
    parent_id = {"room": room.id, "floor": a1.id, "campus": campus.id, None: None}[parent]
    before = db.session.scalar(select(func.count(Location.id)))
    with pytest.raises(ServiceError):
        places.create_location(kind, "新地方", parent_id)
    assert db.session.scalar(select(func.count(Location.id))) == before


def test_names_must_be_present_and_unique_among_siblings(ctx):
    _campus, _a, _b, a1, _room = _tree()
    with pytest.raises(ServiceError):
        places.create_location("room", "   ", a1.id)
    with pytest.raises(ServiceError):
        places.create_location("room", "101教室", a1.id)
    with pytest.raises(ServiceError):
        places.create_location("room", "x" * 81, a1.id)


def test_renaming_rewrites_the_names_below(ctx):
    _campus, a, _b, a1, room = _tree()
    places.update_location(a.id, "一号教学楼", "A", None)
    db.session.refresh(room)
    assert room.full_name == "阳光小学 / 一号教学楼 / 1楼 / 101教室"
    assert a1.full_name == "阳光小学 / 一号教学楼 / 1楼"


def test_moving_a_floor_moves_its_rooms_and_never_into_itself(ctx):
    campus, a, b, a1, room = _tree()
    places.move_location(a1.id, b.id)
    db.session.refresh(room)
    assert room.path == f"/{campus.id}/{b.id}/{a1.id}/{room.id}/"
    assert room.full_name.startswith("阳光小学 / 综合楼 / 1楼")
    with pytest.raises(ServiceError):
        places.move_location(b.id, a1.id)  # a building cannot go inside its own floor
    with pytest.raises(ServiceError):
        places.move_location(a1.id, room.id)
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "location.moved")) == 1


def test_archiving_keeps_history_and_hides_the_subtree(ctx):
    _campus, a, _b, a1, room = _tree()
    places.archive_location(a.id)
    assert db.session.get(Location, room.id).archived_at is not None
    assert all(loc.id not in (a.id, a1.id, room.id) for loc in places.tree())
    with pytest.raises(ServiceError):
        places.create_location("room", "102教室", a1.id)


def test_every_write_is_audited_with_before_and_after(ctx):
    _campus, a, _b, _a1, _room = _tree()
    places.update_location(a.id, "A楼", "A", None)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "location.updated"))
    assert entry.before["name"] == "教学楼" and entry.after["name"] == "A楼"
    assert entry.area == "places" and entry.record_id == a.id


def test_bad_form_input_answers_422_and_writes_nothing(app, client):
    with app.test_request_context():
        _campus, _a, _b, a1, _room = _tree()
        db.session.commit()
        make_account("head", "logistics_head")
        a1_id = a1.id
        count = db.session.scalar(select(func.count(Location.id)))
    login(client, "head")
    for data in ({"kind": "room", "name": "", "sort_order": "0"},
                 {"kind": "room", "name": "101教室", "sort_order": "0"},
                 {"kind": "room", "name": "ok", "sort_order": "abc"},
                 {"kind": "campus", "name": "ok", "sort_order": "0"},
                 {"kind": "room", "name": "ok", "sort_order": "0", "responsible_person_id": "999999"}):
        response = client.post(f"/places/new?parent={a1_id}", data={"code": "", "responsible_person_id": "", **data})
        assert response.status_code == 422, data
    assert client.get("/places/999999").status_code == 404
    assert client.post("/places/999999/archive").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(Location.id))) == count


def test_room_labels_and_the_public_label_page(app, client):
    with app.test_request_context():
        _tree()
        room = db.session.scalar(select(Location).where(Location.kind == "room"))
        responsible = make_account("keeper", "staff", name="赵管")
        room.responsible_person_id = responsible.person_id
        db.session.commit()
        token, room_id = room.token, room.id
    public = client.get(f"/t/{token}")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert "101教室" in html and "赵管" in html
    assert "/auth/login" in html and "编辑" not in html
    assert client.get("/t/nonsense").status_code == 404
    login(client, "keeper")
    assert client.get(f"/t/{token}").headers["Location"].endswith(f"/places/{room_id}")
    sheet = client.get("/places/labels")
    assert sheet.status_code == 200
    text = sheet.get_data(as_text=True)
    assert text.count("<svg") == 1 and f"/t/{token}" not in text  # the URL is in the QR, not printed
    detail = client.get(f"/places/{room_id}").get_data(as_text=True)
    assert f"http://school.test/t/{token}" in detail
