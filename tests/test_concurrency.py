"""Fifty impatient double-clicks (issue #12, section 1): every one-shot action fired 50
times at once, through the web as the browsers send it, has exactly one effect, and every
losing request gets a clear answer instead of a server error. Meaningful on PostgreSQL,
where requests run side by side; on SQLite the write queue already takes them in turn,
and the same tests prove nothing is lost on the way."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from schoolhq.assets import audits, reservations
from schoolhq.assets import services as assets
from schoolhq.assets.models import AssetCategory, AssetEvent, Loan, Reservation
from schoolhq.core.models import AuditEntry, Counter
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.places import services as places
from schoolhq.repairs.models import RepairCategory, Ticket, TicketEvent
from schoolhq.stock import requisitions
from schoolhq.stock.models import Requisition, StockCount
from tests.conftest import login, make_account
from tests.factories.assets import loanable_items, signature
from tests.factories.repairs import school
from tests.factories.stock import make_item, make_store, receive

AT_ONCE = 50


@dataclass
class Burst:
    """What fifty browsers got back: status codes, and any server error raised."""

    codes: list[int] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)

    def succeeded(self, code: int = 303) -> int:
        return self.codes.count(code)

    def assert_clean(self, winners: int = 1, code: int = 303) -> None:
        assert not self.crashes, self.crashes[:3]
        assert 500 not in self.codes, self.codes
        assert self.succeeded(code) == winners, sorted(self.codes)
        assert len(self.codes) == AT_ONCE


def burst(app, username: str, path: str | list[tuple[str, dict]], data: dict | None = None,
          headers: dict | None = None) -> Burst:
    """POST `path` from AT_ONCE browsers signed in as `username`, all released together.
    `path` may be a list of (path, data), one per browser, for mixed clicks."""
    signed_in = app.test_client()
    assert login(signed_in, username).status_code == 303
    requests = path if isinstance(path, list) else [(path, data or {})] * AT_ONCE
    result = Burst()
    collect = threading.Lock()
    start = threading.Barrier(len(requests))

    def click(target: str, form: dict):
        browser = app.test_client()
        browser._cookies = dict(signed_in._cookies)  # the same signed-in browser, many tabs
        start.wait()
        try:
            response = browser.post(target, data=form, headers=headers or {})
            with collect:
                result.codes.append(response.status_code)
                result.bodies.append(response.get_data(as_text=True))
        except Exception as error:  # noqa: BLE001 (a server error is what this looks for)
            with collect:
                result.crashes.append(repr(error))

    threads = [threading.Thread(target=click, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return result


def _count(model_column, *where) -> int:
    return db.session.scalar(select(func.count(model_column)).where(*where)) or 0


def _audited(action: str) -> int:
    return _count(AuditEntry.id, AuditEntry.action == action)


# Asset stocktake -------------------------------------------------------------------------

def _stocktake(app):
    with app.test_request_context():
        campus = places.create_location("campus", "阳光小学")
        room = places.create_location("room", "101教室", campus.id)
        category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010105"))
        seen, missing = (assets.register_asset({"name": f"电脑{n}", "category_id": category.id,
                                                "unit_price_fen": 450000}, room.id) for n in (1, 2))
        campaign = audits.start("期末清查", room.id)
        audits.record_scan(campaign.id, room.id, seen.number)
        make_account("store", "storekeeper")
        make_account("principal", "principal")
        db.session.commit()
        return campaign.id, seen.id, missing.id


def test_a_stocktake_closes_once_and_its_losses_are_approved_once(app):
    campaign_id, seen_id, missing_id = _stocktake(app)
    burst(app, "store", f"/assets/audits/{campaign_id}/close").assert_clean()
    with app.app_context():
        assert _audited("stocktake.closed") == 1
        assert _count(AssetEvent.id, AssetEvent.asset_id == seen_id, AssetEvent.kind == "audited") == 1
    burst(app, "principal", f"/assets/audits/{campaign_id}/approve").assert_clean()
    with app.app_context():
        assert _audited("stocktake.losses_approved") == 1
        assert _count(AssetEvent.id, AssetEvent.asset_id == missing_id, AssetEvent.kind == "status_changed") == 1


# Stock counts and requisitions ------------------------------------------------------------

def test_one_store_gets_one_open_count(app):
    with app.app_context():
        store = make_store()
        receive(store, make_item(), "10")
        make_account("store", "storekeeper")
        db.session.commit()
        store_id = store.id
    burst(app, "store", "/stock/counts", {"store_id": store_id}).assert_clean()
    with app.app_context():
        assert _count(StockCount.id, StockCount.store_id == store_id) == 1


def test_a_cart_is_submitted_once_and_takes_one_number(app):
    with app.app_context():
        store = make_store()
        pens = make_item("中性笔", "支")
        receive(store, pens, "100")
        teacher = make_account("teacher", "staff")
        requisitions.add_to_cart(teacher, pens.id, "3")
        db.session.commit()
        store_id = store.id
    burst(app, "teacher", "/stock/request/submit", {"purpose": "班会", "store_id": store_id}).assert_clean()
    with app.app_context():
        submitted = list(db.session.scalars(select(Requisition).where(Requisition.submitted_at.is_not(None))))
        assert len(submitted) == 1 and submitted[0].number.endswith("-00001")
        year = local_today().year
        assert db.session.get(Counter, f"stock.requisition.{year}").value == 1  # no number skipped
        assert _audited("requisition.submitted") == 1


# Borrowing ---------------------------------------------------------------------------------

def test_a_borrow_request_is_either_approved_or_rejected_once(app):
    with app.test_request_context():
        items, teacher_person = loanable_items(n=1)
        make_account("desk", "storekeeper")
        request = reservations.request_borrow(items[0].id, teacher_person, local_today() + timedelta(days=1),
                                              local_today() + timedelta(days=2), "公开课")
        db.session.commit()
        request_id = request.id
    clicks = [(f"/assets/requests/{request_id}/approve", {}) if n % 2 else
              (f"/assets/requests/{request_id}/reject", {"note": "设备已借出"}) for n in range(AT_ONCE)]
    result = burst(app, "desk", clicks)
    assert not result.crashes and 500 not in result.codes, result.crashes[:3]
    assert result.succeeded() == 1, sorted(result.codes)
    with app.app_context():
        decided = _audited("reservation.approved") + _audited("reservation.rejected")
        assert decided == 1
        assert db.session.get(Reservation, request_id).status in ("approved", "rejected")


def test_fifty_desks_lending_one_laptop_lend_it_once_and_tell_the_others(app):
    with app.test_request_context():
        items, teacher_person = loanable_items(n=1)
        make_account("desk", "storekeeper")
        db.session.commit()
        asset_id, number = items[0].id, items[0].number
    form = {"asset_id": asset_id, "borrower_id": teacher_person, "due": "tomorrow", "signature": signature()}
    result = burst(app, "desk", "/assets/desk/checkout", form)
    result.assert_clean()
    losers = [body for code, body in zip(result.codes, result.bodies, strict=True) if code != 303]
    assert all(number in body for body in losers), "a losing desk was not told which item"
    with app.app_context():
        assert _count(Loan.id, Loan.asset_id == asset_id) == 1
        assert _count(AssetEvent.id, AssetEvent.asset_id == asset_id, AssetEvent.kind == "checked_out") == 1


# Repairs -----------------------------------------------------------------------------------

def test_the_hourly_report_limit_holds_under_a_burst(app):
    with app.test_request_context():
        room, _teacher, _worker, _head = school()
        category_id = db.session.scalar(select(RepairCategory.id).where(RepairCategory.name == "电工/照明"))
        db.session.commit()
        room_id = room.id
    clicks = [("/repairs/report", {"location_id": room_id, "category_id": category_id, "priority": "normal",
                                   "description": f"灯不亮 {n}"}) for n in range(AT_ONCE)]
    result = burst(app, "teacher", clicks)
    assert not result.crashes and 500 not in result.codes, result.crashes[:3]
    with app.app_context():
        from schoolhq.core import settings

        limit = settings.get("repairs.reports_per_hour")
        assert _count(Ticket.id) == limit == result.succeeded()
        year = local_today().year
        assert db.session.get(Counter, f"repairs.ticket.{year}").value == limit


def test_assigning_a_ticket_to_the_same_worker_again_adds_nothing(app):
    from schoolhq.repairs import services as repairs

    with app.test_request_context():
        room, teacher, worker, _head = school()
        category = db.session.scalar(select(RepairCategory).where(RepairCategory.name == "电工/照明"))
        ticket = repairs.report(teacher, repairs.Report(room.id, category.id, "normal", "灯不亮"))
        db.session.commit()
        ticket_id, worker_person = ticket.id, worker.person_id
    result = burst(app, "logistics", f"/repairs/{ticket_id}/assign", {"assignee_id": worker_person})
    assert not result.crashes and 500 not in result.codes, result.crashes[:3]
    with app.app_context():
        assert _count(TicketEvent.id, TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "assigned") == 1


# Disposal, moves, the stock ledger -------------------------------------------------------

def _asset_in_room(app):
    with app.test_request_context():
        campus = places.create_location("campus", "阳光小学")
        rooms = [places.create_location("room", name, campus.id) for name in ("101教室", "102教室")]
        category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010105"))
        asset = assets.register_asset({"name": "电脑", "category_id": category.id, "unit_price_fen": 450000},
                                      rooms[0].id, status="in_use")
        db.session.commit()
        return asset.id, asset.number, rooms[1].id


def test_one_asset_is_put_up_for_disposal_once(app):
    asset_id, number, _room = _asset_in_room(app)
    with app.app_context():
        make_account("store", "storekeeper")
    result = burst(app, "store", "/assets/disposals", {"tags": number, "reason": "主板损坏，无维修价值"})
    result.assert_clean()
    with app.app_context():
        from schoolhq.assets.models import DisposalItem

        assert _count(DisposalItem.id, DisposalItem.asset_id == asset_id) == 1
        assert _count(AssetEvent.id, AssetEvent.asset_id == asset_id, AssetEvent.kind == "status_changed") == 1


def test_a_disposal_is_either_approved_or_rejected_once(app):
    from schoolhq.assets import disposals

    asset_id, _number, _room = _asset_in_room(app)
    with app.test_request_context():
        disposal = disposals.request_disposal([asset_id], "主板损坏")
        disposals.appraise(disposal.id, "无维修价值")
        make_account("principal", "principal")
        db.session.commit()
        disposal_id = disposal.id
    clicks = [(f"/assets/disposals/{disposal_id}/approve", {}) if n % 2 else
              (f"/assets/disposals/{disposal_id}/reject", {"note": "尚可维修"}) for n in range(AT_ONCE)]
    result = burst(app, "principal", clicks)
    assert not result.crashes and 500 not in result.codes, result.crashes[:3]
    assert result.succeeded() == 1, sorted(result.codes)
    with app.app_context():
        assert _audited("disposal.approved") + _audited("disposal.rejected") == 1
        # a rejection gives the asset its status back once, an approval not at all
        assert _count(AssetEvent.id, AssetEvent.asset_id == asset_id, AssetEvent.kind == "status_changed") <= 2


def test_an_asset_moved_by_fifty_clicks_moves_once(app):
    asset_id, _number, room_id = _asset_in_room(app)
    with app.app_context():
        make_account("store", "storekeeper")
    result = burst(app, "store", f"/assets/{asset_id}/move", {"move-location_id": room_id, "move-note": "调整"})
    result.assert_clean()
    with app.app_context():
        assert _count(AssetEvent.id, AssetEvent.asset_id == asset_id, AssetEvent.kind == "moved") == 1


def test_a_ledger_row_is_reversed_once(app):
    from schoolhq.stock.models import StockMovement

    with app.app_context():
        store = make_store()
        movement = receive(store, make_item(), "10")
        make_account("store", "storekeeper")
        db.session.commit()
        movement_id = movement.id
    burst(app, "store", f"/stock/movements/{movement_id}/reverse", {"reason": "录错了"}).assert_clean()
    with app.app_context():
        assert _count(StockMovement.id, StockMovement.reverses_id == movement_id) == 1


# Checks --------------------------------------------------------------------------------------

def test_a_double_tapped_start_opens_one_round(app):
    from schoolhq.checks.models import CheckRound
    from tests.factories.checks import kitchen

    with app.test_request_context():
        canteen, _manager, _head, _made = kitchen()
        canteen_id = canteen.id
    result = burst(app, "canteen", "/checks/start", {"template_key": "canteen.daily", "location_id": canteen_id})
    assert not result.crashes and 500 not in result.codes, result.crashes[:3]
    assert result.succeeded() == AT_ONCE, sorted(result.codes)  # every tap lands on the round
    with app.app_context():
        assert _count(CheckRound.id) == 1
        assert _audited("round.started") == 1


def test_a_round_is_submitted_once(app):
    from schoolhq.checks import services as checks
    from schoolhq.checks.models import CheckRound
    from tests.checks.test_rounds import fill_daily
    from tests.factories.checks import kitchen

    with app.test_request_context():
        canteen, manager, _head, _made = kitchen()
        round_ = checks.start_adhoc(manager, "canteen.daily", canteen.id)
        fill_daily(manager, round_)
        db.session.commit()
        round_id = round_.id
    burst(app, "canteen", f"/checks/rounds/{round_id}/submit", {"signature": signature()}).assert_clean()
    with app.app_context():
        assert _audited("round.submitted") == 1
        assert db.session.get(CheckRound, round_id).status in ("submitted", "done", "late")


# The administration's switches -------------------------------------------------------------

def test_a_template_gets_one_draft_and_publishes_it_once(app):
    from schoolhq.checks import packs
    from schoolhq.checks.models import CheckTemplate

    with app.app_context():
        make_account("logistics", "logistics_head")
        published_id = packs.published("canteen.daily").id
    result = burst(app, "logistics", f"/checks/templates/{published_id}/new-version")
    assert not result.crashes and 500 not in result.codes, result.crashes[:3]
    with app.app_context():
        drafts = list(db.session.scalars(select(CheckTemplate).where(CheckTemplate.key == "canteen.daily",
                                                                     CheckTemplate.status == "draft")))
        assert len(drafts) == 1
        draft_id = drafts[0].id
    burst(app, "logistics", f"/checks/templates/{draft_id}/publish").assert_clean()
    with app.app_context():
        assert _count(CheckTemplate.id, CheckTemplate.key == "canteen.daily", CheckTemplate.status == "published") == 1
        assert _audited("template.published") == 1


@pytest.mark.parametrize("what", ["place archived", "account deactivated", "responsibility ended"])
def test_an_administrator_switch_clicked_fifty_times_is_recorded_once(app, what):
    from schoolhq.people import services as people

    with app.test_request_context():
        make_account("admin", "admin")
        campus = places.create_location("campus", "阳光小学")
        room = places.create_location("room", "101教室", campus.id)
        teacher = make_account("teacher", "staff")
        duty = people.add_responsibility(teacher.person_id, "班主任", room.id)
        db.session.commit()
        path, data, action = {
            "place archived": (f"/places/{room.id}/archive", {}, "location.archived"),
            "account deactivated": (f"/auth/accounts/{teacher.id}/active", {"active": "0"}, "account.deactivated"),
            "responsibility ended": (f"/people/{teacher.person_id}/responsibilities/{duty.id}/end", {},
                                     "responsibility.ended"),
        }[what]
    result = burst(app, "admin", path, data)
    assert not result.crashes and 500 not in result.codes, result.crashes[:3]
    with app.app_context():
        assert _audited(action) == 1


def test_a_ledger_imported_by_fifty_clicks_is_imported_once(app):
    import io

    from openpyxl import Workbook

    from schoolhq.assets.models import Asset, AssetImportRow

    with app.test_request_context():
        campus = places.create_location("campus", "阳光小学")
        places.create_location("room", "101教室", campus.id, code="A101")
        make_account("head", "logistics_head")
        db.session.commit()
    book = Workbook()
    book.active.append(["资产名称", "分类代码", "存放地点", "单价"])
    for n in range(20):  # no asset numbers: only the rows' fingerprints hold it
        book.active.append([f"椅子{n}", "A05010502", "A101", "120元"])
    data = io.BytesIO()
    book.save(data)
    uploader = app.test_client()
    login(uploader, "head")
    checked = uploader.post("/assets/import", data={"file": (io.BytesIO(data.getvalue()), "台账.xlsx")},
                            content_type="multipart/form-data")
    token = checked.get_data(as_text=True).split("/assets/import/", 1)[1].split('"', 1)[0]
    burst(app, "head", f"/assets/import/{token}", {"action": "all"}).assert_clean()
    with app.app_context():
        assert _count(Asset.id) == 20 and _count(AssetImportRow.id) == 20
