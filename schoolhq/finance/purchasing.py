"""Purchase requests (采购申请): made against a line of this year's budget, approved step by
step by amount (the limits are settings: up to the first the logistics head, up to the
second the principal as well, above it a 行政会 decision recorded with its minutes; the
emergency reserve always needs the principal), never by the person who asked nor twice by
one person; approved = committed against the line. Goods are then accepted (验收) by
someone other than the requester, and flow on: stock lines become a stock receipt, asset
lines are registered as assets. Only an accepted request is paid (services.record_expenditure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from schoolhq.core import audit, counters, settings
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError
from schoolhq.core.filters import money
from schoolhq.core.money import parse_yuan, yuan
from schoolhq.core.permissions import can
from schoolhq.core.timeutil import local_today, to_local, utcnow
from schoolhq.extensions import db
from schoolhq.finance import services
from schoolhq.finance.models import Acceptance, Approval, BudgetLine, PurchaseLine, PurchaseRequest

LEVEL_LABELS = {"head": _l("Logistics head"), "principal": _l("Principal"),
                "meeting": _l("Administrative meeting (行政会)")}
#: the permission each step's approver holds
LEVEL_PERMISSIONS = {"head": "finance.approve", "principal": "finance.approve_principal",
                     "meeting": "finance.approve_principal"}
KIND_LABELS = {"stock": _l("Stock item"), "asset": _l("Asset"), "other": _l("Other")}


def get_request_locked(request_id: int) -> PurchaseRequest:
    return locked(PurchaseRequest, request_id, _l("No such purchase request."))


def levels_needed(total_fen: int, emergency: bool) -> int:
    """How many of LEVELS approve a request of this amount (the emergency reserve: at
    least the principal)."""
    needed = 1
    if total_fen > settings.get("finance.head_limit_fen"):
        needed = 2
    if total_fen > settings.get("finance.principal_limit_fen"):
        needed = 3
    return max(needed, 2) if emergency else needed


# Making a request -----------------------------------------------------------------------------

@dataclass
class LineItem:
    kind: str
    description: str
    quantity: str
    unit_price: str
    stock_item_id: int | None = None
    asset_category_id: int | None = None


@dataclass
class RequestInput:
    line_id: int | None
    title: str
    justification: str
    items: list[LineItem] = field(default_factory=list)
    supplier: str = ""


def _quantity(text: str, number: int) -> int:
    cleaned = (text or "").strip()
    if not cleaned.isdigit() or int(cleaned) <= 0 or int(cleaned) > 100000:
        raise ServiceError(_l("Line %(n)s: the quantity is a whole number above zero.", n=number), "items")
    return int(cleaned)


def _item(item: LineItem, number: int) -> PurchaseLine:
    from schoolhq.assets.models import AssetCategory
    from schoolhq.stock.models import StockItem

    if item.kind not in KIND_LABELS:
        raise ServiceError(_l("Line %(n)s: choose what kind of thing it is.", n=number), "items")
    quantity = _quantity(item.quantity, number)
    try:
        price = parse_yuan(item.unit_price, "items")
    except ServiceError as error:
        raise ServiceError(_l("Line %(n)s: %(problem)s", n=number, problem=error.message), "items") from None
    description = (item.description or "").strip()
    stock_item = category = None
    if item.kind == "stock":
        stock_item = db.session.get(StockItem, item.stock_item_id or 0)
        if stock_item is None or stock_item.archived_at is not None:
            raise ServiceError(_l("Line %(n)s: choose the stock item.", n=number), "items")
        description = description or stock_item.name
    elif item.kind == "asset":
        category = db.session.get(AssetCategory, item.asset_category_id or 0)
        if category is None or category.archived_at is not None:
            raise ServiceError(_l("Line %(n)s: choose the asset category.", n=number), "items")
    if not description:
        raise ServiceError(_l("Line %(n)s: say what is to be bought.", n=number), "items")
    return PurchaseLine(kind=item.kind, description=description[:200], quantity=quantity, unit_price_fen=price,
                        stock_item_id=stock_item.id if stock_item else None,
                        asset_category_id=category.id if category else None)


def submit(account, data: RequestInput) -> PurchaseRequest:
    line = services.get_line(data.line_id)
    if line.fiscal_year != services.fiscal_year():
        raise ServiceError(_l("Line %(code)s is in the %(year)s budget; a request now is made against this "
                              "year's lines.", code=line.code, year=line.fiscal_year), "line_id")
    title, justification = (data.title or "").strip(), (data.justification or "").strip()
    if not title or len(title) > 100:
        raise ServiceError(_l("Give the request a short title (at most 100 characters)."), "title")
    if len(justification) < 4:
        raise ServiceError(_l("Say why it is needed."), "justification")
    given = [item for item in data.items if (item.description or "").strip() or (item.quantity or "").strip()
             or (item.unit_price or "").strip() or item.stock_item_id or item.asset_category_id]
    if not given:
        raise ServiceError(_l("Add at least one line."), "items")
    made = [_item(item, number) for number, item in enumerate(given, 1)]
    total = sum(line_.amount_fen for line_ in made)
    if total <= 0:
        raise ServiceError(_l("The request comes to nothing: give the prices."), "items")
    available = services.figures_of([line])[0].available_fen
    if total > available:
        raise services.overspend_refusal(available, total)
    year = services.fiscal_year()
    request = PurchaseRequest(number=f"CG{year}-{counters.next_value(f'finance.request.{year}'):04d}",
                              line_id=line.id, requester_id=account.id, title=title, justification=justification[:500],
                              supplier=(data.supplier or "").strip()[:100], total_fen=total,
                              levels_needed=levels_needed(total, line.emergency), lines=made)
    db.session.add(request)
    db.session.flush()
    audit.record("finance", "request.submitted", request, after={"total_fen": total, "line": line.code},
                 summary=f"{request.number} {title[:40]} {money(total)}")
    return request


# Approving ------------------------------------------------------------------------------------

def next_level(request: PurchaseRequest) -> str | None:
    """The step waiting for a decision, or None once every step has decided."""
    decided = {approval.level for approval in request.approvals}
    return next((level for level in request.levels if level not in decided), None)


def refusal_to_approve(account, request: PurchaseRequest):
    """Why `account` may not decide the waiting step (words), or None when they may."""
    level = next_level(request)
    if request.status != "pending" or level is None:
        return _l("%(number)s is no longer awaiting approval.", number=request.number)
    if account.id == request.requester_id:
        return _l("Nobody approves their own request.")
    # the meeting's decision is the meeting's (its minutes): the principal may record it
    if level != "meeting" and any(approval.by_id == account.id for approval in request.approvals):
        return _l("You have decided an earlier step of this request; the next one is someone else's.")
    if not can(account, LEVEL_PERMISSIONS[level]):
        return _l("This step is for the %(who)s.", who=LEVEL_LABELS[level])
    return None


def decide(account, request_id: int, approve: bool, note: str = "", minutes: str = "") -> Approval:
    """One step's decision. The request's row is locked and its state read after, and each
    step has one row (a unique key): two approvers pressing at once give one decision and
    a clear message to the other. The last approval commits the total against the line,
    which must have it available."""
    request = get_request_locked(request_id)
    level = next_level(request)
    refusal = refusal_to_approve(account, request)
    if refusal is not None:
        raise ServiceError(refusal)
    note, minutes = (note or "").strip(), (minutes or "").strip()
    if not approve and len(note) < 4:
        raise ServiceError(_l("Say why the request is rejected."), "note")
    if approve and level == "meeting" and len(minutes) < 4:
        raise ServiceError(_l("Give the meeting's date and minutes reference (会议纪要)."), "minutes")
    last = approve and level == request.levels[-1]
    if last:
        line = locked(BudgetLine, request.line_id, _l("No such budget line."))
        available = services.figures_of([line])[0].available_fen
        if request.total_fen > available:
            raise services.overspend_refusal(available, request.total_fen)
    approval = Approval(request_id=request.id, level=level, decision="approved" if approve else "rejected",
                        by_id=account.id, note=note[:300], minutes=minutes[:200])
    try:
        with db.session.begin_nested():
            db.session.add(approval)
            db.session.flush()
    except IntegrityError:
        raise ServiceError(_l("Someone has just decided this step; the page shows their decision.")) from None
    if not approve:
        request.status, request.decided_at = "rejected", utcnow()
    elif last:
        request.status, request.decided_at = "approved", utcnow()
    db.session.flush()
    db.session.expire(request, ["approvals"])
    audit.record("finance", "request.approved" if approve else "request.rejected", request,
                 after={"level": level, "note": note[:300]}, summary=request.number)
    return approval


def cancel(account, request_id: int, reason: str) -> PurchaseRequest:
    """Withdrawn by the requester or the finance office before the goods are accepted:
    what it committed is released."""
    request = get_request_locked(request_id)
    if account.id != request.requester_id and not can(account, "finance.manage"):
        raise ServiceError(_l("Only the requester or the finance office withdraws a request."))
    if request.status not in ("pending", "approved"):
        raise ServiceError(_l("%(number)s is %(status)s: it can no longer be withdrawn.", number=request.number,
                              status=services.request_status_label(request.status)))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ServiceError(_l("Say why the request is withdrawn."), "reason")
    request.status, request.cancelled_reason = "cancelled", reason[:300]
    db.session.flush()
    audit.record("finance", "request.cancelled", request, after={"reason": reason[:300]}, summary=request.number)
    return request


# Acceptance -----------------------------------------------------------------------------------

@dataclass
class AcceptanceInput:
    passed: bool | None
    accepted_on: date | None
    witness: str = ""
    note: str = ""
    store_id: int | None = None
    location_id: int | None = None


def refusal_to_accept(account, request: PurchaseRequest):
    if request.status != "approved":
        return _l("Only an approved request is accepted: %(number)s is %(status)s.", number=request.number,
                  status=services.request_status_label(request.status))
    if account.id == request.requester_id:
        return _l("The goods are accepted by someone other than who asked for them.")
    if not can(account, "finance.accept"):
        return _l("Acceptance is for the storekeeper, the asset keeper or the logistics head.")
    return None


def accept(account, request_id: int, data: AcceptanceInput) -> Acceptance:
    """验收: passed, the stock lines go into the chosen store as one receipt (linked to the
    request) and each asset line is registered as an asset card at the chosen place;
    refused, the request stays approved for the supplier to deliver again."""
    from schoolhq.stock import services as stock

    request = get_request_locked(request_id)
    refusal = refusal_to_accept(account, request)
    if refusal is not None:
        raise ServiceError(refusal)
    if data.passed is None:
        raise ServiceError(_l("Say whether the goods passed."), "passed")
    day = data.accepted_on
    if day is None:
        raise ServiceError(_l("Enter the day of the acceptance."), "accepted_on")
    if day > local_today():
        raise ServiceError(_l("The acceptance cannot be dated in the future."), "accepted_on")
    if request.decided_at and day < to_local(request.decided_at).date():
        raise ServiceError(_l("The acceptance cannot come before the approval (%(day)s).",
                              day=to_local(request.decided_at).date().isoformat()), "accepted_on")
    witness, note = (data.witness or "").strip(), (data.note or "").strip()
    if not witness:
        raise ServiceError(_l("Name the second person at the acceptance."), "witness")
    if not data.passed and len(note) < 4:
        raise ServiceError(_l("Say what was wrong with the goods."), "note")
    acceptance = Acceptance(request_id=request.id, result="passed" if data.passed else "refused", accepted_on=day,
                            by_id=account.id, witness=witness[:100], note=note[:300])
    if data.passed:
        stock_lines = [line for line in request.lines if line.kind == "stock"]
        if stock_lines:
            if not data.store_id:
                raise ServiceError(_l("Choose the store the goods go into."), "store_id")
            receipt = stock.receive(data.store_id, [stock.ReceiptLine(line.stock_item_id, str(line.quantity),
                                                                      yuan(line.unit_price_fen))
                                                    for line in stock_lines],
                                    supplier=request.supplier, received_on=day,
                                    note=f"{request.number} {request.title}"[:300], purchase_request_id=request.id)
            acceptance.receipt_id = receipt.id
        _register_assets(request, [line for line in request.lines if line.kind == "asset"], data.location_id, day)
        request.status, request.accepted_at = "accepted", utcnow()
    db.session.add(acceptance)
    db.session.flush()
    audit.record("finance", "request.accepted" if data.passed else "request.refused", request,
                 after={"witness": witness[:100], "note": note[:300]}, summary=request.number)
    return acceptance


#: at most this many cards from one line (a larger delivery is registered on the assets pages)
MOST_CARDS = 200


def _register_assets(request: PurchaseRequest, asset_lines: list[PurchaseLine], location_id: int | None,
                     day: date) -> None:
    """Each asset line onto the register: a fixed asset (at or above the threshold) a card
    for each unit, as 一物一卡 asks; anything cheaper one card for the lot."""
    from schoolhq.assets.models import AssetCategory
    from schoolhq.assets.services import register_asset, suggest_tier

    if not asset_lines:
        return
    if not location_id:
        raise ServiceError(_l("Choose where the new assets are kept."), "location_id")
    for line in asset_lines:
        category = db.session.get(AssetCategory, line.asset_category_id)
        tier = suggest_tier(line.unit_price_fen, special_equipment=category.class_2010 == "3")
        cards = line.quantity if tier == "fixed_asset" else 1
        if cards > MOST_CARDS:
            raise ServiceError(_l("%(n)s cards from one line is more than accepting registers at once: register "
                                  "them on the assets pages.", n=cards), "location_id")
        for _card in range(cards):
            register_asset({"name": line.description, "category_id": line.asset_category_id, "tier": tier,
                            "unit_price_fen": line.unit_price_fen, "quantity": line.quantity // cards,
                            "purchased_on": day, "booked_on": day, "voucher_no": request.number,
                            "supplier": request.supplier, "acquisition_method": "购置"}, location_id,
                           source=request.number)


def stock_item_choices() -> list[tuple[str, str]]:
    from schoolhq.stock.models import StockItem

    return [(str(item_id), name) for item_id, name in db.session.execute(
        select(StockItem.id, StockItem.name).where(StockItem.archived_at.is_(None)).order_by(StockItem.name))]


def registered_assets(request: PurchaseRequest) -> list:
    """The asset cards its acceptance registered (their voucher is the request's number)."""
    from schoolhq.assets.models import Asset

    if request.status not in ("accepted", "paid") or not any(line.kind == "asset" for line in request.lines):
        return []
    return list(db.session.scalars(select(Asset).where(Asset.voucher_no == request.number).order_by(Asset.id)))


# Lists ----------------------------------------------------------------------------------------

def listed(status: str = "open", account=None):
    """A select of requests: open (awaiting a decision, approved, accepted), awaiting the
    reader's decision, or of one status; newest first."""
    from schoolhq.auth.models import Account

    query = select(PurchaseRequest).options(
        joinedload(PurchaseRequest.line), joinedload(PurchaseRequest.requester).joinedload(Account.person)
    ).order_by(PurchaseRequest.id.desc())
    if status == "open":
        return query.where(PurchaseRequest.status.in_(("pending", "approved", "accepted")))
    if status == "mine":
        return query.where(PurchaseRequest.requester_id == (account.id if account else -1))
    if status in services.REQUEST_STATUS_LABELS:
        return query.where(PurchaseRequest.status == status)
    return query


def awaiting(account) -> list[PurchaseRequest]:
    """The pending requests whose waiting step `account` may decide."""
    # every dashboard view of an approver asks: the approvals come with the requests, not one query each
    pending = db.session.scalars(select(PurchaseRequest).options(selectinload(PurchaseRequest.approvals))
                                 .where(PurchaseRequest.status == "pending").order_by(PurchaseRequest.id))
    return [request for request in pending if refusal_to_approve(account, request) is None]


def dashboard_items(account) -> list:
    from flask import url_for

    from schoolhq.dashboard.services import SHOWN, Entry, Item
    from schoolhq.finance import splitting

    items = []
    if account is None:
        return items
    if can(account, "finance.approve") or can(account, "finance.approve_principal"):
        mine = awaiting(account)
        if mine:
            items.append(Item("finance", _l("Purchase requests to approve"), len(mine),
                              url_for("finance.request_list", status="pending"), "warning",
                              [Entry(f"{r.number} {r.title}", url_for("finance.request_page", request_id=r.id),
                                     money(r.total_fen)) for r in mine[:SHOWN]]))
    if can(account, "finance.approve_principal"):
        flagged = splitting.clusters(services.fiscal_year())
        if flagged:
            items.append(Item("finance", _l("Purchases that may have been split (化整为零)"), len(flagged),
                              url_for("finance.split"), "danger",
                              [Entry(f"{c.name} · {len(c.requests)} × < {money(c.tier_fen)}", url_for("finance.split"),
                                     money(c.total_fen)) for c in flagged[:SHOWN]]))
    return items
