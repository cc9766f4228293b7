"""Stock for tests: a store, an item, a receipt."""

from __future__ import annotations

from sqlalchemy import func, select

from schoolhq.extensions import db
from schoolhq.places import services as places
from schoolhq.stock import services
from schoolhq.stock.models import StockCategory


def make_store(name="总务仓库"):
    campus = places.create_location("campus", "阳光小学") if not db.session.scalar(
        select(func.count()).select_from(places.Location)) else places.tree()[0]
    room = places.create_location("room", name, campus.id)
    return services.save_store(name, room.id, None)


def make_item(name="复印纸", unit="包", decimal=False, **levels):
    category = db.session.scalar(select(StockCategory).order_by(StockCategory.id))
    return services.save_item(services.ItemData(name=name, category_id=category.id, unit=unit, spec="A4 70g",
                                                decimal_unit=decimal, **levels))


def receive(store, item, quantity="10", price="25.00"):
    return services.receive(store.id, [services.ReceiptLine(item.id, quantity, price)], "得力", "001")


#: routes of this area that also narrow by the record: a requisition is its requester's
OWN_RECORDS_ONLY = {"stock.requisition", "stock.requisition_print"}


def route_values() -> dict:
    """Real ids for the route walk (tests/test_routes.py), from the demo school."""
    from schoolhq.auth.models import Account
    from schoolhq.stock import counts
    from schoolhq.stock.models import Requisition, StockItem, StockReceipt, Store

    store = db.session.scalar(select(Store).order_by(Store.id))
    account = db.session.scalar(select(Account).order_by(Account.id))
    requisition = db.session.scalar(select(Requisition).where(Requisition.status == "pending"))
    return {"item_id": db.session.scalar(select(StockItem.id).order_by(StockItem.id)), "store_id": store.id,
            "receipt_id": db.session.scalar(select(StockReceipt.id)), "requisition_id": requisition.id,
            "line_id": requisition.lines[0].id, "count_id": counts.start(account, store.id).id}
