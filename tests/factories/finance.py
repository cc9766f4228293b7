"""Finance for tests: the people of a purchase (the accountant, the logistics head, the
principal, the storekeeper and a teacher who asks), a budget line of this year, a store
with an item, and an asset category."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from schoolhq.extensions import db
from tests.conftest import make_account

#: a purchase request is seen by the finance office and by the person who made it
OWN_RECORDS_ONLY = {"finance.request_page"}


@dataclass
class Office:
    accountant: object
    head: object
    principal: object
    store: object
    teacher: object
    line: object
    stock_store: object
    item: object


def office(budget: str = "20000") -> Office:
    from schoolhq.finance import services
    from tests.factories.stock import make_item, make_store

    accountant = make_account("accountant", "accountant", name="吴丽")
    head = make_account("logistics", "logistics_head", name="王海涛")
    principal = make_account("principal", "principal", name="张建国")
    store = make_account("store", "storekeeper", name="赵敏")
    teacher = make_account("teacher", "staff", name="王芳")
    line = services.save_line(accountant, None, services.LineInput(
        fiscal_year=services.fiscal_year(), code="302-01", name="办公费", original=budget))
    stock_store, item = make_store(), make_item()
    db.session.commit()
    return Office(accountant, head, principal, store, teacher, line, stock_store, item)


def asset_category_id() -> int:
    from schoolhq.assets.models import AssetCategory

    return db.session.scalar(select(AssetCategory.id).where(AssetCategory.archived_at.is_(None))
                             .order_by(AssetCategory.id))


def ask(office_: Office, items, title="打印纸", line=None, requester=None):
    """A purchase request by the storekeeper: items are (kind, description, quantity, price
    in yuan[, stock item or category id])."""
    from schoolhq.finance import purchasing

    made = []
    for kind, description, quantity, price, *chosen in items:
        ref = chosen[0] if chosen else None
        made.append(purchasing.LineItem(kind, description, str(quantity), str(price),
                                        stock_item_id=ref if kind == "stock" else None,
                                        asset_category_id=ref if kind == "asset" else None))
    return purchasing.submit(requester or office_.store, purchasing.RequestInput(
        line_id=(line or office_.line).id, title=title, justification="本学期办公所需", items=made, supplier="得力办公"))


def route_values() -> dict:
    """A budget line, a purchase request and a payment of the demo school for the route walk."""
    from schoolhq.finance.models import BudgetLine, Expenditure, PurchaseRequest

    return {"budget_line_id": db.session.scalar(select(BudgetLine.id).order_by(BudgetLine.id)),
            "request_id": db.session.scalar(select(PurchaseRequest.id).order_by(PurchaseRequest.id)),
            "expenditure_id": db.session.scalar(select(Expenditure.id).order_by(Expenditure.id))}
