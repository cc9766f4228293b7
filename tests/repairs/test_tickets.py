"""Repair tickets: the flow and its refusals, the school-hours clock (a holiday and a
hold in the middle), verification by the reporter alone, dedupe for failed checks,
repeats, the damaged-return hook, and the pages."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError
from werkzeug.datastructures import FileStorage

from schoolhq.assets import loans
from schoolhq.core import calendar, workhours
from schoolhq.core.errors import ServiceError
from schoolhq.extensions import db
from schoolhq.repairs import services
from schoolhq.repairs.models import RepairCategory, Ticket, TicketEvent
from tests.conftest import login, make_account
from tests.factories.repairs import photo, school

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def _category(name="电工/照明"):
    return db.session.scalar(select(RepairCategory).where(RepairCategory.name == name))


def _report(account, room, priority="normal", description="灯管不亮", **extra):
    return services.report(account, services.Report(location_id=room.id, category_id=_category().id,
                                                    priority=priority, description=description, **extra))


def at(monkeypatch, text_utc: str):
    """Stop the service's clock at a UTC moment."""
    moment = datetime.fromisoformat(text_utc)
    monkeypatch.setattr(services, "utcnow", lambda: moment)
    return moment


@pytest.mark.clock("2026-11-30 16:30")
def test_the_clock_counts_school_hours_skips_a_holiday_and_stops_while_on_hold(ctx, monkeypatch):
    room, teacher, worker, head = school()
    calendar.set_day(date(2026, 12, 1), "holiday", "校庆")
    # Monday 30 Nov 16:30 in Shanghai; 24 school hours of 07:30–17:30: 1 h on Monday, the
    # Tuesday holiday, 10 + 10 on Wednesday and Thursday, 3 h on Friday → Friday 10:30.
    at(monkeypatch, "2026-11-30 08:30")
    ticket = _report(teacher, room, "high")
    assert ticket.due_at == datetime(2026, 12, 4, 2, 30)
    services.assign(head, ticket.id, worker.person_id)
    services.start(worker, ticket.id)
    # on hold on Wednesday at 12:30: 6 hours used, 18 left, the clock stops
    at(monkeypatch, "2026-12-02 04:30")
    services.hold(worker, ticket.id, "等配件")
    assert ticket.held_minutes_left == 18 * 60
    # resumed the next Monday at 07:30: 10 h that day and 8 on Tuesday → Tuesday 15:30
    at(monkeypatch, "2026-12-06 23:30")
    services.resume(worker, ticket.id)
    assert ticket.due_at == datetime(2026, 12, 8, 7, 30) and ticket.status == "in_progress"
    assert workhours.working_minutes_between(datetime(2026, 11, 30, 8, 30), datetime(2026, 12, 2, 4, 30)) == 360


def test_holiday_priority_has_no_due_time(ctx):
    room, teacher, _worker, _head = school()
    assert _report(teacher, room, "holiday").due_at is None


def test_the_whole_flow_and_its_refusals(ctx):
    room, teacher, worker, head = school()
    ticket = _report(teacher, room)
    assert ticket.status == "pending" and ticket.number.startswith("BX")
    with pytest.raises(ServiceError, match="logistics office"):
        services.assign(worker, ticket.id, worker.person_id)
    with pytest.raises(ServiceError, match="responsible worker"):
        services.assign(head, ticket.id, None)
    with pytest.raises(ServiceError, match="cannot be started"):
        services.start(head, ticket.id)
    services.assign(head, ticket.id, worker.person_id, contractor="")
    with pytest.raises(ServiceError, match="Only the assigned worker"):
        services.start(teacher, ticket.id)
    services.start(worker, ticket.id)
    with pytest.raises(ServiceError, match="why"):
        services.hold(worker, ticket.id, "  ")
    bad = [services.Completion("", "30", after_photo=photo()), services.Completion("换灯管", "half", after_photo=photo()),
           services.Completion("换灯管", "30")]
    for data in bad:
        with pytest.raises(ServiceError):
            services.complete(worker, ticket.id, data)
    services.complete(worker, ticket.id, services.Completion("换灯管", "30", "T8灯管1支", "12.5", photo()))
    assert ticket.status == "completed" and ticket.outside_cost_fen == 1250 and ticket.after_photo_id
    # completed → assigned is not a step of the flow
    with pytest.raises(ServiceError, match="cannot be assigned"):
        services.assign(head, ticket.id, worker.person_id)
    with pytest.raises(ServiceError, match="Only the person who reported"):
        services.verify(head, ticket.id, 3)
    with pytest.raises(ServiceError, match="not right"):
        services.verify(teacher, ticket.id, 1)
    with pytest.raises(ServiceError, match="1 to 3"):
        services.verify(teacher, ticket.id, 5)
    services.verify(teacher, ticket.id, 1, "又闪了")
    assert ticket.status == "verified" and ticket.rating == 1 and ticket.verified_by_id == teacher.id
    kinds = [e.kind for e in services.timeline(ticket.id)]
    assert kinds == ["reported", "assigned", "started", "completed", "verified"]


def test_a_ticket_needs_a_place_and_sensible_input(ctx):
    room, teacher, _worker, _head = school()
    cases = [
        (services.Report(None, _category().id, "normal", "灯不亮"), "place"),
        (services.Report(room.id, None, "normal", "灯不亮"), "kind of repair"),
        (services.Report(room.id, _category().id, "whenever", "灯不亮"), "urgent"),
        (services.Report(room.id, _category().id, "normal", " "), "Describe"),
        (services.Report(room.id, _category().id, "normal", "灯不亮", photos=[FileStorage(io.BytesIO(b"not an image"),
                                                                                       filename="x.jpg")]),
         "not an image"),
    ]
    for data, message in cases:
        with pytest.raises(ServiceError, match=message):
            with db.session.begin_nested():
                services.report(teacher, data)
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    # the database itself refuses an assigned ticket with nobody responsible
    ticket = _report(teacher, room)
    with pytest.raises(DatabaseError):
        with db.session.begin_nested():
            db.session.execute(text("UPDATE ticket SET status = 'assigned' WHERE id = :id"), {"id": ticket.id})


def test_reporting_is_rate_limited(ctx):
    room, teacher, _worker, _head = school()
    from schoolhq.core import settings

    settings.update({"repairs.reports_per_hour": 2})
    _report(teacher, room)
    _report(teacher, room)
    with pytest.raises(ServiceError, match="last hour"):
        _report(teacher, room)


def test_the_timeline_is_append_only(ctx):
    room, teacher, _worker, _head = school()
    _report(teacher, room)
    with pytest.raises(DatabaseError):
        with db.session.begin_nested():
            db.session.execute(text("DELETE FROM ticket_event"))
    assert db.session.scalar(select(func.count(TicketEvent.id))) == 1


def test_a_failed_check_item_adds_an_occurrence_instead_of_a_second_ticket(ctx):
    room, _teacher, _worker, _head = school()
    data = services.Report(room.id, _category().id, "high", "冷藏柜温度 9℃，超出 0–8℃")
    first, created = services.open_or_add_occurrence("check-item:17", data)
    again, created_again = services.open_or_add_occurrence("check-item:17", data)
    assert created and not created_again and again.id == first.id and first.occurrences == 2
    other, created_other = services.open_or_add_occurrence("check-item:18", data)
    assert created_other and other.id != first.id
    assert first.reported_by_id is None


def test_the_same_place_and_category_three_times_in_90_days_is_flagged(ctx):
    room, teacher, _worker, head = school()
    for _ in range(2):
        _report(teacher, room)
    assert services.repeat_places() == []
    _report(head, room)
    assert [(place.id, count) for place, _category, count in services.repeat_places()] == [(room.id, 3)]


def test_an_asset_goes_under_repair_and_comes_back(ctx):
    room, teacher, worker, head = school()
    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory

    category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02020000"))
    projector = assets.register_asset({"name": "投影仪", "category_id": category.id, "unit_price_fen": 420000},
                                      room.id, status="in_use")
    ticket = _report(teacher, room, asset_id=projector.id, set_under_repair=True)
    assert projector.status == "under_repair"
    services.assign(head, ticket.id, worker.person_id)
    services.complete(worker, ticket.id, services.Completion("换灯泡", "20", after_photo=photo()))
    assert projector.status == "in_use"


@pytest.mark.clock("2026-11-10 10:00")  # completed on 2 November
def test_auto_verification_after_the_waiting_school_days(ctx, monkeypatch):
    room, teacher, worker, head = school()
    ticket = _report(teacher, room)
    services.assign(head, ticket.id, worker.person_id)
    at(monkeypatch, "2026-11-02 02:00")
    services.complete(worker, ticket.id, services.Completion("修好", "10", after_photo=photo()))
    monkeypatch.undo()
    assert services.auto_verify() == 1 and ticket.status == "verified" and ticket.verified_by_id is None
    assert services.auto_verify() == 0


def test_auto_verification_waits_while_the_calendar_has_no_terms(ctx):
    """A new school without terms: the scheduler's minute must not walk back to year 1
    (it did, and failed with OverflowError every minute)."""
    assert services.auto_verify() == 0


def test_the_report_page_and_the_pages_each_person_sees(app, client):
    with app.app_context():
        room, _teacher, worker, head = school()
        db.session.commit()
        room_id, worker_person = room.id, worker.person_id
    login(client, "teacher")
    page = client.get(f"/repairs/report?location={room_id}").get_data(as_text=True)
    assert re.search(rf'<option (selected value="{room_id}"|value="{room_id}" selected)', page)
    response = client.post("/repairs/report", data={"location_id": "", "category_id": "", "description": "灯不亮"})
    assert response.status_code == 422 and "choose the place" in response.get_data(as_text=True)
    with app.app_context():
        category_id = _category().id
    response = client.post("/repairs/report", data={"location_id": room_id, "category_id": category_id,
                                                    "priority": "normal", "description": "灯不亮",
                                                    "photos": (photo("before.jpg").stream, "before.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    ticket_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/repairs/{ticket_id}/assign", data={"assignee_id": worker_person}).status_code == 422
    assert client.get("/repairs/").status_code == 403
    client.post("/auth/logout")
    login(client, "repair")
    assert client.get(f"/repairs/{ticket_id}").status_code == 403  # not assigned to them yet
    client.post("/auth/logout")
    login(client, "logistics")
    assert client.post(f"/repairs/{ticket_id}/assign", data={"assignee_id": worker_person}).status_code == 303
    assert client.post(f"/repairs/{ticket_id}/fly").status_code == 404
    client.post("/auth/logout")
    login(client, "repair")
    assert "301教室" in client.get("/repairs/queue").get_data(as_text=True)
    assert client.post(f"/repairs/{ticket_id}/start", data={"back": "queue"}).status_code == 303
    response = client.post(f"/repairs/{ticket_id}/complete", data={"work_done": "换灯管", "labour_minutes": "30"})
    assert response.status_code == 422 and "photo" in response.get_data(as_text=True)
    assert client.get(f"/repairs/{ticket_id}/sheet").status_code == 200


def test_a_damaged_return_opens_a_ticket_for_the_item(ctx):
    from datetime import timedelta

    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory, AssetKind
    from schoolhq.core.timeutil import utcnow
    from tests.factories.assets import signature

    room, teacher, _worker, _head = school()
    laptop = db.session.scalar(select(AssetKind).where(AssetKind.key == "laptop"))
    category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010108"))
    item = assets.register_asset({"name": "笔记本电脑", "category_id": category.id, "kind_id": laptop.id,
                                  "unit_price_fen": 520000, "loanable": True}, room.id, status="in_storage")
    loans.checkout([item.id], teacher.person_id, utcnow() + timedelta(days=1), "完好", signature())
    loans.checkin(item.id, "屏幕裂了", damaged=True)
    ticket = db.session.scalar(select(Ticket).where(Ticket.asset_id == item.id))
    assert ticket is not None and "屏幕裂了" in ticket.description and ticket.location_id == room.id
    assert item.status == "under_repair" and ticket.asset_status_before == "in_storage"


def test_the_asset_page_lists_its_repairs_and_cost_of_ownership(app, client):
    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory

    with app.test_request_context():
        room, teacher, worker, head = school()
        make_account("keeper", "storekeeper", name="赵敏")
        category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02020000"))
        projector = assets.register_asset({"name": "投影仪", "category_id": category.id, "unit_price_fen": 420000},
                                          room.id, status="in_use")
        ticket = _report(teacher, room, asset_id=projector.id, set_under_repair=True)
        services.assign(head, ticket.id, worker.person_id)
        services.complete(worker, ticket.id, services.Completion("换灯泡", "20", "", "350", photo()))
        db.session.commit()
        asset_id, number = projector.id, ticket.number
    login(client, "keeper")
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert number in page and "¥4,550.00" in page


def test_spare_parts_leave_the_store_on_the_stock_ledger(ctx):
    from schoolhq.stock import services as stock
    from tests.factories.stock import make_item, make_store, receive

    room, teacher, worker, head = school()
    store = make_store()
    tubes = make_item("LED灯管", "支")
    receive(store, tubes, "5", "22")
    ticket = _report(teacher, room)
    services.assign(head, ticket.id, worker.person_id)
    with pytest.raises(ServiceError, match="Only 5"):
        with db.session.begin_nested():
            services.complete(worker, ticket.id, services.Completion("换灯管", "30", after_photo=photo(),
                                                                     parts=[(tubes.id, "9")], store_id=store.id))
    assert stock.on_hand(tubes.id) == 5000 and ticket.status == "assigned"
    services.complete(worker, ticket.id, services.Completion("换灯管", "30", after_photo=photo(),
                                                             parts=[(tubes.id, "2")], store_id=store.id))
    assert stock.on_hand(tubes.id) == 3000 and ticket.parts_cost_fen == 4400
    assert "LED灯管" in ticket.parts_used and ticket.parts_requisition_id


def test_the_monthly_summary_counts_on_time_and_by_worker(app, client):
    from schoolhq.core.timeutil import local_today
    from schoolhq.repairs.reports import month_summary

    with app.test_request_context():
        room, teacher, worker, head = school()
        for n in range(2):
            ticket = _report(teacher, room, "holiday" if n else "normal")
            services.assign(head, ticket.id, worker.person_id)
            services.complete(worker, ticket.id, services.Completion("修好", "30", after_photo=photo()))
            services.verify(teacher, ticket.id, 3 - n)
        _report(teacher, room)
        db.session.commit()
        report = month_summary(local_today())
        assert (report.total.opened, report.total.closed, report.total.with_target, report.total.on_time) == (3, 2, 1, 1)
        assert [(line.name, line.closed, line.labour_minutes) for line in report.by_worker] == [("孙师傅", 2, 60)]
        assert report.mean_rating == 2.5
    login(client, "logistics")
    page = client.get("/repairs/summary").get_data(as_text=True)
    assert "孙师傅" in page and "100%" in page
    assert client.get("/repairs/summary?month=9999-99").status_code == 200
    assert client.get("/repairs/summary?format=xlsx").data[:2] == b"PK"
    client.post("/auth/logout")
    login(client, "teacher")
    assert client.get("/repairs/summary").status_code == 403


def test_one_tap_in_the_queue_answers_the_row(app, client):
    with app.test_request_context():
        room, teacher, worker, head = school()
        ticket = _report(teacher, room)
        services.assign(head, ticket.id, worker.person_id)
        db.session.commit()
        ticket_id = ticket.id
    login(client, "repair")
    response = client.post(f"/repairs/{ticket_id}/start", data={"back": "queue"}, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith(f'<li id="queue-{ticket_id}"') and len(response.data) < 5000
    assert "status-in_progress" in body
    again = client.post(f"/repairs/{ticket_id}/start", data={"back": "queue"}, headers={"HX-Request": "true"})
    assert again.status_code == 422 and again.headers.get("HX-Reswap") == "none" and again.headers.get("X-Message")


def test_the_school_sets_its_categories_and_target_times(app, client):
    with app.test_request_context():
        school()
        db.session.commit()
    login(client, "logistics")
    assert client.post("/repairs/settings", data={"priority": "normal", "hours": "48"}).status_code == 303
    bad = client.post("/repairs/settings", data={"priority": "normal", "hours": "soon"})
    assert bad.status_code == 422 and "whole school hours" in bad.get_data(as_text=True)
    assert client.post("/repairs/settings", data={"name": "绿化"}).status_code == 303
    assert client.post("/repairs/settings", data={"name": "绿化"}).status_code == 422
    with app.test_request_context():
        from schoolhq.repairs.models import RepairPriority

        assert db.session.get(RepairPriority, "normal").target_hours == 48
        assert db.session.scalar(select(func.count(RepairCategory.id)).where(RepairCategory.name == "绿化")) == 1
    client.post("/auth/logout")
    login(client, "teacher")
    assert client.post("/repairs/settings", data={"name": "x"}).status_code == 403


def test_the_room_page_shows_its_repairs_to_the_logistics_office(app, client):
    with app.test_request_context():
        room, teacher, _worker, _head = school()
        ticket = _report(teacher, room)
        db.session.commit()
        room_id, number = room.id, ticket.number
    login(client, "logistics")
    assert number in client.get(f"/places/{room_id}").get_data(as_text=True)
    client.post("/auth/logout")
    login(client, "teacher")
    assert number not in client.get(f"/places/{room_id}").get_data(as_text=True)


def test_a_refused_report_shows_its_message_inside_the_fields_markup(app, client):
    """A repairs page form re-rendered with 422: the message inside the refused field's
    block, in Chinese for a Chinese reader, what was typed kept."""
    with app.app_context():
        school()
        db.session.commit()
    login(client, "teacher")
    client.post("/lang", data={"language": "zh_CN"})
    refused = client.post("/repairs/report", data={"location_id": "", "description": "插座冒烟"})
    assert refused.status_code == 422
    block = re.search(r'<div class="field invalid">\s*<label for="r-location">.*?</div>', refused.text, re.S)
    assert block and 'class="field-error"' in block.group(0) and 'aria-invalid="true"' in block.group(0)
    assert "请选择报修地点" in block.group(0)
    assert "插座冒烟</textarea>" in refused.text
    assert '<label for="r-description">故障描述<abbr class="required"' in refused.text  # marked as needed


def test_a_spare_part_is_picked_by_typing_and_a_refused_completion_keeps_the_list(app, client):
    """A phone cannot scroll a select of 150 parts: the part is found by name, pinyin
    initials or barcode; a part already on the list is not added twice; when the store
    has too few, the page comes back with the chosen parts and quantities still listed."""
    from tests.factories.stock import make_item, make_store, receive

    with app.test_request_context():
        room, teacher, worker, head = school()
        store = make_store()
        tubes = make_item("LED灯管", "支")
        receive(store, tubes, "5", "22")
        empty = make_item("空气开关", "个")  # none in stock: not offered
        for n in range(150):
            receive(store, make_item(f"配件{n:03d}", "个"), "1", "1")
        ticket = _report(teacher, room)
        services.assign(head, ticket.id, worker.person_id)
        db.session.commit()
        ticket_id, tubes_id, store_id, empty_id = ticket.id, tubes.id, store.id, empty.id
    login(client, "repair")
    page = client.get(f"/repairs/{ticket_id}").get_data(as_text=True)
    assert page.count("<option") < 20  # no select of every part
    for typed in ("LED", "led", "灯管"):
        found = client.get(f"/repairs/parts/pick?q={typed}").get_data(as_text=True)
        assert "LED灯管" in found and "配件" not in found, typed
    assert "空气开关" not in client.get("/repairs/parts/pick?q=空气").get_data(as_text=True)
    line = client.get(f"/repairs/parts/line?item_id={tubes_id}").get_data(as_text=True)
    assert f'name="part_item_id" value="{tubes_id}"' in line and 'name="part_quantity"' in line
    assert "part_item_id" not in client.get(f"/repairs/parts/line?item_id={tubes_id}&part_item_id={tubes_id}").get_data(as_text=True)
    assert "part_item_id" not in client.get(f"/repairs/parts/line?item_id={empty_id}").get_data(as_text=True)
    refused = client.post(f"/repairs/{ticket_id}/complete", data={
        "work_done": "换灯管", "labour_minutes": "30", "store_id": str(store_id),
        "part_item_id": str(tubes_id), "part_quantity": "9",
        "after_photo": (photo().stream, "after.jpg")}, content_type="multipart/form-data")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert f'name="part_item_id" value="{tubes_id}"' in html and 'value="9"' in html
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "assigned"
    assert client.get("/repairs/parts/pick?q=LED").status_code == 200
    client.post("/auth/logout")
    login(client, "teacher")
    assert client.get("/repairs/parts/pick?q=LED").status_code == 403
