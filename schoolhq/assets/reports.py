"""The paper a school keeps about its assets (三帐一卡), as queries: the per-room ledger
(分室明细账) hung in each room, the per-category ledger with totals, totals by top-level
class, and the idle list. Views render them as HTML for print and as XLSX."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from schoolhq.assets.models import Asset, AssetCategory, AssetEvent
from schoolhq.assets.services import depreciation_years, value_from
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.extensions import db
from schoolhq.people.models import Person
from schoolhq.places.models import Location


@dataclass(frozen=True, slots=True)
class Named:
    """A related row as a line shows it: a category's code and name, a place's full name,
    a person's name."""

    name: str = ""
    code: str = ""
    full_name: str = ""


@dataclass(slots=True)
class Line:
    """One asset as the ledgers and lists print it, read as plain columns: the whole
    school is some 19,000 of them, too many to build as assets with their relations
    (bench/: 3.2 s and 150 MB). It answers to the names an asset does, so a line prints
    and exports as one."""

    id: int
    number: str
    name: str
    brand: str
    model: str
    serial: str
    quantity: int
    unit: str
    unit_price_fen: int
    purchased_on: date | None
    booked_on: date | None
    status: str
    tier: str
    location_id: int
    category_id: int
    category: Named
    location: Named
    custodian: Named | None
    last_at: datetime | None = None

    @property
    def amount_fen(self) -> int:
        return self.unit_price_fen * self.quantity


def _lines_query():
    custodian = aliased(Person)
    return (select(Asset.id, Asset.number, Asset.name, Asset.brand, Asset.model, Asset.serial, Asset.quantity,
                   Asset.unit, Asset.unit_price_fen, Asset.purchased_on, Asset.booked_on, Asset.status, Asset.tier,
                   Asset.location_id, Asset.category_id, Location.full_name, custodian.name)
            .join(Location, Asset.location_id == Location.id)
            .outerjoin(custodian, custodian.id == Asset.custodian_id))


def _lines(rows, categories: dict[int, Named]) -> list[Line]:
    """Lines of `_lines_query()` rows (and the last change, when a row has one more column)."""
    places: dict[str, Named] = {}
    people: dict[str, Named] = {}
    lines = []
    for row in rows:
        (asset_id, number, name, brand, model, serial, quantity, unit, price, purchased, booked, status, tier,
         location_id, category_id, place, person, *more) = row
        where = places.get(place) or places.setdefault(place, Named(full_name=place))
        who = None if person is None else people.get(person) or people.setdefault(person, Named(name=person))
        lines.append(Line(asset_id, number, name, brand, model, serial, quantity, unit, price, purchased, booked,
                          status, tier, location_id, category_id, categories[category_id], where, who, *more))
    return lines


def _categories() -> tuple[dict[int, Named], dict[int, int]]:
    """Every category as a line names it, and its depreciation years (looked up once)."""
    rows = list(db.session.scalars(select(AssetCategory)))
    return ({c.id: Named(name=c.name, code=c.code) for c in rows}, {c.id: depreciation_years(c) for c in rows})


@dataclass
class Group:
    key: str
    title: str
    assets: list[Line] = field(default_factory=list)
    count: int = 0
    amount_fen: int = 0
    net_fen: int = 0
    keeper: str = ""

    def add(self, line: Line, net_fen: int) -> None:
        self.assets.append(line)
        self.count += line.quantity
        self.amount_fen += line.amount_fen
        self.net_fen += net_fen


def _on_register(query):
    from schoolhq.assets.services import on_register

    return query.where(on_register())


def _scoped(query, account):
    from schoolhq.assets.services import _within_scope

    return _within_scope(query, account, Location, None) if account is not None else query


def room_ledgers(within: Location | None, account=None) -> list[Group]:
    """One group per room (or other place holding assets), in tree order."""
    query = _on_register(_lines_query())
    if within is not None:
        query = query.where(Location.path.startswith(within.path))
    query = _scoped(query, account).order_by(Location.full_name, Asset.number)
    categories, years = _categories()
    today = local_today()
    groups: dict[int, Group] = {}
    for line in _lines(db.session.execute(query), categories):
        group = groups.get(line.location_id)
        if group is None:
            group = groups[line.location_id] = Group(str(line.location_id), line.location.full_name)
        group.add(line, value_from(line.amount_fen, line.tier, lambda category_id=line.category_id: years[category_id],
                                   line.booked_on, line.purchased_on, today).net_fen)
    keepers = dict(db.session.execute(select(Location.id, Person.name).join(
        Person, Person.id == Location.responsible_person_id).where(Location.id.in_(groups))).all()) if groups else {}
    for location_id, group in groups.items():
        group.keeper = keepers.get(location_id, "")
    return list(groups.values())


def first_building(account=None) -> Location | None:
    """The building of the whole-school ledger's first page (its places in name order),
    within what the account may see: the room ledgers show it when no place was chosen,
    since the whole school is some 19,000 lines (over a second to print)."""
    first = db.session.scalar(_scoped(_on_register(
        select(Location.path).join(Asset, Asset.location_id == Location.id)), account)
        .order_by(Location.full_name).limit(1))
    if first is None:
        return None
    ids = [int(part) for part in first.strip("/").split("/")]
    return db.session.scalar(select(Location).where(Location.id.in_(ids), Location.kind == "building",
                                                    Location.archived_at.is_(None)))


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


def _idle(months: int, account):
    cutoff = utcnow() - timedelta(days=months * 30)
    last = (select(AssetEvent.asset_id, func.max(AssetEvent.at).label("last_at"))
            .group_by(AssetEvent.asset_id).subquery())
    query = _on_register(_lines_query().add_columns(last.c.last_at).join(last, last.c.asset_id == Asset.id))
    return _scoped(query.where(last.c.last_at < cutoff), account), last.c.last_at


def idle_assets(months: int, account=None, limit: int = 5000) -> list[Line]:
    """Assets with no event (moved, lent, audited, edited …) for `months` months, the
    quietest first, each with the time of its last event (`last_at`)."""
    query, last_at = _idle(months, account)
    return _lines(db.session.execute(query.order_by(last_at, Asset.number).limit(limit)), _categories()[0])


def idle_count(months: int, account=None) -> int:
    """How many assets `idle_assets` finds, counted in SQL (a page shows the first 200)."""
    query = _idle(months, account)[0].with_only_columns(Asset.id, maintain_column_froms=True)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
