"""The hazard register: registered with a person and a deadline, rectified, re-checked by
someone else and closed only by a passing re-check (after its repair ticket is
confirmed); a failed safety-round item becomes a hazard; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.hazards import services
from schoolhq.hazards.models import Hazard, HazardEvent
from tests.conftest import login
from tests.factories.hazards import data, people
from tests.factories.repairs import photo

pytestmark = pytest.mark.dated

SIGNATURE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="


def _count(model=Hazard) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_a_hazard_goes_found_rectified_rechecked_closed(ctx):
    building, head, worker, principal = people()
    hazard = services.register(head, data(building, worker))
    assert (hazard.status, hazard.found_on, hazard.found_by_id) == ("open", local_today(), head.person_id)
    services.rectify(worker, hazard.id, "杂物已清走", None)
    assert (hazard.status, hazard.rectified_by_id) == ("rectified", worker.id)
    services.recheck(principal, hazard.id, True, "", SIGNATURE)
    assert hazard.status == "closed" and hazard.closed_at and hazard.recheck_signature_id
    assert [e.kind for e in db.session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard.id)
                                               .order_by(HazardEvent.id))] == ["registered", "rectified",
                                                                                "rechecked"]
    with pytest.raises(ServiceError, match="已销号"):
        services.rectify(worker, hazard.id, "再来一次", None)


def test_the_re_check_is_never_the_fixers_own(ctx):
    building, head, worker, principal = people()
    hazard = services.register(head, data(building, head))
    services.rectify(head, hazard.id, "已整改", None)
    with pytest.raises(ServiceError, match="复查须由整改人和整改责任人以外的人进行"):
        services.recheck(head, hazard.id, True, "", SIGNATURE)
    assert hazard.status == "rectified"
    hazard2 = services.register(head, data(building, worker))
    services.rectify(head, hazard2.id, "总务处代为整改", None)  # the office recorded it: not its re-check then
    with pytest.raises(ServiceError, match="以外的人"):
        services.recheck(head, hazard2.id, True, "", SIGNATURE)
    db.session.commit()
    # the database refuses it as well
    with pytest.raises((IntegrityError, DBAPIError)):
        db.session.execute(text("UPDATE hazard SET rechecked_by_id = rectified_by_id WHERE id = :id"),
                           {"id": hazard.id})
        db.session.flush()
    db.session.rollback()


def test_a_hazard_cannot_close_without_a_passing_recheck(ctx):
    building, head, worker, principal = people()
    hazard = services.register(head, data(building, worker))
    with pytest.raises(ServiceError, match="请先记录整改"):
        services.recheck(principal, hazard.id, True, "", SIGNATURE)
    db.session.commit()
    with pytest.raises((IntegrityError, DBAPIError)):
        db.session.execute(text("UPDATE hazard SET status = 'closed' WHERE id = :id"), {"id": hazard.id})
        db.session.flush()
    db.session.rollback()


def test_a_failed_recheck_reopens_it_with_the_reason_and_a_new_deadline(ctx):
    building, head, worker, principal = people()
    hazard = services.register(head, data(building, worker))
    services.rectify(worker, hazard.id, "已清理", None)
    with pytest.raises(ServiceError, match="仍存在的问题"):
        services.recheck(principal, hazard.id, False, "", SIGNATURE, local_today() + timedelta(days=3))
    with pytest.raises(ServiceError, match="新的整改期限"):
        services.recheck(principal, hazard.id, False, "还有纸箱", SIGNATURE)
    with pytest.raises(ServiceError, match="签名"):
        services.recheck(principal, hazard.id, False, "还有纸箱", "", local_today() + timedelta(days=3))
    assert hazard.status == "rectified"
    services.recheck(principal, hazard.id, False, "还有纸箱", SIGNATURE, local_today() + timedelta(days=3))
    assert (hazard.status, hazard.deadline) == ("reopened", local_today() + timedelta(days=3))
    services.rectify(worker, hazard.id, "全部清走", None)
    services.recheck(principal, hazard.id, True, "", SIGNATURE)
    assert hazard.status == "closed"


def test_a_hazard_with_a_repair_ticket_closes_after_the_ticket_is_confirmed(ctx):
    from schoolhq.repairs.models import Ticket

    building, head, worker, principal = people()
    from schoolhq.repairs import services as repairs
    from schoolhq.repairs.services import Report

    hazard = services.register(head, data(building, worker))
    category = repairs.categories()[0]
    ticket = repairs.report(head, Report(location_id=building.id, category_id=category.id, priority="normal",
                                         description="疏散指示灯不亮"))
    hazard.ticket_id = ticket.id
    services.rectify(worker, hazard.id, "已报修更换", None)
    with pytest.raises(ServiceError, match="尚未确认完成"):
        services.recheck(principal, hazard.id, True, "", SIGNATURE)
    repairs.assign(head, ticket.id, worker.person_id)
    repairs.start(worker, ticket.id)
    repairs.complete(worker, ticket.id, repairs.Completion(work_done="更换灯管", labour_minutes="30",
                                                                after_photo=photo("after.jpg")))
    with pytest.raises(ServiceError, match="尚未确认完成"):  # fixed, but not yet confirmed
        services.recheck(principal, hazard.id, True, "", SIGNATURE)
    repairs.verify(head, ticket.id, 3)
    assert db.session.get(Ticket, ticket.id).status == "verified"
    services.recheck(principal, hazard.id, True, "", SIGNATURE)
    assert hazard.status == "closed"


@pytest.mark.parametrize("changes, field", [
    ({"description": " "}, "description"),
    ({"location_id": None}, "location_id"),
    ({"responsible_id": None}, "responsible_id"),
    ({"level": "medium"}, "level"),
    ({"found_on": "future"}, "found_on"),
    ({"deadline": "before"}, "deadline"),
    ({"deadline": None}, "deadline"),
])
def test_bad_input_is_refused_and_nothing_is_written(ctx, changes, field):
    building, head, worker, _principal = people()
    today = local_today()
    if changes.get("found_on") == "future":
        changes["found_on"] = today + timedelta(days=1)
    if changes.get("deadline") == "before":
        changes["deadline"] = today - timedelta(days=1)
    with pytest.raises(ServiceError) as refused:
        services.register(head, data(building, worker, **changes))
    assert refused.value.field == field
    db.session.rollback()
    assert _count() == 0 and _count(HazardEvent) == 0


def test_only_the_responsible_person_or_the_office_records_the_rectification(ctx):
    from tests.conftest import make_account

    building, head, worker, principal = people()
    other = make_account("doctor", "school_doctor", name="周静")
    hazard = services.register(head, data(building, worker))
    with pytest.raises(ServiceError, match="只有整改责任人"):
        services.rectify(other, hazard.id, "我来", None)
    with pytest.raises(ServiceError, match="请写明整改"):
        services.rectify(worker, hazard.id, " ", None)
    assert hazard.status == "open"


def test_a_failed_fire_patrol_item_becomes_a_hazard_with_its_ticket(ctx):
    """A safety round's failure not put right on the spot registers a hazard for the
    logistics head, major when the item is critical; one corrected on the spot does not;
    a canteen round's failure stays a finding."""
    from schoolhq.checks import judging
    from schoolhq.checks import services as checks

    building, head, worker, principal = people()
    round_ = checks.start_adhoc(head, "fire.daily", building.id)
    exits = next(s for s in checks.slots(round_) if s.item.key == "exits")
    doors = next(s for s in checks.slots(round_) if s.item.key == "fire_doors")
    checks.answer(head, round_.id, exits.item.id, 0, judging.AnswerInput(outcome="fail", note="二楼通道堆放课桌"))
    checks.answer(head, round_.id, doors.item.id, 0, judging.AnswerInput(outcome="fail"))
    checks.add_evidence(head, round_.id, doors.item.id, 0, "防火门已当场关闭", corrected=True)
    checks.all_remaining_pass(head, round_.id)
    for the_slot in checks.slots(round_):
        if the_slot.answer is None:
            value = judging.AnswerInput(signature=SIGNATURE) if the_slot.item.type == "signature" else \
                judging.AnswerInput(value="无")
            checks.answer(head, round_.id, the_slot.item.id, 0, value)
    checks.submit(head, round_.id, SIGNATURE)
    [exit_hazard] = db.session.scalars(select(Hazard))  # the doors were put right on the spot
    assert "安全出口" in exit_hazard.description and "二楼通道堆放课桌" in exit_hazard.description  # the note too
    assert exit_hazard.finding_id
    assert exit_hazard.level == "major" and exit_hazard.source == "patrol"
    assert exit_hazard.responsible_id == head.person_id and exit_hazard.ticket_id  # the item's rule: auto
    assert exit_hazard.deadline == local_today() + timedelta(days=3)
    canteen_round = checks.start_adhoc(head, "canteen.daily", building.id)
    assert not services.registers(canteen_round.template_key)


def test_pages_in_both_languages_and_the_printed_ledger(app, client):
    with app.test_request_context():
        building, head, worker, principal = people()
        hazard = services.register(head, data(building, worker, level="major"))
        hazard_id = hazard.id
        db.session.commit()
    assert login(client, "repair").status_code == 303
    page = client.get(f"/hazards/{hazard_id}").get_data(as_text=True)
    assert "楼梯间堆放杂物" in page and "整改" in page
    done = client.post(f"/hazards/{hazard_id}/rectify", data={"note": "已清理"})
    assert done.status_code == 303
    client.get("/auth/logout")
    assert login(client, "principal").status_code == 303
    refused = client.post(f"/hazards/{hazard_id}/recheck", data={"result": "pass", "signature": ""})
    assert refused.status_code == 422 and "签名" in refused.get_data(as_text=True)
    closed = client.post(f"/hazards/{hazard_id}/recheck", data={"result": "pass", "signature": SIGNATURE})
    assert closed.status_code == 303
    month = local_today().strftime("%Y-%m")
    ledger = client.get(f"/hazards/ledger?month={month}").get_data(as_text=True)
    assert "隐患排查整改台账" in ledger and "李建国" in ledger and "合格" in ledger
    xlsx = client.get(f"/hazards/ledger?month={month}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    client.post("/lang", data={"language": "en"})
    english = client.get(f"/hazards/ledger?month={month}").get_data(as_text=True)
    assert "Hazard register" in english and "Passed, closed" in english


def test_the_dashboards_name_overdue_hazards_and_mine(app, client, clock):
    with app.test_request_context():
        building, head, worker, principal = people()
        services.register(head, data(building, worker, found_on=local_today() - timedelta(days=10),
                                     deadline=local_today() - timedelta(days=2)))
        db.session.commit()
    assert login(client, "principal").status_code == 303
    assert "楼梯间堆放杂物" in client.get("/").get_data(as_text=True)
    client.get("/auth/logout")
    assert login(client, "repair").status_code == 303
    assert "楼梯间堆放杂物" in client.get("/").get_data(as_text=True)


def test_the_history_is_append_only(ctx):
    building, head, worker, _principal = people()
    services.register(head, data(building, worker))
    db.session.commit()
    with pytest.raises((IntegrityError, DBAPIError)):
        db.session.execute(text("DELETE FROM hazard_event"))
        db.session.flush()
    db.session.rollback()


def test_closing_the_hazard_deals_with_the_finding_it_came_from(app, client):
    from schoolhq.checks import judging
    from schoolhq.checks import services as checks
    from schoolhq.checks.models import CheckFinding

    with app.test_request_context():
        building, head, worker, principal = people()
        round_ = checks.start_adhoc(worker, "fire.daily", building.id)
        doors = next(s for s in checks.slots(round_) if s.item.key == "fire_doors")
        checks.answer(worker, round_.id, doors.item.id, 0, judging.AnswerInput(outcome="fail", note="防火门被顶住"))
        checks.all_remaining_pass(worker, round_.id)
        for the_slot in checks.slots(round_):
            if the_slot.answer is None:
                value = judging.AnswerInput(signature=SIGNATURE) if the_slot.item.type == "signature" else \
                    judging.AnswerInput(value="无")
                checks.answer(worker, round_.id, the_slot.item.id, 0, value)
        checks.submit(worker, round_.id, SIGNATURE)
        [hazard] = db.session.scalars(select(Hazard))
        finding = db.session.get(CheckFinding, hazard.finding_id)
        assert (hazard.level, hazard.ticket_id, finding.status) == ("general", None, "open")
        services.rectify(head, hazard.id, "已拔除门挡", None)
        services.recheck(principal, hazard.id, True, "门已常闭", SIGNATURE)
        assert (finding.status, finding.note) == ("closed", "门已常闭")
        hazard_id = hazard.id
        db.session.commit()
    assert login(client, "logistics").status_code == 303
    page = client.get("/checks/findings?status=all").get_data(as_text=True)
    assert f'href="/hazards/{hazard_id}"' in page


def test_a_repair_report_is_registered_as_a_hazard_from_its_ticket(app, client):
    from schoolhq.repairs import services as repairs
    from schoolhq.repairs.services import Report

    with app.test_request_context():
        building, head, worker, _principal = people()
        ticket = repairs.report(worker, Report(location_id=building.id, category_id=repairs.categories()[0].id,
                                               priority="normal", description="配电箱门锁损坏，箱门敞开"))
        ticket_id, number, worker_person, building_id = ticket.id, ticket.number, worker.person_id, building.id
        db.session.commit()
    assert login(client, "logistics").status_code == 303
    page = client.get(f"/repairs/{ticket_id}").get_data(as_text=True)
    assert "登记为隐患" in page
    form = client.get(f"/hazards/new?ticket={ticket_id}").get_data(as_text=True)
    assert number in form and "配电箱门锁损坏" in form
    assert client.get("/hazards/new?ticket=999999").status_code == 404
    sent = {"ticket_id": str(ticket_id), "location_id": "", "description": "配电箱门锁损坏，箱门敞开",
            "level": "general", "responsible_id": str(worker_person), "photo": (photo("before.jpg").stream, "before.jpg")}
    made = client.post("/hazards/new", data=sent, content_type="multipart/form-data")
    assert made.status_code == 303
    again = client.post("/hazards/new", data={**sent, "photo": (photo("before.jpg").stream, "before.jpg")},
                        content_type="multipart/form-data")
    assert again.status_code == 422 and "已登记为隐患" in again.get_data(as_text=True)
    with app.app_context():
        hazard = db.session.scalar(select(Hazard).where(Hazard.ticket_id == ticket_id))
        assert (hazard.source, hazard.location_id, _count()) == ("report", building_id, 1)
        hazard_id, photo_id = hazard.id, hazard.photo_id
    assert f"/hazards/{hazard_id}" in client.get(f"/repairs/{ticket_id}").get_data(as_text=True)
    ledger = client.get(f"/hazards/ledger?month={local_today():%Y-%m}").get_data(as_text=True)
    assert photo_id and f"/files/{photo_id}" in ledger, "the photo of the hazard prints on the ledger"
