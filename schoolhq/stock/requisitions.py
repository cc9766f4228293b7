"""领用: a person's cart becomes a requisition; special items wait for the department
head, anything that would dig into the emergency reserve waits for the logistics head;
the storekeeper issues it, fully or in parts, and the recipient signs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from schoolhq.core import audit, counters
from schoolhq.core.database import locked
from schoolhq.core.errors import NotFound, ServiceError, get_or_raise
from schoolhq.core.permissions import can
from schoolhq.core.timeutil import local_day_bounds_utc, local_today, utcnow
from schoolhq.extensions import db
from schoolhq.stock import services
from schoolhq.stock.models import (
    Requisition,
    RequisitionLine,
    StockIssue,
    StockItem,
    StockMovement,
    Store,
)
from schoolhq.stock.services import format_quantity, ledger_sum, parse_quantity

OPEN_STATUSES = ("pending", "ready", "partly_issued")
STATUS_LABELS = {
    "draft": _l("Not yet sent"), "pending": _l("Waiting for approval"), "ready": _l("Ready to collect"),
    "partly_issued": _l("Partly issued"), "issued": _l("Issued"), "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}
STATUS_TONES = {
    "draft": "plain", "pending": "warn", "ready": "ok", "partly_issued": "warn", "issued": "ok",
    "rejected": "muted", "cancelled": "muted",
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def get(requisition_id: int) -> Requisition:
    return get_or_raise(Requisition, requisition_id, _l("No such requisition."))


def _locked(requisition_id: int) -> Requisition:
    requisition = locked(Requisition, requisition_id, _l("No such requisition."))
    db.session.expire(requisition, ["lines"])  # lines may have been issued meanwhile
    return requisition


def _person(account):
    from schoolhq.people.services import get_person

    if not account.person_id:
        raise ServiceError(_l("Your account has no staff profile; ask the administrator to link one."))
    return get_person(account.person_id)


# The cart -----------------------------------------------------------------------------

def cart_of(account, create: bool = False) -> Requisition | None:
    """The person's draft requisition: the cart survives leaving the page and devices."""
    person = _person(account)
    cart = db.session.scalar(select(Requisition).where(Requisition.requester_id == person.id,
                                                       Requisition.status == "draft", Requisition.at_counter.is_(False))
                             .order_by(Requisition.id).limit(1))
    if cart is None and create:
        store = next(iter(services.stores()), None)
        if store is None:
            raise ServiceError(_l("The school has no store yet."))
        cart = Requisition(requester_id=person.id, department_id=person.department_id, store_id=store.id,
                           status="draft")
        db.session.add(cart)
        db.session.flush()
    return cart


def _cart_to_change(account, create: bool = False) -> Requisition | None:
    """The person's cart with the person's row locked: one change to a cart at a time, so
    a double-clicked submit sends it once and no line slips into a cart already sent."""
    from schoolhq.people.models import Person

    locked(Person, _person(account).id, _l("That person does not exist."))
    return cart_of(account, create)


def _draft(account, line_or_cart: Requisition) -> Requisition:
    if line_or_cart.status != "draft" or line_or_cart.requester_id != account.person_id:
        raise ServiceError(_l("This requisition has been sent and can no longer be changed."))
    return line_or_cart


def add_to_cart(account, item_id: int | None, quantity_text: str) -> RequisitionLine:
    item = db.session.get(StockItem, item_id or 0)
    if item is None or item.archived_at is not None:
        raise ServiceError(_l("Choose an item."), "item_id")
    quantity = parse_quantity(quantity_text, item)
    cart = _cart_to_change(account, create=True)
    line = db.session.scalar(select(RequisitionLine).where(RequisitionLine.requisition_id == cart.id,
                                                           RequisitionLine.item_id == item.id))
    if line is None:
        line = RequisitionLine(requisition_id=cart.id, item_id=item.id, quantity_milli=quantity)
        db.session.add(line)
    else:
        line.quantity_milli = quantity
    db.session.flush()
    return line


def set_cart_line(account, line_id: int, quantity_text: str) -> RequisitionLine | None:
    """A new quantity for a line of the cart; zero removes the line."""
    _cart_to_change(account)
    line = db.session.get(RequisitionLine, line_id)
    if line is None:
        raise NotFound(_l("No such line."))
    _draft(account, line.requisition)
    quantity = parse_quantity(quantity_text, line.item, allow_zero=True)
    if quantity == 0:
        db.session.delete(line)
        db.session.flush()
        return None
    line.quantity_milli = quantity
    db.session.flush()
    return line


@dataclass
class Submission:
    purpose: str
    for_department: bool
    store_id: int | None


def submit(account, data: Submission) -> Requisition:
    cart = _cart_to_change(account)
    if cart is None or not cart.lines:
        raise ServiceError(_l("The list is empty: add the items you need first."))
    _draft(account, cart)
    purpose = (data.purpose or "").strip()
    if not purpose:
        raise ServiceError(_l("Say what the items are for."), "purpose")
    store = services.get_store(data.store_id)
    person = cart.requester
    if data.for_department and not person.department_id:
        raise ServiceError(_l("You belong to no department; ask for yourself instead."), "for_department")
    for line in cart.lines:
        if line.item.archived_at is not None:
            raise ServiceError(_l("%(item)s is no longer stocked; take it off the list.", item=line.item.name))
    cart.purpose, cart.for_department, cart.store_id = purpose[:200], bool(data.for_department), store.id
    cart.department_id = person.department_id
    cart.needs_department_approval = any(line.item.needs_approval for line in cart.lines)
    cart.needs_reserve_approval = any(_breaks_reserve(line.item, line.quantity_milli) for line in cart.lines)
    today = local_today()
    cart.number = f"LY{today.year}-{counters.next_value(f'stock.requisition.{today.year}'):05d}"
    cart.submitted_at = utcnow()
    cart.status = "pending" if (cart.needs_department_approval or cart.needs_reserve_approval) else "ready"
    db.session.flush()
    audit.record("stock", "requisition.submitted", cart, after={"lines": len(cart.lines), "status": cart.status},
                 summary=cart.number)
    _notify_approvers(cart)
    return cart


def _breaks_reserve(item: StockItem, quantity: int) -> bool:
    return bool(item.reserve_level_milli) and services.on_hand(item.id) - quantity < item.reserve_level_milli


def _notify_approvers(requisition: Requisition) -> None:
    from schoolhq.core.notifications import notify

    link = url_for("stock.requisition", requisition_id=requisition.id)
    title = str(_l("Requisition %(number)s from %(name)s needs your approval", number=requisition.number,
                   name=requisition.requester.name))
    if requisition.needs_department_approval:
        for account_id in _department_heads(requisition):
            notify(account_id, "stock", title, requisition.purpose, link)
    if requisition.needs_reserve_approval:
        for account_id in _holders("stock.reserve"):
            notify(account_id, "stock", title, str(_l("It would go below an emergency reserve.")), link)


def _department_heads(requisition: Requisition) -> list[int]:
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Department

    if requisition.department is None:
        return _holders("stock.approve")
    ids = [int(part) for part in requisition.department.path.strip("/").split("/") if part]
    heads = db.session.scalars(select(Account.id).join(Department, Department.head_person_id == Account.person_id)
                               .where(Department.id.in_(ids), Account.person_id != requisition.requester_id,
                                      Account.active.is_(True)))
    return list(heads) or _holders("stock.approve")


def _holders(permission: str) -> list[int]:
    from schoolhq.auth.services import accounts_with

    return [account.id for account in accounts_with(permission)]


# Approval -----------------------------------------------------------------------------

def may_approve_department(account, requisition: Requisition) -> bool:
    """The head of the requisition's department (or of a department above it), or a
    holder of stock.approve over it; never the requester."""
    if not requisition.needs_department_approval or account.person_id == requisition.requester_id:
        return False
    if requisition.department is not None and account.person_id:
        above = {int(part) for part in requisition.department.path.strip("/").split("/") if part}
        if above & _headed_by(account.person_id):
            return True
    return can(account, "stock.approve", requisition)


def _headed_by(person_id: int) -> set[int]:
    """The departments this person heads, read once per request."""
    from flask import g

    from schoolhq.people.models import Department

    cache = g.setdefault("stock_headed_by", {})
    if person_id not in cache:
        cache[person_id] = set(db.session.scalars(select(Department.id).where(Department.head_person_id == person_id)))
    return cache[person_id]


def may_release_reserve(account, requisition: Requisition) -> bool:
    return account.person_id != requisition.requester_id and can(account, "stock.reserve", requisition)


def approve(account, requisition_id: int, which: str, note: str = "") -> Requisition:
    requisition = _locked(requisition_id)
    if requisition.status != "pending":
        raise ServiceError(_l("This requisition is not waiting for approval."))
    if which == "department":
        if requisition.department_approved_by_id:
            raise ServiceError(_l("The department has already approved it."))
        if not may_approve_department(account, requisition):
            raise ServiceError(_l("Someone other than the requester must approve: the department head or "
                                  "the logistics office."))
        requisition.department_approved_by_id, requisition.department_approved_at = account.id, utcnow()
    elif which == "reserve":
        if requisition.reserve_approved_by_id:
            raise ServiceError(_l("The reserve release has already been approved."))
        if not may_release_reserve(account, requisition):
            raise ServiceError(_l("Only the logistics head, and not the requester, may release the reserve."))
        requisition.reserve_approved_by_id, requisition.reserve_approved_at = account.id, utcnow()
    else:
        raise ServiceError(_l("Unknown approval."))
    requisition.decided_note = (note or "").strip()[:300] or requisition.decided_note
    if (not requisition.needs_department_approval or requisition.department_approved_by_id) and \
            (not requisition.needs_reserve_approval or requisition.reserve_approved_by_id):
        requisition.status = "ready"
        _tell_requester(requisition, _l("Requisition %(number)s is approved and ready to collect",
                                        number=requisition.number))
    db.session.flush()
    audit.record("stock", "requisition.approved.department" if which == "department" else "requisition.approved.reserve",
                 requisition, after={"status": requisition.status},
                 summary=requisition.number)
    return requisition


def reject(account, requisition_id: int, note: str) -> Requisition:
    requisition = _locked(requisition_id)
    if requisition.status != "pending":
        raise ServiceError(_l("This requisition is not waiting for approval."))
    if not (may_approve_department(account, requisition) or may_release_reserve(account, requisition)):
        raise ServiceError(_l("You cannot decide on this requisition."))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_l("Say why it is rejected."), "note")
    requisition.status, requisition.rejected_by_id = "rejected", account.id
    requisition.decided_note, requisition.closed_at = note[:300], utcnow()
    db.session.flush()
    audit.record("stock", "requisition.rejected", requisition, after={"note": note}, summary=requisition.number)
    _tell_requester(requisition, _l("Requisition %(number)s was rejected", number=requisition.number), note)
    return requisition


def cancel(account, requisition_id: int) -> Requisition:
    requisition = _locked(requisition_id)
    if requisition.requester_id != account.person_id and not can(account, "stock.issue", requisition):
        raise ServiceError(_l("Only the requester or the store can cancel a requisition."))
    if requisition.status not in ("draft", "pending", "ready"):
        raise ServiceError(_l("Goods have already been issued on this requisition; close it instead."))
    requisition.status, requisition.closed_at = "cancelled", utcnow()
    db.session.flush()
    audit.record("stock", "requisition.cancelled", requisition, summary=requisition.number or "")
    return requisition


def _tell_requester(requisition: Requisition, title, body: str = "") -> None:
    from schoolhq.core.notifications import notify

    account = requisition.requester.account
    if account is not None:
        notify(account.id, "stock", str(title), body, url_for("stock.requisition", requisition_id=requisition.id))


# Issuing ------------------------------------------------------------------------------

def handovers(requisition_id: int) -> list[StockIssue]:
    """The requisition's hand-overs at the window, each with who took the goods and their
    signature (none when they signed the paper register)."""
    return list(db.session.scalars(select(StockIssue).where(StockIssue.requisition_id == requisition_id)
                                   .options(joinedload(StockIssue.recipient)).order_by(StockIssue.issued_at)))


def issued_by_line(requisition_id: int) -> dict[int, int]:
    """What has gone out per line, from the ledger (issues less their reversals)."""
    rows = db.session.execute(
        select(StockMovement.requisition_line_id, ledger_sum(StockMovement.quantity_milli))
        .join(RequisitionLine, RequisitionLine.id == StockMovement.requisition_line_id)
        .where(RequisitionLine.requisition_id == requisition_id).group_by(StockMovement.requisition_line_id))
    return {line_id: -total for line_id, total in rows}


def issue(account, requisition_id: int, quantities: dict[int, str], recipient_id: int | None = None,
          signature_data_url: str | None = None, on_paper: bool = False,
          issued_at: datetime | None = None) -> StockIssue:
    """Hand over what the window has: each line fully, partly or not at all. The
    recipient signs on the tablet, or on the printed 领用登记表 (`on_paper`).
    `issued_at` dates entries copied from a paper register (and the demo's history)."""
    requisition = _locked(requisition_id)
    if requisition.status == "pending":
        raise ServiceError(_l("This requisition is still waiting for approval."))
    if requisition.status not in ("ready", "partly_issued"):
        raise ServiceError(_l("This requisition is %(status)s; nothing more can be issued.",
                              status=status_label(requisition.status)))
    from schoolhq.people.services import get_person

    recipient = get_person(recipient_id or requisition.requester_id)
    services.lock_items([line.item_id for line in requisition.lines])
    return _hand_over(account, requisition, issued_by_line(requisition.id), quantities, recipient,
                      signature_data_url, on_paper, issued_at or utcnow())


def _hand_over(account, requisition: Requisition, issued: dict[int, int], quantities: dict[int, str], recipient,
               signature_data_url: str | None, on_paper: bool, issued_at: datetime) -> StockIssue:
    """The hand-over itself, on a requisition already locked (or just made) whose issued
    quantities so far are `issued`."""
    plan = []
    for line in requisition.lines:
        text = str(quantities.get(line.id, "") or "0")
        try:
            quantity = parse_quantity(text, line.item, allow_zero=True)
        except ServiceError as error:
            raise ServiceError(_l("%(item)s: %(problem)s", item=line.item.name, problem=error.message),
                               f"line-{line.id}") from None
        outstanding = line.quantity_milli - issued.get(line.id, 0)
        if quantity > outstanding:
            raise ServiceError(_l("%(item)s: only %(left)s %(unit)s are still to be issued.", item=line.item.name,
                                  left=format_quantity(max(outstanding, 0)), unit=line.item.unit), f"line-{line.id}")
        if quantity:
            plan.append((line, quantity))
    if not plan:
        raise ServiceError(_l("Enter a quantity for at least one item."))
    for line, quantity in plan:
        if _breaks_reserve(line.item, quantity) and not requisition.reserve_approved_by_id \
                and not may_release_reserve(account, requisition):
            raise ServiceError(_l("%(item)s would fall below its emergency reserve of %(reserve)s %(unit)s; the "
                                  "logistics head must approve.", item=line.item.name, unit=line.item.unit,
                                  reserve=format_quantity(line.item.reserve_level_milli)), f"line-{line.id}")
    signature = None
    if not on_paper:
        from schoolhq.core.uploads import save_signature

        signature = save_signature(signature_data_url, _l("The recipient has not signed."))
    hand_over = StockIssue(requisition_id=requisition.id, issued_by_id=account.id, recipient_id=recipient.id,
                           signature_id=signature.id if signature else None, issued_at=issued_at)
    db.session.add(hand_over)
    db.session.flush()
    department_id = requisition.department_id if requisition.for_department else recipient.department_id
    for line, quantity in plan:
        services.take(line.item, requisition.store, quantity, "issue", person_id=requisition.requester_id,
                      department_id=department_id, issue_id=hand_over.id, requisition_line_id=line.id,
                      reason=requisition.purpose, occurred_at=issued_at)
        issued[line.id] = issued.get(line.id, 0) + quantity
    complete = all(issued.get(line.id, 0) >= line.quantity_milli for line in requisition.lines)
    requisition.status = "issued" if complete else "partly_issued"
    if complete:
        requisition.closed_at = issued_at
    db.session.flush()
    audit.record("stock", "requisition.issued", requisition,
                 after={"lines": {line.item.name: format_quantity(q) for line, q in plan}, "status": requisition.status},
                 summary=requisition.number)
    if not requisition.at_counter:
        _tell_requester(requisition, _l("Requisition %(number)s: goods issued", number=requisition.number))
    return hand_over


def ask_reserve_release(account, requisition_id: int) -> Requisition:
    """Stock fell after the requisition was approved and now an item would dig into its
    reserve: the window sends it to the logistics head instead of leaving it stuck."""
    requisition = _locked(requisition_id)
    if requisition.status not in ("ready", "partly_issued") or not held_by_reserve(requisition):
        raise ServiceError(_l("This requisition does not need a reserve release."))
    requisition.needs_reserve_approval, requisition.status = True, "pending"
    db.session.flush()
    audit.record("stock", "requisition.reserve_asked", requisition, summary=requisition.number)
    _notify_approvers(requisition)
    return requisition


def held_by_reserve(requisition: Requisition) -> list[StockItem]:
    """Items whose outstanding quantity would now dig into their emergency reserve, when
    nobody has released it for this requisition."""
    if requisition.reserve_approved_by_id:
        return []
    issued = issued_by_line(requisition.id)
    return [line.item for line in requisition.lines if line.quantity_milli > issued.get(line.id, 0)
            and _breaks_reserve(line.item, line.quantity_milli - issued.get(line.id, 0))]


def reopen_after_reversal(line_id: int) -> None:
    """An issue was reversed: the requisition is open again for what did not go out."""
    line = db.session.get(RequisitionLine, line_id)
    requisition = _locked(line.requisition_id)
    if requisition.status not in ("issued", "partly_issued"):
        return
    issued = issued_by_line(requisition.id)
    if all(issued.get(item.id, 0) >= item.quantity_milli for item in requisition.lines):
        return
    requisition.status = "partly_issued" if any(issued.values()) else "ready"
    requisition.closed_at = None
    db.session.flush()


def check_line(account, requisition: Requisition, line: RequisitionLine, typed: str) -> str | None:
    """Why this quantity of the line could not be issued now, or None; writes nothing."""
    try:
        quantity = parse_quantity(typed.strip() or "0", line.item, allow_zero=True)
    except ServiceError as error:
        return str(error.message)
    outstanding = line.quantity_milli - issued_by_line(requisition.id).get(line.id, 0)
    if quantity > outstanding:
        return str(_l("Only %(left)s %(unit)s are still to be issued.", left=format_quantity(max(outstanding, 0)),
                      unit=line.item.unit))
    have = services.on_hand(line.item_id, requisition.store_id)
    if quantity > have:
        return str(_l("Only %(have)s %(unit)s of %(item)s left in %(store)s.", have=format_quantity(have),
                      unit=line.item.unit, item=line.item.name, store=requisition.store.name))
    if quantity and _breaks_reserve(line.item, quantity) and not requisition.reserve_approved_by_id \
            and not may_release_reserve(account, requisition):
        return str(_l("%(item)s would fall below its emergency reserve of %(reserve)s %(unit)s; the logistics head "
                      "must approve.", item=line.item.name, unit=line.item.unit,
                      reserve=format_quantity(line.item.reserve_level_milli)))
    return None


def close_remaining(account, requisition_id: int, note: str = "") -> Requisition:
    """The rest will not come (out of stock, no longer needed): close what is partly issued."""
    requisition = _locked(requisition_id)
    if requisition.status != "partly_issued":
        raise ServiceError(_l("Only a partly issued requisition can be closed."))
    requisition.status, requisition.closed_at = "issued", utcnow()
    requisition.decided_note = (note or "").strip()[:300] or requisition.decided_note
    db.session.flush()
    audit.record("stock", "requisition.closed", requisition, after={"note": note}, summary=requisition.number)
    return requisition


@dataclass
class CounterLine:
    item_id: int
    quantity: str


def issue_at_counter(account, store_id: int | None, recipient_id: int | None, lines: list[CounterLine],
                     purpose: str, signature_data_url: str | None = None, on_paper: bool = False,
                     issued_at: datetime | None = None) -> Requisition:
    """Direct issue by scanning barcodes at the counter: recorded as a requisition made
    and issued in one go, so the register and the reports see it like any other."""
    store = services.get_store(store_id)
    if not recipient_id:
        raise ServiceError(_l("Choose who takes the goods."), "recipient_id")
    from schoolhq.people.services import get_person

    recipient = get_person(recipient_id)
    if not lines:
        raise ServiceError(_l("Scan at least one item."), "lines")
    purpose = (purpose or "").strip()
    if not purpose:
        raise ServiceError(_l("Say what the items are for."), "purpose")
    new_lines, seen = [], set()
    for entry in lines:
        item = services.get_item(entry.item_id)
        if item.needs_approval:
            raise ServiceError(_l("%(item)s needs the department head's approval; ask for it with a requisition.",
                                  item=item.name), "lines")
        if item.id in seen:
            raise ServiceError(_l("%(item)s is in the list twice.", item=item.name), "lines")
        seen.add(item.id)
        new_lines.append(RequisitionLine(item_id=item.id, quantity_milli=parse_quantity(entry.quantity, item)))
    today = local_today()
    requisition = Requisition(requester_id=recipient.id, department_id=recipient.department_id, store_id=store.id,
                              purpose=purpose[:200], at_counter=True, status="ready",
                              submitted_at=issued_at or utcnow(), lines=new_lines,
                              number=f"LY{today.year}-{counters.next_value(f'stock.requisition.{today.year}'):05d}")
    db.session.add(requisition)
    db.session.flush()
    services.lock_items(seen)
    quantities = {line.id: entry.quantity for line, entry in zip(new_lines, lines, strict=True)}
    # made in this transaction and seen by nobody else: no lock to take, nothing issued yet
    _hand_over(account, requisition, {}, quantities, recipient, signature_data_url, on_paper, issued_at or utcnow())
    return requisition


# Lists --------------------------------------------------------------------------------

def shown() -> tuple:
    """Loader options for what the lists and the requisition page read of each: the
    lines' items, who asked for which department, and the store's place (the scope check)."""
    return (selectinload(Requisition.lines).joinedload(RequisitionLine.item), joinedload(Requisition.requester),
            joinedload(Requisition.department), joinedload(Requisition.store).joinedload(Store.location))


def for_person(person_id: int, limit: int = 100) -> list[Requisition]:
    return list(db.session.scalars(select(Requisition).where(Requisition.requester_id == person_id,
                                                             Requisition.status != "draft")
                                   .options(*shown())
                                   .order_by(Requisition.id.desc()).limit(limit)))


def window_queue(account) -> list[Requisition]:
    """What the window has to hand out, oldest first, for the stores this person keeps."""
    rows = db.session.scalars(select(Requisition).where(Requisition.status.in_(("ready", "partly_issued")))
                              .options(*shown()).order_by(Requisition.submitted_at))
    return [r for r in rows if can(account, "stock.issue", r.store)]


def window_count(account) -> int:
    """How many wait at the window: a count for a school-wide keeper, the list otherwise."""
    from schoolhq.core.permissions import unscoped

    if unscoped(account, "stock.issue"):
        return db.session.scalar(select(func.count(Requisition.id)).where(
            Requisition.status.in_(("ready", "partly_issued")))) or 0
    return len(window_queue(account))


def waiting_for(account) -> list[Requisition]:
    """Requisitions this person could approve now."""
    rows = db.session.scalars(select(Requisition).where(Requisition.status == "pending")
                              .options(*shown()).order_by(Requisition.submitted_at))
    return [r for r in rows if (may_approve_department(account, r) and not r.department_approved_by_id)
            or (r.needs_reserve_approval and not r.reserve_approved_by_id and may_release_reserve(account, r))]


def quota_warnings(requisition: Requisition) -> list[str]:
    """Soft warnings: this month's consumption plus the request against the item's quota;
    two grouped queries however long the list."""
    lines = [line for line in requisition.lines if line.item.quota_person_milli or line.item.quota_department_milli]
    if not lines:
        return []
    since = local_day_bounds_utc(local_today().replace(day=1))[0]
    consumed = [StockMovement.item_id.in_([line.item_id for line in lines]),
                StockMovement.kind.in_(("issue", "reversal", "return")), StockMovement.occurred_at >= since,
                or_(StockMovement.requisition_line_id.is_(None),
                    StockMovement.requisition_line_id.not_in([line.id for line in lines]))]

    def used_by(who) -> dict[int, int]:
        rows = db.session.execute(select(StockMovement.item_id, ledger_sum(StockMovement.quantity_milli))
                                  .where(*consumed, who).group_by(StockMovement.item_id))
        return {item_id: max(-total, 0) for item_id, total in rows}

    by_person = used_by(StockMovement.person_id == requisition.requester_id)
    by_department = used_by(StockMovement.department_id == requisition.department_id) \
        if requisition.department_id else {}
    warnings = []
    for line in lines:
        item = line.item
        checks = [(item.quota_person_milli, by_person, requisition.requester.name)]
        if requisition.department_id:
            checks.append((item.quota_department_milli, by_department, requisition.department.name))
        for quota, used_map, whose in checks:
            used = used_map.get(item.id, 0)
            if quota and used + line.quantity_milli > quota:
                warnings.append(str(_l("%(item)s: %(whose)s monthly quota is %(quota)s %(unit)s and %(used)s have "
                                       "been taken this month.", item=item.name,
                                       whose=_l("%(name)s's", name=whose), quota=format_quantity(quota),
                                       unit=item.unit, used=format_quantity(used))))
    return warnings


@dataclass
class RegisterRow:
    day: date
    item: StockItem
    quantity_milli: int
    purpose: str
    recipient: str
    signature_id: int | None
    approver: str
    number: str


def register_rows(month: date, store_id: int | None = None, account=None) -> list[RegisterRow]:
    """领用登记表 of a month: every issue with its purpose, the recipient's signature and
    the department head's approval, one query; of every store or those `account` reads."""
    from schoolhq.auth.models import Account
    from schoolhq.core.timeutil import to_local
    from schoolhq.people.models import Person

    start = local_day_bounds_utc(month.replace(day=1))[0]
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    end = local_day_bounds_utc(following)[0]
    reversal = aliased(StockMovement)
    approver = select(Person.name).join(Account, Account.person_id == Person.id).where(
        Account.id == Requisition.department_approved_by_id).scalar_subquery()
    query = (select(StockMovement, StockItem, StockIssue.signature_id, Requisition.purpose, Requisition.number,
                    Person.name, approver)
             .join(StockItem, StockItem.id == StockMovement.item_id)
             .join(StockIssue, StockIssue.id == StockMovement.issue_id)
             .join(Requisition, Requisition.id == StockIssue.requisition_id)
             .join(Person, Person.id == StockIssue.recipient_id)
             .where(StockMovement.kind == "issue", StockMovement.occurred_at >= start, StockMovement.occurred_at < end,
                    # an issue that was reversed did not happen
                    ~select(reversal.id).where(reversal.reverses_id == StockMovement.id).exists())
             .order_by(StockMovement.id))
    if store_id:
        query = query.where(StockMovement.store_id == store_id)
    query = services.within_stores(query, StockMovement.store_id, account)
    return [RegisterRow(day=to_local(movement.occurred_at).date(), item=item, quantity_milli=-movement.quantity_milli,
                        purpose=purpose, recipient=recipient, signature_id=signature_id, approver=approved_by or "",
                        number=number or "")
            for movement, item, signature_id, purpose, number, recipient, approved_by in db.session.execute(query)]


def month_start(value: datetime | date | None = None) -> date:
    return (value or local_today()).replace(day=1)
