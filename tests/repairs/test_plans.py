"""Maintenance plans: materialised idempotently on their due days (holidays skipped),
every asset of a kind, floating plans counted from the completion, the statutory
register with its required report, compliance, and the tick."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from schoolhq.core import calendar
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.repairs import plans, services
from schoolhq.repairs.models import MaintenancePlan, RepairCategory, Ticket
from tests.conftest import login
from tests.factories.repairs import photo, school

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def _plan(worker, room, **changes):
    category = db.session.scalar(select(RepairCategory).order_by(RepairCategory.id))
    data = plans.PlanData(title="饮水机滤芯更换", category_id=category.id, assignee_id=worker.person_id,
                          first_due_on=date(2026, 12, 7), every="1", unit="month", target="location",
                          location_id=room.id, steps=["关闭进水阀", "更换滤芯", "冲洗 5 分钟"], lead_days="7")
    for key, value in changes.items():
        setattr(data, key, value)
    return plans.save_plan(None, data)


@pytest.mark.clock("2026-11-25 09:00")  # the plans below fall due in December 2026
def test_plans_come_due_once_and_move_on(ctx):
    room, _teacher, worker, _head = school()
    plan = _plan(worker, room)
    assert plans.materialise(date(2026, 11, 29)) == 0  # more than the lead time ahead
    assert plans.materialise(date(2026, 11, 30)) == 1
    assert plans.materialise(date(2026, 11, 30)) == 0  # twice creates nothing twice
    ticket = db.session.scalar(select(Ticket).where(Ticket.plan_id == plan.id))
    assert ticket.status == "assigned" and ticket.assignee_id == worker.person_id
    assert ticket.plan_due_on == date(2026, 12, 7) and "□ 更换滤芯" in ticket.description
    assert plan.next_due_on == date(2027, 1, 7)
    from schoolhq.core.notifications import for_account

    assert any("饮水机滤芯更换" in n.title for n in for_account(worker.id))


@pytest.mark.clock("2026-11-25 09:00")  # the plans below fall due in December 2026
def test_a_due_day_on_a_holiday_moves_to_the_next_school_day(ctx):
    room, _teacher, worker, _head = school()
    calendar.set_day(date(2026, 12, 7), "holiday", "校庆")
    _plan(worker, room)
    plans.materialise(date(2026, 12, 1))
    assert db.session.scalar(select(Ticket.plan_due_on)) == date(2026, 12, 8)


@pytest.mark.clock("2026-11-25 09:00")  # the plans below fall due in December 2026
def test_every_asset_of_a_kind_gets_its_own_ticket(ctx):
    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory, AssetKind

    room, _teacher, worker, _head = school()
    kind = db.session.scalar(select(AssetKind).where(AssetKind.key == "extinguisher"))
    category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02000000"))
    for _ in range(3):
        assets.register_asset({"name": "灭火器", "category_id": category.id, "kind_id": kind.id,
                               "unit_price_fen": 9500}, room.id, status="in_use")
    _plan(worker, room, target="kind", kind_key="extinguisher", location_id=None)
    assert plans.materialise(date(2026, 12, 1)) == 3
    assert plans.materialise(date(2026, 12, 1)) == 0


@pytest.mark.clock("2026-11-25 09:00")  # the plans below fall due in December 2026
def test_a_floating_plan_counts_from_the_completion(ctx):
    room, _teacher, worker, head = school()
    plan = _plan(worker, room, mode="floating", every="2", unit="week")
    plans.materialise(date(2026, 12, 1))
    assert plans.materialise(date(2027, 3, 1)) == 0  # nothing more until this one is done
    ticket = db.session.scalar(select(Ticket).where(Ticket.plan_id == plan.id))
    services.complete(worker, ticket.id, services.Completion("已更换", "15", after_photo=photo()))
    assert plan.next_due_on >= local_today() + timedelta(weeks=2) - timedelta(days=1)


def test_the_statutory_register_needs_the_report_to_complete(app, client):
    with app.test_request_context():
        room, _teacher, worker, head = school()
        db.session.commit()
    login(client, "logistics")
    assert client.post("/repairs/plans/statutory").status_code == 303
    assert client.post("/repairs/plans/statutory").status_code == 303  # twice adds nothing twice
    with app.app_context():
        register = db.session.scalars(select(MaintenancePlan).where(MaintenancePlan.statutory.is_(True))).all()
        assert len(register) == 4 and all(p.evidence_required for p in register)  # no lift or boiler yet
        fire = next(p for p in register if "消防" in p.title)
        assert "消防法" in fire.reference
        fire.next_due_on = local_today() - timedelta(days=3)
        plans.materialise()
        db.session.commit()
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.plan_id == fire.id))
    page = client.get("/").get_data(as_text=True)
    assert "Statutory inspections overdue" in page
    with app.test_request_context():
        from schoolhq.auth.models import Account

        manager = db.session.scalar(select(Account).where(Account.username == "logistics"))
        with pytest.raises(ServiceError, match="inspection report"):
            services.complete(manager, ticket_id, services.Completion("年度检测完成", "120", after_photo=photo()))
        report = FileStorage(io.BytesIO(b"%PDF-1.4 report"), filename="report.pdf")
        ticket = services.complete(manager, ticket_id, services.Completion("年度检测完成", "120", evidence=report))
        assert ticket.evidence_id and ticket.status == "completed"
        on_time, total = plans.compliance([fire.id])[fire.id]
        assert (on_time, total) == (0, 1)  # done, but after its due day
        db.session.rollback()


def test_each_lift_and_boiler_gets_its_own_statutory_plan_from_its_certificate(ctx):
    """特种设备安全法 第40条: each device is inspected before its certificate runs out; the plan
    is the device's own, due on that date, naming its registration. A device with no date
    on the register is due now; pressing again adds only devices new since."""
    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory, AssetKind

    room, _teacher, _worker, head = school()
    category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02000000"))
    kinds = {k.key: k.id for k in db.session.scalars(select(AssetKind))}
    valid_until = local_today() + timedelta(days=200)
    lift = assets.register_asset({"name": "教学楼电梯", "category_id": category.id, "kind_id": kinds["lift"],
                                  "unit_price_fen": 30000000}, room.id,
                                 extra={"registration_number": "梯11苏A01234(23)", "registered_on": "2023-03-01",
                                        "inspection_valid_until": valid_until.isoformat()})
    assets.register_asset({"name": "食堂蒸汽锅炉", "category_id": category.id, "kind_id": kinds["boiler"],
                           "unit_price_fen": 8000000}, room.id)
    assert plans.add_statutory_register(head, room.id) == 6
    devices = {p.asset_id: p for p in db.session.scalars(select(MaintenancePlan).where(
        MaintenancePlan.statutory.is_(True), MaintenancePlan.target == "asset"))}
    assert len(devices) == 2
    plan = devices[lift.id]
    assert plan.title.startswith("电梯定期检验 · 教学楼电梯") and plan.next_due_on == valid_until
    assert "梯11苏A01234(23)" in plan.reference and "2023-03-01" in plan.reference and "第40条" in plan.reference
    boiler_plan = next(p for asset_id, p in devices.items() if asset_id != lift.id)
    assert boiler_plan.next_due_on == local_today()  # no certificate date entered: due now
    assert plans.add_statutory_register(head, room.id) == 0
    assets.register_asset({"name": "综合楼电梯", "category_id": category.id, "kind_id": kinds["lift"],
                           "unit_price_fen": 30000000}, room.id)
    assert plans.add_statutory_register(head, room.id) == 1


def test_plan_bad_inputs(ctx):
    room, _teacher, worker, _head = school()
    for changes, message in (({"title": " "}, "title"), ({"assignee_id": None}, "named person"),
                             ({"every": "0"}, "from 1"), ({"every": "x"}, "whole number"),
                             ({"unit": "century"}, "how often"), ({"first_due_on": None}, "first due"),
                             ({"location_id": None}, "place"), ({"target": "kind", "kind_key": "nope"}, "kind")):
        with pytest.raises(ServiceError, match=message):
            _plan(worker, room, **changes)
    assert db.session.scalar(select(func.count(MaintenancePlan.id))) == 0


def test_the_tick_runs_every_recurring_job(app):
    from schoolhq.core import recurring

    with app.test_request_context():
        room, _teacher, worker, _head = school()
        # due today even if today is no school day (a weekend, a holiday, the winter break)
        plan = _plan(worker, room, first_due_on=local_today(), skip_holidays=False)
        db.session.commit()
        plan_id = plan.id
    results = recurring.run_all(app)
    assert results["repairs.plans"] == 1 and results["repairs.auto_verify"] == 0
    assert recurring.run_all(app)["repairs.plans"] == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Ticket.id)).where(Ticket.plan_id == plan_id)) == 1
