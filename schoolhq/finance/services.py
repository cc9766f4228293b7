"""The rules of the budget and of spending: budget lines of a fiscal year (the calendar
year, as China's budgets run), adjustments with a reason and who approved them, what each
line has committed (approved requests not yet paid) and spent, and the expenditure journal
(支出), where a line is never spent past its current amount without an adjustment first
and a mistake is reversed, not edited. Purchase requests are in `purchasing.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from schoolhq.core import audit, counters
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.filters import money
from schoolhq.core.money import parse_yuan
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.core.uploads import save_if_given
from schoolhq.extensions import db
from schoolhq.finance.models import BudgetAdjustment, BudgetLine, Expenditure, PurchaseRequest

#: request statuses whose total is committed (在途) against the line until paid
COMMITTED = ("approved", "accepted")


def fiscal_year(day: date | None = None) -> int:
    return (day or local_today()).year


def get_line(line_id: int | None) -> BudgetLine:
    return get_or_raise(BudgetLine, line_id or 0, _l("Choose a budget line."), field="line_id")


def lines(year: int) -> list[BudgetLine]:
    return list(db.session.scalars(select(BudgetLine).where(BudgetLine.fiscal_year == year)
                                   .order_by(BudgetLine.code, BudgetLine.id)))


def line_choices(year: int | None = None) -> list[tuple[str, str]]:
    return [(str(line.id), f"{line.code} {line.name}") for line in lines(year or fiscal_year())]


def years() -> list[int]:
    found = set(db.session.scalars(select(BudgetLine.fiscal_year).distinct()))
    return sorted(found | {fiscal_year()}, reverse=True)


# Budget lines ---------------------------------------------------------------------------------

@dataclass
class LineInput:
    fiscal_year: str | int | None
    code: str
    name: str
    original: str
    department_id: int | None = None
    emergency: bool = False
    note: str = ""


def _year(text) -> int:
    try:
        year = int(str(text or "").strip().rstrip("年"))
    except ValueError:
        raise ServiceError(_l("Enter the fiscal year, like 2026."), "fiscal_year") from None
    if not fiscal_year() - 5 <= year <= fiscal_year() + 1:
        raise ServiceError(_l("A budget is for this year, the next, or one of the last five."), "fiscal_year")
    return year


def save_line(account, line_id: int | None, data: LineInput) -> BudgetLine:
    """A new budget line, or a line's code, name, department and note. Its original amount
    changes only while nothing has been committed, spent or adjusted on it: after that a
    change is an adjustment, with its reason."""
    from schoolhq.people.services import get_department

    year = _year(data.fiscal_year)
    code, name = (data.code or "").strip().upper(), (data.name or "").strip()
    if not code or len(code) > 30:
        raise ServiceError(_l("Give the line its code (at most 30 characters), like 302-01."), "code")
    if not name or len(name) > 100:
        raise ServiceError(_l("Give the line a name (at most 100 characters)."), "name")
    original = parse_yuan(data.original, "original")
    if data.department_id:
        get_department(data.department_id)
    taken = db.session.scalar(select(BudgetLine.id).where(BudgetLine.fiscal_year == year, BudgetLine.code == code,
                                                          BudgetLine.id != (line_id or 0)))
    if taken:
        raise ServiceError(_l("%(year)s already has a line %(code)s.", year=year, code=code), "code")
    if line_id is None:
        line = BudgetLine(fiscal_year=year, created_by_id=getattr(account, "id", None))
        db.session.add(line)
        before = None
    else:
        line = locked(BudgetLine, line_id, _l("No such budget line."))
        before = audit.snapshot(line, ["code", "name", "original_fen", "department_id", "emergency"])
        if line.fiscal_year != year:
            raise ServiceError(_l("A line stays in its fiscal year; make a new line for another year."),
                               "fiscal_year")
        if original != line.original_fen and _used(line.id):
            raise ServiceError(_l("The line has been adjusted, committed or spent: change its amount with an "
                                  "adjustment, which keeps the reason."), "original")
    line.code, line.name, line.original_fen = code, name, original
    line.department_id, line.emergency, line.note = data.department_id or None, bool(data.emergency), \
        (data.note or "").strip()[:300]
    db.session.flush()
    audit.record("finance", "line.saved", line, before=before,
                 after=audit.snapshot(line, ["code", "name", "original_fen", "department_id", "emergency"]),
                 summary=f"{year} {code} {name}")
    return line


def _used(line_id: int) -> bool:
    return any(db.session.scalar(select(model.id).where(model.line_id == line_id).limit(1)) is not None
               for model in (BudgetAdjustment, PurchaseRequest, Expenditure))


def parse_signed_yuan(text: str | None, field: str) -> int:
    """'-1,200' or '+300.50' → fen, keeping the sign (an adjustment goes either way)."""
    cleaned = (text or "").strip()
    negative = cleaned.startswith(("-", "−", "－"))
    amount = parse_yuan(cleaned.lstrip("+-−－ "), field)
    return -amount if negative else amount


def adjust(account, line_id: int, amount: str, reason: str, approved_by: str) -> BudgetAdjustment:
    """预算调整: more (or, with a minus, less) on a line. A line is not cut below what it has
    committed and spent."""
    line = locked(BudgetLine, line_id, _l("No such budget line."))
    change = parse_signed_yuan(amount, "amount")
    if change == 0:
        raise ServiceError(_l("Enter the change in yuan: 5000 adds, -5000 takes away."), "amount")
    reason, approved_by = (reason or "").strip(), (approved_by or "").strip()
    if len(reason) < 4:
        raise ServiceError(_l("Say why the budget changes."), "reason")
    if not approved_by:
        raise ServiceError(_l("Name who approved the change (the principal, or the meeting and its date)."),
                           "approved_by")
    now = figures_of([line])[0]
    if now.budget_fen + change < now.committed_fen + now.spent_fen:
        raise ServiceError(_l("The line has %(used)s committed or spent: it cannot go below that.",
                              used=money(now.committed_fen + now.spent_fen)), "amount")
    adjustment = BudgetAdjustment(line_id=line.id, amount_fen=change, reason=reason[:300],
                                  approved_by=approved_by[:100], made_on=local_today(),
                                  created_by_id=getattr(account, "id", None))
    db.session.add(adjustment)
    db.session.flush()
    audit.record("finance", "line.adjusted", line, after={"amount_fen": change, "reason": reason[:300]},
                 summary=f"{line.code} {money(change)}")
    return adjustment


def adjustments(line_id: int) -> list[BudgetAdjustment]:
    return list(db.session.scalars(select(BudgetAdjustment).where(BudgetAdjustment.line_id == line_id)
                                   .order_by(BudgetAdjustment.id)))


# What a line has ------------------------------------------------------------------------------

@dataclass
class Figures:
    #: None for the total of several lines
    line: BudgetLine | None
    budget_fen: int
    committed_fen: int
    spent_fen: int

    @property
    def available_fen(self) -> int:
        return self.budget_fen - self.committed_fen - self.spent_fen

    @property
    def spent_rate(self) -> float | None:
        """执行率 (支出口径): spent ÷ budget."""
        return self.spent_fen / self.budget_fen if self.budget_fen else None

    @property
    def committed_rate(self) -> float | None:
        """执行率 (含在途): (spent + committed) ÷ budget."""
        return (self.spent_fen + self.committed_fen) / self.budget_fen if self.budget_fen else None


def figures_of(the_lines: list[BudgetLine]) -> list[Figures]:
    """Budget, committed and spent of each line: three grouped queries however many lines."""
    ids = [line.id for line in the_lines]
    if not ids:
        return []
    added = dict(db.session.execute(select(BudgetAdjustment.line_id, func.sum(BudgetAdjustment.amount_fen))
                                    .where(BudgetAdjustment.line_id.in_(ids)).group_by(BudgetAdjustment.line_id)).all())
    committed = dict(db.session.execute(
        select(PurchaseRequest.line_id, func.sum(PurchaseRequest.total_fen))
        .where(PurchaseRequest.line_id.in_(ids), PurchaseRequest.status.in_(COMMITTED))
        .group_by(PurchaseRequest.line_id)).all())
    spent = dict(db.session.execute(select(Expenditure.line_id, func.sum(Expenditure.amount_fen))
                                    .where(Expenditure.line_id.in_(ids)).group_by(Expenditure.line_id)).all())
    return [Figures(line, line.original_fen + int(added.get(line.id) or 0), int(committed.get(line.id) or 0),
                    int(spent.get(line.id) or 0)) for line in the_lines]


def totals(rows: list[Figures]) -> Figures:
    """The lines together (no line of their own)."""
    return Figures(None, sum(r.budget_fen for r in rows), sum(r.committed_fen for r in rows),
                   sum(r.spent_fen for r in rows))


def monthly_spend(line_ids: list[int], year: int) -> list[int]:
    """Fen spent in each month of the year (January first), reversals netted."""
    months = [0] * 12
    if not line_ids:
        return months
    for paid_on, amount in db.session.execute(
            select(Expenditure.paid_on, Expenditure.amount_fen).where(
                Expenditure.line_id.in_(line_ids), Expenditure.paid_on >= date(year, 1, 1),
                Expenditure.paid_on <= date(year, 12, 31))):
        months[paid_on.month - 1] += amount
    return months


def overspend_refusal(available_fen: int, amount_fen: int) -> ServiceError:
    return ServiceError(_l("The line has %(left)s available; %(amount)s would overspend it by %(over)s. "
                           "Adjust the budget first.", left=money(available_fen), amount=money(amount_fen),
                           over=money(amount_fen - available_fen)), "amount")


# Expenditures ---------------------------------------------------------------------------------

@dataclass
class ExpenditureInput:
    line_id: int | None
    paid_on: date | None
    amount: str
    purpose: str = ""
    supplier: str = ""
    invoice_no: str = ""
    invoice_date: date | None = None
    request_id: int | None = None
    ticket_id: int | None = None
    maintenance_plan_id: int | None = None
    receipt_id: int | None = None
    asset_number: str = ""
    receipt_number: str = ""
    invoice_scan: object = None


def _links(data: ExpenditureInput) -> dict:
    """The records the payment is for, each checked to exist."""
    from schoolhq.assets.models import Asset
    from schoolhq.repairs.models import MaintenancePlan, Ticket
    from schoolhq.stock.models import StockReceipt

    found = {}
    for model, key, message in ((Ticket, "ticket_id", _l("No repair ticket has that number.")),
                                 (MaintenancePlan, "maintenance_plan_id", _l("No such maintenance plan.")),
                                 (StockReceipt, "receipt_id", _l("No such stock receipt."))):
        value = getattr(data, key)
        if value:
            get_or_raise(model, value, message, field=key)
            found[key] = value
    if (data.receipt_number or "").strip():
        receipt_id = db.session.scalar(select(StockReceipt.id).where(StockReceipt.number == data.receipt_number.strip()))
        if receipt_id is None:
            raise ServiceError(_l("No stock receipt has the number %(n)s.", n=data.receipt_number.strip()[:30]),
                               "receipt_number")
        found["receipt_id"] = receipt_id
    if (data.asset_number or "").strip():
        asset_id = db.session.scalar(select(Asset.id).where(Asset.number == data.asset_number.strip()))
        if asset_id is None:
            raise ServiceError(_l("No asset has the number %(n)s.", n=data.asset_number.strip()[:40]), "asset_number")
        found["asset_id"] = asset_id
    return found


def record_expenditure(account, data: ExpenditureInput) -> Expenditure:
    """支出: a payment from a line, with its invoice. Paying a purchase request needs it
    accepted first and releases what it committed; any payment that would take the line
    past its current amount is refused until the budget is adjusted."""
    from schoolhq.finance.purchasing import get_request_locked

    request = get_request_locked(data.request_id) if data.request_id else None
    # a line chosen in the form that is missing or gone is a message on the field, not a 404
    line = locked(BudgetLine, request.line_id if request else get_line(data.line_id).id, _l("Choose a budget line."))
    if request is not None and data.line_id and data.line_id != request.line_id:
        raise ServiceError(_l("The request is on line %(code)s; pay it from that line.", code=line.code), "line_id")
    paid_on = data.paid_on
    if paid_on is None:
        raise ServiceError(_l("Enter the payment date."), "paid_on")
    if paid_on > local_today():
        raise ServiceError(_l("The payment date cannot be in the future."), "paid_on")
    if paid_on.year != line.fiscal_year:
        raise ServiceError(_l("Line %(code)s is in the %(year)s budget; a payment on %(day)s is paid from that "
                              "year's lines.", code=line.code, year=line.fiscal_year, day=paid_on.isoformat()),
                           "line_id")
    if data.invoice_date and data.invoice_date > paid_on:
        raise ServiceError(_l("The invoice is dated after the payment: check both dates."), "invoice_date")
    amount = parse_yuan(data.amount, "amount")
    if amount <= 0:
        raise ServiceError(_l("Enter the amount paid, above zero."), "amount")
    purpose = (data.purpose or (request.title if request else "")).strip()
    if not purpose:
        raise ServiceError(_l("Say what the payment was for."), "purpose")
    available = figures_of([line])[0].available_fen
    if request is not None:
        if request.status != "accepted":
            raise ServiceError(_l("Only an accepted request is paid: %(number)s is %(status)s.",
                                  number=request.number, status=request_status_label(request.status)), "request_id")
        available += request.total_fen  # what it committed is released as it is paid
    elif line.emergency:
        raise ServiceError(_l("Spending from the emergency reserve goes through a purchase request the principal "
                              "approves."), "line_id")
    if amount > available:
        raise overspend_refusal(available, amount)
    links = _links(data)
    scan_id = save_if_given(data.invoice_scan)
    expenditure = Expenditure(
        number=f"ZC{paid_on.year}-{counters.next_value(f'finance.expenditure.{paid_on.year}'):05d}",
        line_id=line.id, paid_on=paid_on, amount_fen=amount, supplier=(data.supplier or "").strip()[:100],
        invoice_no=(data.invoice_no or "").strip()[:40], invoice_date=data.invoice_date, purpose=purpose[:300],
        request_id=request.id if request else None, invoice_scan_id=scan_id,
        created_by_id=getattr(account, "id", None), **links)
    db.session.add(expenditure)
    if request is not None:
        request.status, request.paid_at = "paid", utcnow()
        if not expenditure.supplier:
            expenditure.supplier = request.supplier
    db.session.flush()
    audit.record("finance", "expenditure.recorded", expenditure,
                 after={"amount_fen": amount, "line": line.code, "invoice_no": expenditure.invoice_no},
                 summary=f"{expenditure.number} {money(amount)}")
    return expenditure


def reverse_expenditure(account, expenditure_id: int, reason: str) -> Expenditure:
    """冲销: a second row of the opposite amount, dated today; a paid request it paid goes
    back to accepted (to be paid again, correctly)."""
    original = locked(Expenditure, expenditure_id, _l("No such expenditure."))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ServiceError(_l("Say why the payment is reversed."), "reason")
    if original.reverses_id is not None:
        raise ServiceError(_l("This row is itself a reversal."))
    if db.session.scalar(select(Expenditure.id).where(Expenditure.reverses_id == original.id)) is not None:
        raise ServiceError(_l("%(number)s has been reversed already.", number=original.number))
    today = local_today()
    reversal = Expenditure(
        number=f"ZC{today.year}-{counters.next_value(f'finance.expenditure.{today.year}'):05d}",
        line_id=original.line_id, paid_on=today, amount_fen=-original.amount_fen, supplier=original.supplier,
        invoice_no=original.invoice_no, purpose=original.purpose, request_id=original.request_id,
        reverses_id=original.id, reason=reason[:300], created_by_id=getattr(account, "id", None))
    db.session.add(reversal)
    if original.request_id:
        request = locked(PurchaseRequest, original.request_id, _l("No such purchase request."))
        if request.status == "paid":
            request.status, request.paid_at = "accepted", None
    db.session.flush()
    audit.record("finance", "expenditure.reversed", original, after={"reason": reason[:300]},
                 summary=f"{original.number} → {reversal.number}")
    return reversal


def journal(year: int, month: int | None = None, line_id: int | None = None, limit: int | None = None):
    """The expenditure journal (支出明细账), oldest first, each row with its line and request
    (one line's journal needs neither: its rows are read alone)."""
    query = select(Expenditure).where(Expenditure.paid_on >= date(year, month or 1, 1))
    if not line_id:
        query = query.options(joinedload(Expenditure.line), joinedload(Expenditure.request))
    end = date(year + (month == 12), (month % 12) + 1, 1) if month else date(year + 1, 1, 1)
    query = query.where(Expenditure.paid_on < end)
    if line_id:
        query = query.where(Expenditure.line_id == line_id)
    query = query.order_by(Expenditure.paid_on, Expenditure.id)
    return list(db.session.scalars(query.limit(limit) if limit else query))


def payments_of(request_id: int) -> list[Expenditure]:
    return list(db.session.scalars(select(Expenditure).where(Expenditure.request_id == request_id)
                                   .order_by(Expenditure.id)))


def reversed_ids(expenditure_ids) -> set[int]:
    return set(db.session.scalars(select(Expenditure.reverses_id).where(Expenditure.reverses_id.in_(
        list(expenditure_ids) or [-1]))))


# Words ----------------------------------------------------------------------------------------

REQUEST_STATUS_LABELS = {
    "pending": _l("Awaiting approval"), "approved": _l("Approved (committed)"), "accepted": _l("Goods accepted"),
    "paid": _l("Paid"), "rejected": _l("Rejected"), "cancelled": _l("Withdrawn"),
}
REQUEST_TONES = {"pending": "warn", "approved": "info", "accepted": "info", "paid": "ok", "rejected": "danger",
                 "cancelled": "muted"}


def request_status_label(status: str) -> str:
    return str(REQUEST_STATUS_LABELS.get(status, status))


def attachment_rule(attachment, account):
    """An invoice scan is seen by whoever may see the finance pages."""
    from schoolhq.core.permissions import can

    if db.session.scalar(select(Expenditure.id).where(Expenditure.invoice_scan_id == attachment.id)) is None:
        return None
    return can(account, "finance.view")
