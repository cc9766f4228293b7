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
