"""Finance: budget lines with their adjustments and figures (budget, committed, spent,
available, both execution rates), purchase requests approved step by step by amount
(never by the requester, never two steps by one person, two approvals at once count
once), acceptance before payment (stock into the store, assets onto the register), the
expenditure journal that is never overspent without an adjustment and is corrected only by
reversals; bad input changes nothing; the pages in both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from schoolhq.core import settings
from schoolhq.core.errors import ServiceError
from schoolhq.core.money import parse_yuan
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.finance import purchasing, services
from schoolhq.finance.models import Approval, BudgetAdjustment, Expenditure, PurchaseRequest
from tests.conftest import at_once, login, make_account
from tests.factories.finance import ask, asset_category_id, office

pytestmark = pytest.mark.dated


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _figures(line):
    return services.figures_of([line])[0]


def _approved(o, request):
    """Every step approved: the head, the principal, the meeting (recorded by the principal)."""
    by = {"head": o.head, "principal": o.principal, "meeting": o.principal}
    while purchasing.next_level(request) is not None:
        level = purchasing.next_level(request)
        purchasing.decide(by[level], request.id, True, minutes="2026年第9次行政会纪要" if level == "meeting" else "")
    db.session.commit()
    return request


def _accepted(o, request, by=None):
    purchasing.accept(by or o.head, request.id, purchasing.AcceptanceInput(
        passed=True, accepted_on=local_today(), witness="赵敏", store_id=o.stock_store.id))
    db.session.commit()


def _pay(o, request=None, amount="", line=None, **changes):
    data = services.ExpenditureInput(line_id=(line or o.line).id if not request else None, paid_on=local_today(),
                                     amount=amount, purpose="" if request else "办公用品",
                                     request_id=request.id if request else None, invoice_no="No.0012345",
                                     invoice_date=local_today())
    for name, value in changes.items():
        setattr(data, name, value)
    return services.record_expenditure(o.accountant, data)


def test_amounts_are_read_as_people_and_spreadsheets_write_them():
    assert parse_yuan("1,234.50") == 123450
    assert parse_yuan("¥300") == 30000
    assert parse_yuan("1078元") == 107800
    assert parse_yuan("12,345,678.9") == 1234567890
    for slip in ("1,2.3", "12,34", "1.234", "三百"):
        with pytest.raises(ServiceError):
            parse_yuan(slip)


def test_a_purchase_from_request_to_payment_moves_the_lines_figures(ctx):
    o = office("20000")
    request = ask(o, [("stock", "", 100, "29.50", o.item.id)])
    assert request.total_fen == 295000 and request.levels == ("head", "principal"), "¥2,950 needs the principal"
    assert _figures(o.line).committed_fen == 0, "pending commits nothing"
    _approved(o, request)
    assert request.status == "approved" and _figures(o.line).committed_fen == 295000
    assert _figures(o.line).committed_rate == pytest.approx(0.1475) and _figures(o.line).spent_rate == 0
    _accepted(o, request)
    from schoolhq.stock.models import StockReceipt
    receipt = db.session.scalar(select(StockReceipt).where(StockReceipt.purchase_request_id == request.id))
    assert receipt is not None and request.acceptances[0].receipt_id == receipt.id, "received into the store"
    paid = _pay(o, request, amount="2,950.00")
    db.session.commit()
    assert request.status == "paid" and paid.supplier == "得力办公"
    figures = _figures(o.line)
    assert (figures.committed_fen, figures.spent_fen, figures.available_fen) == (0, 295000, 2000000 - 295000)
    assert figures.spent_rate == pytest.approx(0.1475) and figures.committed_rate == pytest.approx(0.1475)


def test_the_approval_chain_follows_the_amount_and_the_settings(ctx):
    o = office("200000")
    assert ask(o, [("other", "订书钉", 1, "500")]).levels == ("head",)
    assert ask(o, [("other", "订书机", 1, "500.01")]).levels == ("head", "principal")
    assert ask(o, [("other", "复印机", 1, "10000.01")]).levels == ("head", "principal", "meeting")
    settings.update({"finance.head_limit_fen": 100_000})
    assert ask(o, [("other", "订书机", 1, "900")]).levels == ("head",), "the limit is a setting"
    reserve = services.save_line(o.accountant, None, services.LineInput(services.fiscal_year(), "399-01", "应急资金",
                                                                         "30000", emergency=True))
    assert ask(o, [("other", "应急照明", 1, "100")], line=reserve).levels == ("head", "principal"), \
        "the emergency fund always needs the principal"


def test_nobody_approves_their_own_request_nor_two_steps_of_one(ctx):
    from schoolhq.auth import services as auth

    o = office()
    own = ask(o, [("other", "档案盒", 10, "100")], requester=o.head)
    db.session.commit()
    with pytest.raises(ServiceError, match="本人"):
        purchasing.decide(o.head, own.id, True)
    db.session.rollback()
    both = make_account("deputy", "logistics_head", name="李副校长")
    auth.assign_role(both.id, next(r for r in auth.roles() if r.code == "principal").id)
    db.session.commit()
    request = ask(o, [("other", "档案柜", 2, "800")])
    db.session.commit()
    with pytest.raises(ServiceError, match="后勤主任"):
        purchasing.decide(o.principal, request.id, True)
    db.session.rollback()
    purchasing.decide(both, request.id, True)
    db.session.commit()
    with pytest.raises(ServiceError, match="下一环节须由他人"):
        purchasing.decide(both, request.id, True)
    db.session.rollback()
    assert [a.level for a in db.session.scalars(select(Approval).where(Approval.request_id == request.id))] == ["head"]


def test_a_meeting_decides_with_its_minutes_and_a_rejection_says_why(ctx):
    o = office("100000")
    big = ask(o, [("other", "多功能教室音响", 1, "18600")])
    purchasing.decide(o.head, big.id, True)
    purchasing.decide(o.principal, big.id, True)
    db.session.commit()
    assert big.status == "pending" and purchasing.next_level(big) == "meeting"
    with pytest.raises(ServiceError, match="会议纪要"):
        purchasing.decide(o.principal, big.id, True, minutes="")
    db.session.rollback()
    purchasing.decide(o.principal, big.id, True, minutes="2026年第9次行政会纪要")
    assert big.status == "approved" and big.approvals[-1].minutes == "2026年第9次行政会纪要"
    small = ask(o, [("other", "饮水机", 2, "420")])
    db.session.commit()
    with pytest.raises(ServiceError, match="驳回理由"):
        purchasing.decide(o.head, small.id, False, note="")
    db.session.rollback()
    purchasing.decide(o.head, small.id, False, note="已有可调配饮水机")
    assert small.status == "rejected" and _figures(o.line).committed_fen == big.total_fen


def test_a_line_is_not_overspent_without_an_adjustment_first(ctx):
    o = office("1000")
    with pytest.raises(ServiceError, match="超支 ¥200.00"):
        ask(o, [("other", "碎纸机", 1, "1200")])
    db.session.rollback()
    assert _count(PurchaseRequest) == 0
    with pytest.raises(ServiceError, match="超支"):
        _pay(o, amount="1000.01")
    db.session.rollback()
    for amount, reason, approver, message in (("0", "追加", "校长", "调增"), ("500", "", "校长", "调整原因"),
                                              ("500", "临时追加打印耗材", "", "审批人")):
        with pytest.raises(ServiceError, match=message):
            services.adjust(o.accountant, o.line.id, amount, reason, approver)
        db.session.rollback()
    services.adjust(o.accountant, o.line.id, "+500", "期中考试印刷追加", "校长 张建国")
    request = ask(o, [("other", "碎纸机", 1, "1200")])
    _approved(o, request)
    assert _figures(o.line).available_fen == 30000
    with pytest.raises(ServiceError, match="不能低于"):
        services.adjust(o.accountant, o.line.id, "-400", "年中压减", "校务会")
    db.session.rollback()
    services.adjust(o.accountant, o.line.id, "-300", "年中压减", "校务会")
    assert _figures(o.line).available_fen == 0 and _count(BudgetAdjustment) == 2


def test_nothing_is_paid_before_the_goods_are_accepted(ctx):
    o = office()
    request = _approved(o, ask(o, [("stock", "", 20, "25", o.item.id)]))
    with pytest.raises(ServiceError, match="验收合格"):
        _pay(o, request, amount="500")
    db.session.rollback()
    with pytest.raises(ServiceError, match="申请人以外"):
        _accepted(o, request, by=o.store)
    db.session.rollback()
    with pytest.raises(ServiceError, match="问题"):
        purchasing.accept(o.head, request.id, purchasing.AcceptanceInput(False, local_today(), "赵敏", ""))
    db.session.rollback()
    purchasing.accept(o.head, request.id, purchasing.AcceptanceInput(False, local_today(), "赵敏", "规格不符，退回重供"))
    db.session.commit()
    assert request.status == "approved", "refused goods: the supplier delivers again"
    with pytest.raises(ServiceError, match="入库仓库"):
        purchasing.accept(o.head, request.id, purchasing.AcceptanceInput(True, local_today(), "赵敏"))
    db.session.rollback()
    _accepted(o, request)
    _pay(o, request, amount="500")
    db.session.commit()
    with pytest.raises(ServiceError, match="已报账"):
        _pay(o, request, amount="500")
    db.session.rollback()
    assert _count(Expenditure) == 1


@pytest.mark.parametrize("changes, message", [
    ({"amount": "1,2.3"}, "以元为单位"),
    ({"amount": "0"}, "大于零"),
    ({"invoice_date": "after"}, "开票日期晚于支付日期"),
    ({"paid_on": "tomorrow"}, "不能晚于今天"),
    ({"paid_on": None}, "支付日期"),
    ({"purpose": ""}, "支出事由"),
    ({"ticket_id": 999999}, "报修单号"),
    ({"asset_number": "ZC-NONE"}, "ZC-NONE"),
    ({"receipt_number": "RK-NONE"}, "RK-NONE"),
    ({"line": "last year"}, "年度预算"),
    ({"line_id": None}, "请选择预算项目"),
    ({"line_id": 999999}, "请选择预算项目"),
])
def test_a_bad_payment_is_refused_and_nothing_is_written(ctx, changes, message):
    o = office()
    given = dict(changes)
    if given.get("invoice_date") == "after":
        given["invoice_date"], given["paid_on"] = local_today(), local_today() - timedelta(days=1)
    if given.get("paid_on") == "tomorrow":
        given["paid_on"] = local_today() + timedelta(days=1)
    line = None
    if given.pop("line", None):
        line = services.save_line(o.accountant, None, services.LineInput(services.fiscal_year() - 1, "302-01", "办公费",
                                                                         "5000"))
        db.session.commit()
    with pytest.raises(ServiceError, match=message):
        _pay(o, amount=given.pop("amount", "100"), line=line, **given)
    db.session.rollback()
    assert _count(Expenditure) == 0


@pytest.mark.parametrize("items, message", [
    ([("other", "白板笔", "-3", "5")], "大于零的整数"),
    ([("other", "白板笔", "2.5", "5")], "大于零的整数"),
    ([("other", "白板笔", "3", "1,2.3")], "第 1 行"),
    ([("stock", "", "3", "5", None)], "库存物品"),
    ([("asset", "投影仪", "1", "5000", None)], "资产分类"),
    ([("other", "", "3", "5")], "采购内容"),
    ([("other", "白板笔", "3", "0")], "金额为零"),
    ([], "至少"),
])
def test_a_bad_request_is_refused_and_nothing_is_written(ctx, items, message):
    o = office()
    with pytest.raises(ServiceError, match=message):
        ask(o, items)
    db.session.rollback()
    assert _count(PurchaseRequest) == 0


def test_a_request_on_a_line_of_another_year_is_refused(ctx):
    o = office()
    old = services.save_line(o.accountant, None, services.LineInput(services.fiscal_year() - 1, "302-01", "办公费",
                                                                     "5000"))
    db.session.commit()
    with pytest.raises(ServiceError, match="本年度"):
        ask(o, [("other", "白板笔", 3, "5")], line=old)
    for year, message in (("1999", "预算年度"), ("明年", "预算年度")):
        with pytest.raises(ServiceError, match=message):
            services.save_line(o.accountant, None, services.LineInput(year, "302-09", "其他", "100"))
    with pytest.raises(ServiceError, match="已有编码"):
        services.save_line(o.accountant, None, services.LineInput(services.fiscal_year(), "302-01", "重复", "100"))


def test_a_payment_is_reversed_never_edited(ctx):
    o = office()
    request = _approved(o, ask(o, [("other", "窗帘清洗", 1, "800")]))
    _accepted(o, request)
    paid = _pay(o, request, amount="800")
    db.session.commit()
    with pytest.raises(ServiceError, match="冲销原因"):
        services.reverse_expenditure(o.accountant, paid.id, "")
    db.session.rollback()
    reversal = services.reverse_expenditure(o.accountant, paid.id, "发票抬头有误，退回重开")
    db.session.commit()
    assert reversal.amount_fen == -80000 and reversal.reverses_id == paid.id
    assert request.status == "accepted" and _figures(o.line).spent_fen == 0, "to be paid again, correctly"
    with pytest.raises(ServiceError, match="已被冲销"):
        services.reverse_expenditure(o.accountant, paid.id, "再次冲销")
    db.session.rollback()
    with pytest.raises(ServiceError, match="本身就是冲销"):
        services.reverse_expenditure(o.accountant, reversal.id, "冲销冲销")
    db.session.rollback()
    for statement in ("UPDATE finance_expenditure SET amount_fen = 1", "DELETE FROM finance_expenditure",
                      "UPDATE finance_approval SET decision = 'rejected'", "DELETE FROM finance_acceptance"):
        with pytest.raises((DBAPIError, IntegrityError)):
            with db.session.begin_nested():
                db.session.execute(text(statement))
    db.session.rollback()
    assert _count(Expenditure) == 2


def test_accepted_asset_lines_are_registered_as_assets(ctx):
    from schoolhq.assets.models import Asset
    from schoolhq.places import services as places

    o = office("50000")
    request = _approved(o, ask(o, [("asset", "投影仪 3LCD", 2, "5680", asset_category_id())], title="会议室投影仪"))
    with pytest.raises(ServiceError, match="存放地点"):
        purchasing.accept(o.head, request.id, purchasing.AcceptanceInput(True, local_today(), "赵敏"))
    db.session.rollback()
    room = places.create_location("room", "会议室", places.tree()[0].id)
    purchasing.accept(o.head, request.id, purchasing.AcceptanceInput(True, local_today(), "赵敏", location_id=room.id))
    db.session.commit()
    cards = list(db.session.scalars(select(Asset).where(Asset.voucher_no == request.number).order_by(Asset.id)))
    assert [(a.quantity, a.unit_price_fen, a.tier, a.location_id) for a in cards] == \
        [(1, 568000, "fixed_asset", room.id)] * 2, "a fixed asset: a card for each (一物一卡)"
    assert purchasing.registered_assets(request) == cards
    cheap = _approved(o, ask(o, [("asset", "折叠椅", 30, "85", asset_category_id())], title="折叠椅"))
    purchasing.accept(o.head, cheap.id, purchasing.AcceptanceInput(True, local_today(), "赵敏", location_id=room.id))
    chairs = purchasing.registered_assets(cheap)
    assert [(a.quantity, a.tier) for a in chairs] == [(30, "low_value_durable")], "below the threshold: one card"


def test_two_approvals_of_the_same_request_at_once_count_once(app):
    """Two logistics heads press Approve on the same ¥300 request at the same moment: one
    decision is recorded, the other desk is told."""
    from schoolhq.auth.models import Account

    with app.test_request_context():
        o = office()
        second = make_account("logistics2", "logistics_head", name="周副主任")
        request_id = ask(o, [("other", "插线板", 10, "30")]).id
        db.session.commit()
        heads = [o.head.id, second.id]
    results = at_once(app, *(lambda account_id=account_id: purchasing.decide(
        db.session.get(Account, account_id), request_id, True) for account_id in heads))
    assert sorted(r == "ok" for r in results) == [False, True], results
    with app.app_context():
        assert db.session.scalar(select(func.count(Approval.id)).where(Approval.request_id == request_id)) == 1
        assert db.session.get(PurchaseRequest, request_id).status == "approved"
        assert services.figures_of([db.session.get(PurchaseRequest, request_id).line])[0].committed_fen == 30000


def test_the_pages_in_both_languages(app, client):
    with app.test_request_context():
        o = office()
        request = _approved(o, ask(o, [("stock", "", 40, "25", o.item.id)], title="复印纸"))
        _accepted(o, request)
        _pay(o, request, amount="1000")
        pending = ask(o, [("other", "档案盒", 10, "100")])
        db.session.commit()
        line_id, request_id, pending_id, item_id = o.line.id, request.id, pending.id, o.item.id
    login(client, "accountant")
    lines = client.get("/finance/").get_data(as_text=True)
    assert "预算执行情况" in lines and "302-01" in lines and "¥1,000.00" in lines and "每月支出" in lines
    assert "办公费" in client.get(f"/finance/lines/{line_id}").get_data(as_text=True)
    assert "复印纸" in client.get("/finance/expenditures").get_data(as_text=True)
    refused = client.post("/finance/expenditures/new", data={"line_id": str(line_id), "paid_on": local_today().isoformat(),
                                                             "amount": "1,2.3", "purpose": "邮费"})
    assert refused.status_code == 422 and "以元为单位" in refused.get_data(as_text=True)
    made = client.post("/finance/lines/new", data={"fiscal_year": str(services.fiscal_year()), "code": "302-13",
                                                   "name": "维修（护）费", "original": "120,000"})
    assert made.status_code == 303
    client.post("/lang", data={"language": "en"})
    english = client.get("/finance/").get_data(as_text=True)
    assert "Budget execution" in english and "Spent and committed of budget" in english
    client.post("/lang", data={"language": "zh_CN"})
    client.get("/auth/logout")
    login(client, "logistics")
    page = client.get(f"/finance/requests/{pending_id}").get_data(as_text=True)
    assert "您的审批意见" in page
    assert client.post(f"/finance/requests/{pending_id}/decide", data={"decision": "approve"}).status_code == 303
    client.get("/auth/logout")
    login(client, "store")
    form = client.get("/finance/requests/new").get_data(as_text=True)
    assert "新建采购申请" in form
    bad = client.post("/finance/requests/new", data={"line_id": str(line_id), "title": "订书钉",
                                                     "justification": "办公所需", "kind-0": "stock",
                                                     "item-0": str(item_id), "quantity-0": "-1", "price-0": "5"})
    assert bad.status_code == 422 and "大于零的整数" in bad.get_data(as_text=True)
    good = client.post("/finance/requests/new", data={"line_id": str(line_id), "title": "订书钉",
                                                      "justification": "办公所需", "kind-0": "stock",
                                                      "item-0": str(item_id), "quantity-0": "5", "price-0": "5"})
    assert good.status_code == 303
    assert client.get(f"/finance/requests/{request_id}").status_code == 200, "one's own request"
    assert client.get("/finance/").status_code == 403
    client.get("/auth/logout")
    login(client, "teacher")
    assert client.get(f"/finance/requests/{request_id}").status_code == 403
    assert client.get("/finance/requests").status_code == 403


def test_two_payments_at_once_do_not_overspend_a_line(app):
    """Two desks pay ¥600 each from a ¥1,000 line at the same moment: the line's row is
    locked, so the second sees the first and is refused."""
    from schoolhq.auth.models import Account

    with app.test_request_context():
        o = office("1000")
        line_id = o.line.id
        desks = [o.accountant.id, make_account("accountant2", "accountant", name="孙会计").id]
        db.session.commit()
    results = at_once(app, *(lambda account_id=account_id: services.record_expenditure(
        db.session.get(Account, account_id), services.ExpenditureInput(
            line_id=line_id, paid_on=local_today(), amount="600", purpose="打印耗材")) for account_id in desks))
    assert sorted(r == "ok" for r in results) == [False, True], results
    assert any("超支" in r for r in results), results
    with app.app_context():
        assert db.session.scalar(select(func.sum(Expenditure.amount_fen)).where(Expenditure.line_id == line_id)) == 60000
