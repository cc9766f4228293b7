"""资产总额: what the school owns, for the year-end 资产价值 summary — the asset register by
top-level class of GB/T 14885 (original value, depreciation, net value, as on the register
today), what was added to it and disposed of in the year, and the stock on hand at cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from schoolhq.core.timeutil import local_day_bounds_utc
from schoolhq.extensions import db


@dataclass
class ClassRow:
    code: str
    title: str
    count: int = 0
    original_fen: int = 0
    net_fen: int = 0
    added_count: int = 0
    added_fen: int = 0
    disposed_count: int = 0
    disposed_fen: int = 0

    @property
    def depreciation_fen(self) -> int:
        return self.original_fen - self.net_fen


@dataclass
class AssetsSummary:
    year: int
    classes: list[ClassRow] = field(default_factory=list)
    total: ClassRow = field(default_factory=lambda: ClassRow("", ""))
    #: stock category -> value at cost, and the total
    stock: dict[str, int] = field(default_factory=dict)
    stock_fen: int = 0

    @property
    def total_fen(self) -> int:
        """资产总额: the register's net value and the stock at cost."""
        return self.total.net_fen + self.stock_fen


def assets_summary(year: int) -> AssetsSummary:
    """The whole school's summary for `year`: four grouped queries and the register read
    once as plain columns (assets.reports.category_ledgers)."""
    from schoolhq.assets.models import Asset, AssetCategory, AssetEvent
    from schoolhq.assets.reports import category_ledgers
    from schoolhq.stock.reports import valuation

    _categories, classes, total = category_ledgers()
    rows = {group.key: ClassRow(group.key, group.title, group.count, group.amount_fen, group.net_fen)
            for group in classes}
    top = {code: name for code, name in db.session.execute(
        select(func.substr(AssetCategory.code, 1, 3), AssetCategory.name).where(AssetCategory.parent_id.is_(None)))}
    class_of = func.substr(AssetCategory.code, 1, 3)
    added_on = func.coalesce(Asset.booked_on, Asset.purchased_on)
    for code, count, amount in db.session.execute(
            select(class_of, func.sum(Asset.quantity), func.sum(Asset.quantity * Asset.unit_price_fen))
            .join(AssetCategory, AssetCategory.id == Asset.category_id)
            .where(added_on >= date(year, 1, 1), added_on <= date(year, 12, 31)).group_by(class_of)):
        row = rows.setdefault(code, ClassRow(code, top.get(code, code)))
        row.added_count, row.added_fen = int(count or 0), int(amount or 0)
    start, end = local_day_bounds_utc(date(year, 1, 1))[0], local_day_bounds_utc(date(year + 1, 1, 1))[0]
    for code, count, amount in db.session.execute(
            select(class_of, func.sum(Asset.quantity), func.sum(Asset.quantity * Asset.unit_price_fen))
            .join(AssetCategory, AssetCategory.id == Asset.category_id)
            .join(AssetEvent, AssetEvent.asset_id == Asset.id)
            .where(AssetEvent.kind == "disposed", AssetEvent.at >= start, AssetEvent.at < end).group_by(class_of)):
        row = rows.setdefault(code, ClassRow(code, top.get(code, code)))
        row.disposed_count, row.disposed_fen = int(count or 0), int(amount or 0)
    ordered = sorted(rows.values(), key=lambda r: r.code)
    summary_total = ClassRow("", "", total.count, total.amount_fen, total.net_fen,
                             sum(r.added_count for r in ordered), sum(r.added_fen for r in ordered),
                             sum(r.disposed_count for r in ordered), sum(r.disposed_fen for r in ordered))
    _items, by_category, stock_total = valuation()
    return AssetsSummary(year, ordered, summary_total, dict(by_category), stock_total)
