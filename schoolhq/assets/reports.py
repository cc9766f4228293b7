"""The paper a school keeps about its assets (三帐一卡), as queries: the per-room ledger
(分室明细账) hung in each room, the per-category ledger with totals, totals by top-level
class, and the idle list. Views render them as HTML for print and as XLSX."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from schoolhq.assets.models import Asset, AssetCategory, AssetEvent, AssetStatus
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
    return query.where(Asset.status.in_(select(AssetStatus.key).where(AssetStatus.on_register.is_(True))))


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
    """Per category (with its assets), per top-level class, and the grand total."""
    top = {c.code[:3]: c.name for c in db.session.scalars(
        select(AssetCategory).where(AssetCategory.parent_id.is_(None)))}
    query = _on_register(select(Asset).join(Location, Asset.location_id == Location.id)
                         .join(AssetCategory, Asset.category_id == AssetCategory.id))
    query = _scoped(query, account).order_by(AssetCategory.code, Asset.number)
    today = local_today()
    by_category: dict[int, Group] = {}
    by_class: dict[str, Group] = {}
    total = Group("total", "")
    for asset in db.session.scalars(query):
        net = value_of(asset, today).net_fen
        category = by_category.get(asset.category_id)
        if category is None:
            category = by_category[asset.category_id] = Group(asset.category.code,
                                                              f"{asset.category.code} {asset.category.name}")
        category.add(asset, net)
        code = asset.category.code[:3]
        klass = by_class.get(code)
        if klass is None:
            klass = by_class[code] = Group(code, top.get(code, code))
        klass.count += asset.quantity
        klass.amount_fen += asset.amount_fen
        klass.net_fen += net
        total.count += asset.quantity
        total.amount_fen += asset.amount_fen
        total.net_fen += net
    return list(by_category.values()), sorted(by_class.values(), key=lambda g: g.key), total


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
