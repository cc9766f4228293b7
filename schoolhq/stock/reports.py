"""Stock reports: consumption by department, item and month; valuation at moving-average cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from schoolhq.core.timeutil import local_day_bounds_utc
from schoolhq.extensions import db
from schoolhq.stock.models import StockBalance, StockCategory, StockItem, StockMovement
from schoolhq.stock.services import ledger_sum, store_condition, within_stores

GROUPS = {"department": _l("Department"), "item": _l("Item"), "month": _l("Month")}


@dataclass
class ConsumptionRow:
    key: str
    label: str
    #: quantities add up only per item; other groupings show value alone
    quantity_milli: int | None
    unit: str
    value_fen: int


def _period(start: date, end: date):
    return local_day_bounds_utc(start)[0], local_day_bounds_utc(end + timedelta(days=1))[0]


def _consumed():
    """Net consumption rows: issues, their reversals and returns (all carry a person or
    a requisition line), never receipts, transfers or count adjustments."""
    return (StockMovement.kind.in_(("issue", "return")) |
            ((StockMovement.kind == "reversal") & StockMovement.requisition_line_id.is_not(None)))


#: who reads the reports: they add up the stores that person's grants of it reach
PERMISSION = ("stock.view",)


def consumption(start: date, end: date, group: str = "department", store_id: int | None = None,
                department_id: int | None = None, account=None) -> list[ConsumptionRow]:
    """What went out in the period, over every store or those `account` reads reports of."""
    if group not in GROUPS:
        group = "department"
    since, until = _period(start, end)
    quantity = -ledger_sum(StockMovement.quantity_milli)
    value = -ledger_sum(StockMovement.value_fen)
    base = [_consumed(), StockMovement.occurred_at >= since, StockMovement.occurred_at < until]
    if store_id:
        base.append(StockMovement.store_id == store_id)
    if department_id:
        base.append(StockMovement.department_id == department_id)
    reach = store_condition(StockMovement.store_id, account, PERMISSION)
    if reach is not None:
        base.append(reach)
    if group == "item":
        rows = db.session.execute(select(StockItem.id, StockItem.name, StockItem.spec, StockItem.unit, quantity, value)
                                  .join(StockItem, StockItem.id == StockMovement.item_id).where(*base)
                                  .group_by(StockItem.id, StockItem.name, StockItem.spec, StockItem.unit)
                                  .order_by(value.desc()))
        return [ConsumptionRow(str(i), f"{name} {spec}".strip(), q, unit, v) for i, name, spec, unit, q, v in rows]
    if group == "department":
        from schoolhq.people.models import Department

        rows = db.session.execute(select(StockMovement.department_id, Department.name, value)
                                  .outerjoin(Department, Department.id == StockMovement.department_id).where(*base)
                                  .group_by(StockMovement.department_id, Department.name).order_by(value.desc()))
        return [ConsumptionRow(str(d or ""), name or str(_l("No department")), None, "", v) for d, name, v in rows]
    # By month, in the school's time zone: the month boundaries are turned into UTC here
    # and the database buckets the rows with them (SQLite and PostgreSQL disagree on
    # zone arithmetic, and reading every row back would not scale).
    months, first = [], start.replace(day=1)
    while first <= end:
        following = (first + timedelta(days=32)).replace(day=1)
        months.append((first.strftime("%Y-%m"), max(since, _period(first, first)[0]),
                       min(until, local_day_bounds_utc(following)[0])))
        first = following
    bucket = case(*[((StockMovement.occurred_at >= low) & (StockMovement.occurred_at < high), key)
                    for key, low, high in months], else_="")
    rows = db.session.execute(select(bucket.label("month"), value).where(*base).group_by(bucket))
    totals = {key: fen for key, fen in rows if key}
    return [ConsumptionRow(key, key, None, "", totals[key]) for key, _low, _high in months if key in totals]


@dataclass
class ValuationRow:
    item: StockItem
    category: str
    quantity_milli: int
    value_fen: int

    @property
    def average_fen(self) -> int:
        return round(self.value_fen * 1000 / self.quantity_milli) if self.quantity_milli else 0


def valuation(store_id: int | None = None, account=None) -> tuple[list[ValuationRow], dict[str, int], int]:
    """Items on hand with quantity, moving-average cost and value; totals per category;
    over every store or those `account` reads reports of."""
    query = (select(StockItem, StockCategory.name, ledger_sum(StockBalance.quantity_milli),
                    ledger_sum(StockBalance.value_fen))
             .join(StockBalance, StockBalance.item_id == StockItem.id)
             .join(StockCategory, StockCategory.id == StockItem.category_id)
             .where(StockBalance.quantity_milli > 0)
             .group_by(StockItem.id, StockCategory.name, StockCategory.sort_order)
             .order_by(StockCategory.sort_order, StockItem.pinyin, StockItem.name))
    if store_id:
        query = query.where(StockBalance.store_id == store_id)
    query = within_stores(query, StockBalance.store_id, account, PERMISSION)
    rows = [ValuationRow(item, category, quantity, value) for item, category, quantity, value in db.session.execute(query)]
    by_category: dict[str, int] = {}
    for row in rows:
        by_category[row.category] = by_category.get(row.category, 0) + row.value_fen
    return rows, by_category, sum(by_category.values())


def shelf_sheet(store_id: int) -> list[tuple[StockItem, int]]:
    """A store's items and quantities for a cupboard run on paper."""
    return [(item, quantity) for item, quantity in db.session.execute(
        select(StockItem, StockBalance.quantity_milli).join(StockBalance, StockBalance.item_id == StockItem.id)
        .where(StockBalance.store_id == store_id, StockItem.archived_at.is_(None))
        .order_by(StockItem.category_id, StockItem.pinyin, StockItem.name))]


def low_counts(account=None) -> tuple[int, int]:
    """(items at or below minimum, items below the emergency reserve), over every store or
    the items of the stores `account` reads, as the stock list it links to counts them."""
    reach = store_condition(StockBalance.store_id, account)
    totals = select(StockBalance.item_id, ledger_sum(StockBalance.quantity_milli).label("q")).group_by(
        StockBalance.item_id)
    totals = (totals if reach is None else totals.where(reach)).subquery()
    quantity = func.coalesce(totals.c.q, 0)
    kept = [StockItem.archived_at.is_(None)] + ([] if reach is None else [totals.c.item_id.is_not(None)])
    low, reserve = db.session.execute(select(
        func.coalesce(func.sum(case(((StockItem.min_level_milli > 0) & (quantity <= StockItem.min_level_milli), 1),
                                    else_=0)), 0),
        func.coalesce(func.sum(case(((StockItem.reserve_level_milli > 0) & (quantity < StockItem.reserve_level_milli),
                                     1), else_=0)), 0))
        .outerjoin(totals, totals.c.item_id == StockItem.id).where(*kept)).one()
    return int(low), int(reserve)
