"""The paper a school keeps about its assets (三帐一卡), as queries: the per-room ledger
(分室明细账) hung in each room, the per-category ledger with totals, totals by top-level
class, and the idle list. Views render them as HTML for print and as XLSX."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from schoolhq.assets.models import Asset, AssetCategory, AssetEvent
from schoolhq.assets.services import value_of
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.extensions import db
from schoolhq.places.models import Location


@dataclass
class Group:
    key: str
    title: str
    assets: list[Asset] = field(default_factory=list)
    count: int = 0
    amount_fen: int = 0
    net_fen: int = 0
    keeper: str = ""

    def add(self, asset: Asset, net_fen: int) -> None:
        self.assets.append(asset)
        self.count += asset.quantity
        self.amount_fen += asset.amount_fen
        self.net_fen += net_fen


def _on_register(query):
    from schoolhq.assets.services import on_register

    return query.where(on_register())


def _scoped(query, account):
    from schoolhq.assets.services import _within_scope

    return _within_scope(query, account, Location, None) if account is not None else query


def room_ledgers(within: Location | None, account=None) -> list[Group]:
    """One group per room (or other place holding assets), in tree order."""
    query = _on_register(select(Asset).join(Location, Asset.location_id == Location.id))
    if within is not None:
        query = query.where(Location.path.startswith(within.path))
    query = _scoped(query, account).order_by(Location.full_name, Asset.number)
    today = local_today()
    groups: dict[int, Group] = {}
    for asset in db.session.scalars(query):
        group = groups.get(asset.location_id)
        if group is None:
            keeper = asset.location.responsible.name if asset.location.responsible else ""
            group = groups[asset.location_id] = Group(str(asset.location_id), asset.location.full_name, keeper=keeper)
        group.add(asset, value_of(asset, today).net_fen)
    return list(groups.values())


def category_ledgers(account=None) -> tuple[list[Group], list[Group], Group]:
    """Per category, per top-level class, and the grand total; read as plain columns with
    the depreciation years looked up once per category (bench/: 1.2 s → 0.1 s)."""
    from schoolhq.assets.services import depreciation_years, straight_line

    categories = {c.id: c for c in db.session.scalars(select(AssetCategory))}
    top = {c.code[:3]: c.name for c in categories.values() if c.parent_id is None}
    years = {cid: depreciation_years(c) for cid, c in categories.items()}
    query = _on_register(select(Asset.category_id, Asset.quantity, Asset.unit_price_fen, Asset.tier,
                                Asset.booked_on, Asset.purchased_on).join(Location, Asset.location_id == Location.id))
    query = _scoped(query, account)
    today = local_today()
    by_category: dict[int, Group] = {}
    by_class: dict[str, Group] = {}
    total = Group("total", "")
    for category_id, quantity, price, tier, booked, bought in db.session.execute(query):
        category = categories[category_id]
        amount = price * quantity
        net = straight_line(amount, years[category_id] if tier == "fixed_asset" else 0, booked or bought, today).net_fen
        for groups, key, title in ((by_category, category.code, f"{category.code} {category.name}"),
                                   (by_class, category.code[:3], top.get(category.code[:3], category.code[:3]))):
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(key, title)
            group.count += quantity
            group.amount_fen += amount
            group.net_fen += net
        total.count += quantity
        total.amount_fen += amount
        total.net_fen += net
    return (sorted(by_category.values(), key=lambda g: g.key), sorted(by_class.values(), key=lambda g: g.key), total)


def idle_assets(months: int, account=None) -> list[tuple[Asset, object]]:
    """Assets with no event (moved, lent, audited, edited …) for `months` months, the
    quietest first, with the time of their last event."""
    cutoff = utcnow() - timedelta(days=months * 30)
    last = (select(AssetEvent.asset_id, func.max(AssetEvent.at).label("last_at"))
            .group_by(AssetEvent.asset_id).subquery())
    query = _on_register(select(Asset, last.c.last_at).join(last, last.c.asset_id == Asset.id)
                         .join(Location, Asset.location_id == Location.id)).where(last.c.last_at < cutoff)
    query = _scoped(query, account).order_by(last.c.last_at, Asset.number).limit(5000)
    return [(row[0], row[1]) for row in db.session.execute(query)]
