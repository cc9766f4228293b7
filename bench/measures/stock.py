"""What the bench measures of the stock area: the stock list, the longest item ledger, a
requisition, the window, a count sheet, the reports; the counter issue and a count line."""

from __future__ import annotations

import re
import urllib.parse

from harness.measure import HX, Fixture


def find(fx: Fixture) -> bool:
    """The stock rows the stock pages open (in an app context); False when the area is empty."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from schoolhq.core.timeutil import local_today
    from schoolhq.extensions import db
    from schoolhq.people.models import Person
    from schoolhq.stock.models import (
        Requisition,
        RequisitionLine,
        StockBalance,
        StockItem,
        StockMovement,
        Store,
    )

    stores = list(db.session.scalars(select(Store.id).order_by(Store.id)))
    if not stores:
        return False
    fx.stock_main, fx.stock_cupboard = stores[0], stores[-1]
    # the item with the longest ledger (and its row count) and the one with the shortest;
    # a barcode (a search that finds one item)
    per_item = (select(StockMovement.item_id, func.count().label("n")).group_by(StockMovement.item_id).subquery())
    fx.stock_busy_item, fx.stock_busy_rows = db.session.execute(
        select(per_item.c.item_id, per_item.c.n).order_by(per_item.c.n.desc(), per_item.c.item_id)).first()
    fx.stock_quiet_item = db.session.scalar(
        select(per_item.c.item_id).join(StockItem, StockItem.id == per_item.c.item_id)
        .where(StockItem.archived_at.is_(None)).order_by(per_item.c.n, per_item.c.item_id))
    fx.stock_barcode = db.session.scalar(select(StockItem.barcode).where(
        StockItem.id == fx.stock_quiet_item)) or db.session.scalar(
        select(StockItem.barcode).where(StockItem.barcode.is_not(None)).order_by(StockItem.id))
    # what the counter issues: an ordinary item the main store holds plenty of, to a member of staff
    fx.stock_counter_item = db.session.scalar(
        select(StockItem.id).join(StockBalance, StockBalance.item_id == StockItem.id)
        .where(StockBalance.store_id == fx.stock_main, StockItem.needs_approval.is_(False),
               StockItem.archived_at.is_(None), StockItem.decimal_unit.is_(False),
               StockBalance.quantity_milli - StockItem.reserve_level_milli >= 1000 * 1000)
        .order_by(StockBalance.quantity_milli.desc()))
    fx.stock_recipient = db.session.scalar(select(Person.id).where(
        Person.left_at.is_(None), Person.department_id.is_not(None), Person.id != 1).order_by(Person.id))
    four = (select(RequisitionLine.requisition_id).group_by(RequisitionLine.requisition_id)
            .having(func.count() == 4).subquery())
    issued_four = (select(Requisition.id).join(four, four.c.requisition_id == Requisition.id)
                   .where(Requisition.status == "issued").order_by(Requisition.id.desc()))
    # the latest issued requisition of four lines with the busiest item on one (the page the counter
    # issue redirects to; the most asked for, and the longest ledger to check quotas in)
    fx.stock_requisition = db.session.scalar(issued_four.where(select(RequisitionLine.id).where(
        RequisitionLine.requisition_id == Requisition.id, RequisitionLine.item_id == fx.stock_busy_item).exists())) \
        or db.session.scalar(issued_four) or 0
    # the school's today and a year before, for the consumption report's range
    today = local_today()
    fx.stock_today, fx.stock_year_ago = today.isoformat(), (today - timedelta(days=365)).isoformat()
    fx.stock_week_ago = (today - timedelta(days=7)).isoformat()
    return True


def before_pages(client, token: str, fx: Fixture) -> None:
    """Open a count of each store through the app (POST /stock/counts, as the storekeeper),
    for the count sheet and its line save; the run works on a copy, so nothing stays."""
    for store_id, field_name in ((fx.stock_main, "stock_count_main"), (fx.stock_cupboard, "stock_count_cupboard")):
        response = client.post("/stock/counts", data={"store_id": str(store_id)}, headers={"X-CSRFToken": token})
        found = re.search(r"/stock/counts/(\d+)$", response.headers.get("Location", ""))
        if response.status_code != 303 or not found:
            raise SystemExit(f"starting a stock count of store {store_id} answered {response.status_code}")
        setattr(fx, field_name, int(found.group(1)))


def pages(fx: Fixture) -> list[tuple[str, str, dict]]:
    last = -(-fx.stock_busy_rows // 30)  # the ledger shows 30 rows a page
    year = f"start={fx.stock_year_ago}&end={fx.stock_today}"
    return [
        ("stock list", "/stock/", {}),
        ("stock search fragment (htmx)", "/stock/?q=" + urllib.parse.quote("笔"), HX),
        ("stock list, at or below minimum", "/stock/?level=low", {}),
        (f"stock item, longest ledger ({fx.stock_busy_rows:,} rows)", f"/stock/items/{fx.stock_busy_item}", {}),
        ("stock item ledger, page 5 (htmx pager)", f"/stock/items/{fx.stock_busy_item}?page=5", HX),
        (f"stock item ledger, last page ({last}, htmx pager)", f"/stock/items/{fx.stock_busy_item}?page={last}", HX),
        ("requisition (4 lines, the busiest item on one; issued)", f"/stock/requisitions/{fx.stock_requisition}", {}),
        ("pickup window", "/stock/window", {}),
        ("stock count sheet, main store (open count)", f"/stock/counts/{fx.stock_count_main}", {}),
        ("stock consumption by department, one year", f"/stock/reports/consumption?group=department&{year}", {}),
        ("stock consumption by month, one year", f"/stock/reports/consumption?group=month&{year}", {}),
        ("stock valuation", "/stock/reports/valuation", {}),
    ]


def saves(fx: Fixture) -> list[tuple[str, str, dict, object]]:
    """The counter issue is a plain form POST (new requisition, its line, the hand-over, one
    ledger row, a counter bump, the audit row; 303 to the requisition): the POST alone is
    timed. The count line is htmx: it answers the line's fragment."""
    return [
        ("counter issue, 1 line (POST, 303 to the requisition)", "/stock/counter/issue", {},
         lambda n: {"store_id": str(fx.stock_main), "recipient_id": str(fx.stock_recipient), "purpose": "日常办公",
                    "on_paper": "y", "signature": "", "item_id": str(fx.stock_counter_item), "quantity": "1"}),
        ("stock count line (htmx, main store count)",
         f"/stock/counts/{fx.stock_count_main}/items/{fx.stock_busy_item}", HX,
         lambda n: {"counted": str(n % 3 + 1)}),
    ]


GROWTH_PAIRS = [
    ("/stock/?q={stock_barcode}", "/stock/"),
    ("/stock/items/{stock_quiet_item}", "/stock/items/{stock_busy_item}"),
    ("/stock/counts/{stock_count_cupboard}", "/stock/counts/{stock_count_main}"),
    ("/stock/reports/consumption?group=item&start={stock_week_ago}&end={stock_today}",
     "/stock/reports/consumption?group=item&start={stock_year_ago}&end={stock_today}"),
    ("/stock/reports/valuation?store={stock_cupboard}", "/stock/reports/valuation"),
]
