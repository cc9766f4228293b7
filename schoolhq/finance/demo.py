"""The demo school's budget for this fiscal year so far: five lines (the office line near
its limit, the emergency reserve untouched), one adjustment, purchase requests in every
state — paid, accepted and waiting to be paid, approved and waiting for the goods, waiting
for the principal, rejected — one purchase of curtains split three ways just under the
three-quotes tier (flagged for the principal), and the payments of the year. Every date is between the
first of January and today (on New Year's Day everything happened today)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from schoolhq.auth.models import Account
from schoolhq.core import counters
from schoolhq.core.timeutil import local_time_utc, local_today, utcnow
from schoolhq.extensions import db
from schoolhq.finance import purchasing, services
from schoolhq.finance.models import (
    Acceptance,
    Approval,
    BudgetAdjustment,
    Expenditure,
    PurchaseLine,
    PurchaseRequest,
)

LINES = (  # code, name, department, original yuan, emergency
    ("302-01", "办公费", "总务处", 60_000, False),
    ("302-13", "维修（护）费", "总务处", 120_000, False),
    ("302-18", "专用材料费（教学耗材）", "教务处", 80_000, False),
    ("310-02", "办公设备购置", "总务处", 150_000, False),
    ("399-01", "应急资金", None, 30_000, True),
)


def _day(year_start: date, today: date, share: float) -> date:
    """A day `share` of the way from the first of January to today."""
    return year_start + timedelta(days=int((today - year_start).days * share))


def _at(day: date, hour: int) -> datetime:
    """That hour of the day, or a minute ago when it has not come yet (today, early)."""
    return min(local_time_utc(day, f"{hour:02d}:{(hour * 7) % 60:02d}"), utcnow() - timedelta(minutes=1))


def load(_school_rng: random.Random, small: bool = False) -> None:
    from schoolhq.people.models import Department

    accounts = {a.username: a for a in db.session.scalars(select(Account))}
    if not {"logistics", "principal", "accountant", "store"} <= set(accounts):
        return
    head, principal, accountant, store = (accounts[k] for k in ("logistics", "principal", "accountant", "store"))
    rng = random.Random(17)
    today = local_today()
    start = date(today.year, 1, 1)
    departments = {d.name: d.id for d in db.session.scalars(select(Department))}
    lines = {}
    for code, name, department, amount, emergency in LINES:
        lines[code] = services.save_line(accountant, None, services.LineInput(
            fiscal_year=today.year, code=code, name=name, original=str(amount),
            department_id=departments.get(department or ""), emergency=emergency))
    db.session.add(BudgetAdjustment(line_id=lines["302-13"].id, amount_fen=2_000_000, approved_by="校长 张建国（校务会 3月）",
                                    reason="春季屋面防水维修追加", made_on=_day(start, today, 0.2),
                                    created_by_id=accountant.id, created_at=_at(_day(start, today, 0.2), 15)))
    # the office line: paid regularly all year, up to 96% of its budget
    office_paid, office_budget = 0, lines["302-01"].original_fen
    paid_days = sorted(_day(start, today, rng.random()) for _n in range(14))
    for n, day in enumerate(paid_days):
        amount = office_budget * 96 // 100 // len(paid_days) + rng.randrange(-20_000, 20_000)
        if n == len(paid_days) - 1:
            amount = office_budget * 96 // 100 - office_paid
        office_paid += amount
        _paid(accountant, lines["302-01"], day, amount, rng.choice(("晨光文具", "得力办公", "区印刷厂")),
              rng.choice(("打印纸、墨盒", "办公文具", "会议材料印刷", "快递与邮寄")))
    item_id, item_name = _stock_item("白板笔")
    requests = [
        # title, line, lines (kind, description, quantity, unit fen), state, share of the year when made
        ("教学楼走廊LED灯管更换", "302-13", [("other", "LED灯管 T8 1.2米", 80, 3_500), ("other", "安装人工", 1, 40_000)],
         "paid", 0.3),
        ("教研组白板笔补充", "302-18", [("stock" if item_id else "other", item_name, 60, 2_800)], "accepted", 0.6),
        ("会议室投影仪", "310-02", [("asset", "投影仪 3LCD 4000流明", 1, 568_000)], "approved", 0.75),
        ("多功能教室音响系统", "310-02", [("asset", "音响系统（含功放、话筒）", 1, 1_860_000)], "pending", 0.9),
        ("办公室饮水机", "302-01", [("other", "温热型饮水机", 2, 42_000)], "rejected", 0.5),
    ]
    # one purchase split three ways to stay under the three-quotes tier (¥5,000): flagged
    for floor, share in (("一楼", 0.55), ("二楼", 0.62), ("三楼", 0.7)):
        requests.append((f"教学楼{floor}教室窗帘更换", "302-13", [("other", f"遮光窗帘（教学楼{floor}）", 23, 20_000)],
                         "paid", share))
    category_id = _asset_category()
    for title, code, items, state, share in requests:
        made_on = _day(start, today, share)
        _request(title, lines[code], items, state, made_on, today, store, head, principal, accountant,
                 item_id, category_id)
    db.session.flush()


def _asset_category() -> int | None:
    """Office equipment (办公设备, A020200), or else any category of equipment (A02)."""
    from schoolhq.assets.models import AssetCategory

    return db.session.scalar(select(AssetCategory.id).where(AssetCategory.archived_at.is_(None),
                                                           AssetCategory.code.like("A02%"))
                             .order_by((AssetCategory.code != "A02020000"), AssetCategory.code))


def _stock_item(name: str) -> tuple[int | None, str]:
    from schoolhq.stock.models import StockItem

    found = db.session.execute(select(StockItem.id, StockItem.name).where(StockItem.archived_at.is_(None))
                               .order_by(StockItem.name != name, StockItem.id)).first()
    return (found.id, found.name) if found else (None, name)


def _paid(accountant, line, day: date, amount: int, supplier: str, purpose: str, request_id: int | None = None):
    expenditure = Expenditure(
        number=f"ZC{day.year}-{counters.next_value(f'finance.expenditure.{day.year}'):05d}", line_id=line.id,
        paid_on=day, amount_fen=amount, supplier=supplier, invoice_no=f"{day:%m%d}{amount % 100000:05d}",
        invoice_date=day, purpose=purpose, request_id=request_id, created_by_id=accountant.id,
        created_at=_at(day, 16))
    db.session.add(expenditure)
    return expenditure


def _request(title, line, items, state, made_on, today, requester, head, principal, accountant, item_id, category_id):
    made = [PurchaseLine(kind=kind if kind != "asset" or category_id else "other", description=description,
                         quantity=quantity, unit_price_fen=price,
                         stock_item_id=item_id if kind == "stock" else None,
                         asset_category_id=category_id if kind == "asset" and category_id else None)
            for kind, description, quantity, price in items]
    total = sum(m.quantity * m.unit_price_fen for m in made)
    request = PurchaseRequest(
        number=f"CG{made_on.year}-{counters.next_value(f'finance.request.{made_on.year}'):04d}", line_id=line.id,
        requester_id=requester.id, title=title, justification="教学与办公所需，经处室讨论", supplier="区政府采购协议供应商",
        total_fen=total, levels_needed=purchasing.levels_needed(total, line.emergency), lines=made,
        status=state, created_at=_at(made_on, 9))
    db.session.add(request)
    db.session.flush()
    decided_on = min(made_on + timedelta(days=1), today)
    approvers = {"head": head, "principal": principal, "meeting": principal}
    for level in request.levels:
        if state == "pending" and level != "head":
            break
        decision = "rejected" if state == "rejected" else "approved"
        db.session.add(Approval(request_id=request.id, level=level, decision=decision, by_id=approvers[level].id,
                                note="本处室已有可调配饮水机，暂缓购置" if decision == "rejected" else "",
                                minutes=f"{decided_on.year}年第{decided_on.month}次行政会纪要" if level == "meeting" else "",
                                created_at=_at(decided_on, 10)))
        if decision == "rejected":
            break
    if state in ("approved", "accepted", "paid", "rejected"):
        request.decided_at = _at(decided_on, 10)
    if state in ("accepted", "paid"):
        accepted_on = min(decided_on + timedelta(days=5), today)
        db.session.add(Acceptance(request_id=request.id, result="passed", accepted_on=accepted_on, by_id=head.id,
                                  witness="赵敏（仓库管理员）", created_at=_at(accepted_on, 14),
                                  receipt_id=_received(request, accepted_on)))
        request.accepted_at = _at(accepted_on, 14)
        if state == "paid":
            paid_on = min(accepted_on + timedelta(days=7), today)
            _paid(accountant, line, paid_on, total, request.supplier, title, request.id)
            request.paid_at = _at(paid_on, 16)


def _received(request: PurchaseRequest, day: date) -> int | None:
    """The stock lines received into the main store, as an acceptance does."""
    from schoolhq.core.money import yuan
    from schoolhq.stock import services as stock

    stock_lines = [line for line in request.lines if line.kind == "stock"]
    stores = stock.stores()
    if not stock_lines or not stores:
        return None
    return stock.receive(stores[0].id, [stock.ReceiptLine(line.stock_item_id, str(line.quantity),
                                                          yuan(line.unit_price_fen)) for line in stock_lines],
                         supplier=request.supplier, received_on=day, note=f"{request.number} {request.title}",
                         purchase_request_id=request.id).id
