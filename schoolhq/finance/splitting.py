"""The split-purchase guard (化整为零): what the school buys of one kind in a fiscal year is
added up across requests, and held against the tiers that change how a purchase must be
made — the school's own (three quotes, a 行政会 decision) and the province's 分散采购限额
(settings; the defaults are the national figures and their source). A request that takes
its kind past a tier, or close to one, is named on its page; several requests of one kind
each just under the same tier within a few months are flagged for the principal.

A kind is the stock category of a stock line, the top-level class (GB/T 14885) of an asset
line, and "other" for services and works."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from schoolhq.core import settings
from schoolhq.core.errors import ServiceError
from schoolhq.core.filters import money
from schoolhq.core.money import parse_yuan, yuan
from schoolhq.extensions import db
from schoolhq.finance.models import BudgetLine, PurchaseLine, PurchaseRequest

#: request statuses that count towards what is bought in the year
COUNTED = ("pending", "approved", "accepted", "paid")
#: the default tiers in yuan: the school's three quotes (询价) and 行政会 decision, and the
#: national 分散采购限额标准 for goods and services (国办发〔2019〕55号, 中央预算单位政府集中
#: 采购目录及标准（2020年版）: 100万元); a province sets its own, often lower
DEFAULT_TIERS = "5000, 50000, 1000000"
#: "approaching" a tier: at or above this share of it
NEAR = 0.8
#: "just under" a tier, for a cluster: at or above this share of it
JUST_UNDER = 0.7
#: a cluster: this many requests of one kind just under one tier within WINDOW_DAYS
CLUSTER = 3
WINDOW_DAYS = 90


def _amounts(text: str) -> list[int]:
    """'5000, 50000、1,000,000' → fen: listed with 、 ; spaces or a comma and a space (a comma
    inside a number groups its thousands)."""
    parts = [part for part in re.split(r"[、;；\s]+|,\s+|，", str(text or "").strip()) if part]
    return [parse_yuan(part) for part in parts]


def tiers_setting(value) -> str:
    """The tiers as the settings page stores them, checked: amounts in yuan, from the
    smallest up, each above zero."""
    amounts = _amounts(value)
    if not amounts:
        raise ServiceError(_l("Give at least one amount in yuan, like 5000, 50000, 1000000."))
    if any(amount <= 0 for amount in amounts) or amounts != sorted(set(amounts)):
        raise ServiceError(_l("Give the amounts in yuan from the smallest up, each above zero."))
    return ", ".join(yuan(amount).removesuffix(".00") for amount in amounts)


def tiers() -> list[int]:
    """The tiers in fen, smallest first."""
    return _amounts(settings.get("finance.split_tiers") or DEFAULT_TIERS)


# Kinds -------------------------------------------------------------------------------------

def _kind_column():
    """SQL for a line's kind key: stock:<category id>, asset:<class code>, other."""
    from sqlalchemy import String, case, cast, literal

    from schoolhq.assets.models import AssetCategory
    from schoolhq.stock.models import StockItem

    stock_category = select(StockItem.category_id).where(StockItem.id == PurchaseLine.stock_item_id) \
        .scalar_subquery()
    asset_class = select(func.substr(AssetCategory.code, 1, 3)).where(
        AssetCategory.id == PurchaseLine.asset_category_id).scalar_subquery()
    return case((PurchaseLine.kind == "stock", literal("stock:") + cast(stock_category, String)),
                (PurchaseLine.kind == "asset", literal("asset:") + asset_class), else_=literal("other"))


def kind_names(keys) -> dict[str, str]:
    from schoolhq.assets.models import AssetCategory
    from schoolhq.stock.models import StockCategory

    names = {"other": str(_l("Services and works"))}
    stock_ids = [int(k.split(":")[1]) for k in keys if k.startswith("stock:") and k.split(":")[1].isdigit()]
    for category_id, name in db.session.execute(select(StockCategory.id, StockCategory.name)
                                                .where(StockCategory.id.in_(stock_ids or [-1]))):
        names[f"stock:{category_id}"] = name
    classes = [k.split(":")[1] for k in keys if k.startswith("asset:")]
    for code, name in db.session.execute(select(func.substr(AssetCategory.code, 1, 3), AssetCategory.name)
                                         .where(AssetCategory.parent_id.is_(None))):
        if code in classes:
            names[f"asset:{code}"] = f"{code} {name}"
    return {key: names.get(key, key) for key in keys}


def request_kinds(request_id: int) -> dict[str, int]:
    """Kind key -> fen of that kind on the request."""
    kind = _kind_column()
    return {key: int(amount) for key, amount in db.session.execute(
        select(kind, func.sum(PurchaseLine.quantity * PurchaseLine.unit_price_fen))
        .where(PurchaseLine.request_id == request_id).group_by(kind))}


def year_totals(year: int, before_request: int | None = None) -> dict[str, int]:
    """Kind key -> fen requested this year (requests not rejected or withdrawn); with
    `before_request`, only the requests made before that one."""
    kind = _kind_column()
    query = (select(kind, func.sum(PurchaseLine.quantity * PurchaseLine.unit_price_fen))
             .join(PurchaseRequest, PurchaseRequest.id == PurchaseLine.request_id)
             .join(BudgetLine, BudgetLine.id == PurchaseRequest.line_id)
             .where(BudgetLine.fiscal_year == year, PurchaseRequest.status.in_(COUNTED)).group_by(kind))
    if before_request is not None:
        query = query.where(PurchaseRequest.id < before_request)
    return {key: int(amount) for key, amount in db.session.execute(query)}


# Warnings ----------------------------------------------------------------------------------

@dataclass
class TierWarning:
    kind: str
    name: str
    tier_fen: int
    before_fen: int
    after_fen: int

    @property
    def crosses(self) -> bool:
        return self.before_fen < self.tier_fen <= self.after_fen

    @property
    def text(self) -> str:
        if self.crosses:
            return str(_l("%(kind)s: with this request the year's purchases of this kind reach %(after)s, past the "
                          "%(tier)s tier: buy them as one purchase at that tier, not in parts.", kind=self.name,
                          after=money(self.after_fen), tier=money(self.tier_fen)))
        return str(_l("%(kind)s: with this request the year's purchases of this kind reach %(after)s, close to the "
                      "%(tier)s tier.", kind=self.name, after=money(self.after_fen), tier=money(self.tier_fen)))


def warnings_for(request: PurchaseRequest) -> list[TierWarning]:
    """What the request does to its kinds' totals for the year, against the tiers: each
    tier it crosses, or else the nearest one it comes close to."""
    year = request.line.fiscal_year
    mine = request_kinds(request.id)
    before = year_totals(year, before_request=request.id)
    names = kind_names(mine)
    found = []
    for key, amount in mine.items():
        had, now = before.get(key, 0), before.get(key, 0) + amount
        crossed = [tier for tier in tiers() if had < tier <= now]
        near = [tier for tier in tiers() if now < tier <= now / NEAR]
        for tier in crossed or near[:1]:
            found.append(TierWarning(key, names[key], tier, had, now))
    return found


@dataclass
class Cluster:
    kind: str
    name: str
    tier_fen: int
    requests: list[PurchaseRequest]

    @property
    def total_fen(self) -> int:
        return sum(r.total_fen for r in self.requests)


def clusters(year: int) -> list[Cluster]:
    """Kinds with CLUSTER or more requests in WINDOW_DAYS, each (its part of that kind)
    just under the same tier: the pattern of one purchase split to stay below it."""
    kind = _kind_column()
    rows = db.session.execute(
        select(PurchaseRequest.id, kind, func.sum(PurchaseLine.quantity * PurchaseLine.unit_price_fen),
               PurchaseRequest.created_at)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseLine.request_id)
        .join(BudgetLine, BudgetLine.id == PurchaseRequest.line_id)
        .where(BudgetLine.fiscal_year == year, PurchaseRequest.status.in_(COUNTED))
        .group_by(PurchaseRequest.id, kind, PurchaseRequest.created_at)).all()
    found: list[tuple[str, int, list[int]]] = []
    for tier in tiers():
        by_kind: dict[str, list[tuple[date, int]]] = {}
        for request_id, key, amount, created_at in rows:
            if JUST_UNDER * tier <= amount < tier:
                by_kind.setdefault(key, []).append((created_at.date(), request_id))
        for key, made in by_kind.items():
            made.sort()
            best: list[int] = []
            for start, _request_id in made:
                within = [rid for day, rid in made if start <= day <= start + timedelta(days=WINDOW_DAYS)]
                if len(within) > len(best):
                    best = within
            if len(best) >= CLUSTER:
                found.append((key, tier, best))
    if not found:
        return []
    names = kind_names({key for key, _tier, _ids in found})
    requests = {r.id: r for r in db.session.scalars(select(PurchaseRequest).where(
        PurchaseRequest.id.in_({rid for _k, _t, ids in found for rid in ids})))}
    return [Cluster(key, names[key], tier, [requests[rid] for rid in ids]) for key, tier, ids in found]
