"""Suppliers (供应商档案) and their licences. A supplier may be chosen on a receiving
record only while it has a licence on file and none of its current licences (the
newest of each kind) has run out; reminders go out 30, 7 and 0 days before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from schoolhq.canteen import services
from schoolhq.canteen.models import Supplier, SupplierLicence
from schoolhq.core import audit
from schoolhq.core.database import locked
from schoolhq.core.errors import NotFound, ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db

EXPIRING_DAYS = 30
FIELDS = ["name", "kind", "address", "contact", "blacklist_checked_on", "incidents", "contract_until", "active"]
LICENCE_FIELDS = ["supplier_id", "kind", "number", "issued_on", "expires_on"]
STATES = {
    "valid": _l("Valid"),
    "expiring": _l("Runs out soon"),
    "expired": _l("Expired"),
    "missing": _l("No licence on file"),
}
STATE_TONES = {"valid": "ok", "expiring": "warn", "expired": "danger", "missing": "danger"}


def kinds() -> list[tuple[str, str]]:
    return [(row["key"], services.words(row)) for row in services.domain()["supplier"]["kinds"]]


def licence_kinds() -> list[tuple[str, str]]:
    return [(row["key"], services.words(row)) for row in services.domain()["supplier"]["licence_kinds"]]


def kind_name(key: str) -> str:
    return dict(kinds()).get(key, key)


def licence_kind_name(key: str) -> str:
    return dict(licence_kinds()).get(key, key)


def _may_be_permanent(kind: str) -> bool:
    return any(row["key"] == kind and row.get("may_be_permanent")
               for row in services.domain()["supplier"]["licence_kinds"])


def current_licences(supplier: Supplier) -> list[SupplierLicence]:
    """The newest licence of each kind: an older one of the same kind was replaced."""
    newest: dict[str, SupplierLicence] = {}
    for licence in supplier.licences:
        if licence.kind not in newest or licence.id > newest[licence.kind].id:
            newest[licence.kind] = licence
    return sorted(newest.values(), key=lambda licence: licence.kind)


def licence_state(licence: SupplierLicence, day: date | None = None) -> str:
    day = day or local_today()
    if licence.expires_on is None:
        return "valid"
    if licence.expires_on < day:
        return "expired"
    return "expiring" if (licence.expires_on - day).days <= EXPIRING_DAYS else "valid"


@dataclass
class Standing:
    """Whether a supplier may be chosen on `day`, and the licence that decides it."""

    state: str
    licence: SupplierLicence | None

    @property
    def blocked(self) -> bool:
        return self.state in ("expired", "missing")

    def why(self) -> str:
        if self.state == "missing":
            return str(_l("no licence on file"))
        if self.state == "expired":
            return str(_l("%(kind)s ran out on %(day)s", kind=licence_kind_name(self.licence.kind),
                          day=self.licence.expires_on.isoformat()))
        return ""


def standing(supplier: Supplier, day: date | None = None) -> Standing:
    """The worst of the current licences: expired before expiring before valid."""
    current = current_licences(supplier)
    if not current:
        return Standing("missing", None)
    order = ("expired", "expiring", "valid")
    worst = min(current, key=lambda licence: (order.index(licence_state(licence, day)),
                                             licence.expires_on or date.max))
    return Standing(licence_state(worst, day), worst)


def collector_kinds() -> set[str]:
    """The kinds that take waste away rather than bring food (餐厨废弃物收运单位)."""
    return {row["key"] for row in services.domain()["supplier"]["kinds"] if row.get("collects")}


def listed(include_inactive: bool = False, collectors: bool | None = None) -> list[Supplier]:
    """Suppliers on file; `collectors` True or False keeps only waste collectors or only
    food suppliers."""
    query = select(Supplier).options(selectinload(Supplier.licences))
    if collectors is not None:
        kinds = collector_kinds() or {"-"}
        query = query.where(Supplier.kind.in_(kinds) if collectors else Supplier.kind.not_in(kinds))
    if not include_inactive:
        query = query.where(Supplier.active.is_(True))
    return list(db.session.scalars(query.order_by(Supplier.active.desc(), Supplier.name)))


def get(supplier_id: int) -> Supplier:
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(_l("That supplier does not exist."))
    return supplier


def ensure_may_supply(supplier_id: int | None, day: date, field_name: str = "supplier_id",
                      collects: bool = False) -> Supplier:
    """The supplier a delivery is received from (or, `collects`, the collector waste is
    handed to): on file, in use, of that kind, with a valid licence."""
    if not supplier_id:
        raise ServiceError(_l("Choose the supplier."), field_name)
    supplier = locked(Supplier, supplier_id, _l("That supplier does not exist."))
    if not supplier.active:
        raise ServiceError(_l("%(name)s is no longer a supplier of the canteen.", name=supplier.name), field_name)
    if (supplier.kind in collector_kinds()) != collects:
        raise ServiceError(_l("%(name)s is not a food supplier.", name=supplier.name) if not collects
                           else _l("%(name)s is not a kitchen-waste collector.", name=supplier.name), field_name)
    found = standing(supplier, day)
    if found.blocked:
        raise ServiceError(_l("%(name)s cannot supply the canteen: %(why)s. File a valid licence first.",
                              name=supplier.name, why=found.why()), field_name)
    return supplier


@dataclass
class SupplierData:
    name: str
    kind: str
    address: str = ""
    contact: str = ""
    blacklist_checked_on: date | None = None
    incidents: str = ""
    contract_until: date | None = None


def _clean(data: SupplierData, supplier_id: int | None = None) -> SupplierData:
    name = " ".join((data.name or "").split())
    if not name:
        raise ServiceError(_l("Enter the supplier's name."), "name")
    if len(name) > 100:
        raise ServiceError(_l("A supplier's name is at most 100 characters."), "name")
    if data.kind not in dict(kinds()):
        raise ServiceError(_l("Choose what kind of supplier it is."), "kind")
    for value, limit, field_name in ((data.address, 200, "address"), (data.contact, 100, "contact"),
                                     (data.incidents, 300, "incidents")):
        if len((value or "").strip()) > limit:
            raise ServiceError(_l("At most %(n)s characters.", n=limit), field_name)
    if data.blacklist_checked_on and data.blacklist_checked_on > local_today():
        raise ServiceError(_l("The list cannot have been searched in the future."), "blacklist_checked_on")
    same = db.session.scalar(select(Supplier.id).where(func.lower(Supplier.name) == name.lower(),
                                                       Supplier.id != (supplier_id or 0)))
    if same is not None:
        raise ServiceError(_l("%(name)s is on file already.", name=name), "name")
    return SupplierData(name, data.kind, (data.address or "").strip(), (data.contact or "").strip(),
                        data.blacklist_checked_on, (data.incidents or "").strip(), data.contract_until)


def add_supplier(data: SupplierData) -> Supplier:
    clean = _clean(data)
    supplier = Supplier(**clean.__dict__)
    db.session.add(supplier)
    db.session.flush()
    audit.record("canteen", "supplier.added", supplier, after=audit.snapshot(supplier, FIELDS), summary=supplier.name)
    return supplier


def update_supplier(supplier_id: int, data: SupplierData) -> Supplier:
    supplier = locked(Supplier, supplier_id, _l("That supplier does not exist."))
    clean = _clean(data, supplier.id)
    before = audit.snapshot(supplier, FIELDS)
    for key, value in clean.__dict__.items():
        setattr(supplier, key, value)
    after = audit.snapshot(supplier, FIELDS)
    if after != before:
        audit.record("canteen", "supplier.changed", supplier, before=before, after=after, summary=supplier.name)
    return supplier


def set_active(supplier_id: int, active: bool) -> Supplier:
    """Stop buying from a supplier (or start again); its records and licences stay."""
    supplier = locked(Supplier, supplier_id, _l("That supplier does not exist."))
    if supplier.active != active:
        supplier.active = active
        audit.record("canteen", "supplier.resumed" if active else "supplier.stopped", supplier,
                     before={"active": not active}, after={"active": active}, summary=supplier.name)
    return supplier


@dataclass
class LicenceData:
    kind: str
    number: str
    issued_on: date | None
    expires_on: date | None


def add_licence(account, supplier_id: int, data: LicenceData, scan=None) -> SupplierLicence:
    """File a licence; a newer licence of the same kind replaces the one before."""
    from schoolhq.core.uploads import save_upload

    supplier = locked(Supplier, supplier_id, _l("That supplier does not exist."))
    if data.kind not in dict(licence_kinds()):
        raise ServiceError(_l("Choose the kind of licence."), "kind")
    number = (data.number or "").strip()
    if not number:
        raise ServiceError(_l("Enter the licence's number."), "number")
    if len(number) > 60:
        raise ServiceError(_l("A licence number is at most 60 characters."), "number")
    if data.issued_on and data.issued_on > local_today():
        raise ServiceError(_l("A licence cannot be issued in the future."), "issued_on")
    if data.expires_on is None and not _may_be_permanent(data.kind):
        raise ServiceError(_l("Enter the day it runs out: only a business licence may be valid without end."),
                           "expires_on")
    if data.expires_on and data.issued_on and data.expires_on < data.issued_on:
        raise ServiceError(_l("It cannot run out (%(expires)s) before it was issued (%(issued)s).",
                              expires=data.expires_on.isoformat(), issued=data.issued_on.isoformat()), "expires_on")
    if any(licence.kind == data.kind and licence.number == number and licence.expires_on == data.expires_on
           for licence in supplier.licences):
        raise ServiceError(_l("This licence is on file already."), "number")
    attachment = save_upload(scan) if scan is not None and getattr(scan, "filename", "") else None
    licence = SupplierLicence(supplier_id=supplier.id, kind=data.kind, number=number, issued_on=data.issued_on,
                              expires_on=data.expires_on, scan_id=attachment.id if attachment else None,
                              added_by_id=getattr(account, "id", None))
    db.session.add(licence)
    db.session.flush()
    db.session.refresh(supplier, ["licences"])
    audit.record("canteen", "licence.added", licence, after=audit.snapshot(licence, LICENCE_FIELDS),
                 summary=f"{supplier.name} {licence_kind_name(licence.kind)} {number}")
    return licence


def needing_attention(day: date | None = None) -> list[tuple[Supplier, Standing]]:
    """Suppliers in use whose licences have run out, are missing or run out soon, worst first."""
    day = day or local_today()
    rows = [(supplier, standing(supplier, day)) for supplier in listed()]
    rows = [(supplier, found) for supplier, found in rows if found.state != "valid"]
    order = ("expired", "missing", "expiring")
    return sorted(rows, key=lambda row: (order.index(row[1].state), row[0].name))


def warn_expiring() -> int:
    """The daily reminders at 30, 7 and 0 days before a current licence runs out, once
    each, to whoever manages the canteen. Returns how many licences were warned about."""
    from schoolhq.auth.models import Account
    from schoolhq.core.messages import Bilingual
    from schoolhq.core.notifications import notify
    from schoolhq.core.permissions import can

    thresholds = sorted(services.domain()["supplier"]["reminders_days_before_expiry"], reverse=True)
    today = local_today()
    managers = None
    warned = 0
    for supplier in listed():
        for licence in current_licences(supplier):
            if licence.expires_on is None or not today <= licence.expires_on <= today + timedelta(days=thresholds[0]):
                continue
            threshold = min(t for t in thresholds if t >= (licence.expires_on - today).days)
            if licence.warned_days is not None and licence.warned_days <= threshold:
                continue
            licence.warned_days = threshold
            if managers is None:
                managers = [a.id for a in db.session.scalars(select(Account).where(Account.active.is_(True)))
                            if can(a, "canteen.manage")]
            kind = next((row for row in services.domain()["supplier"]["licence_kinds"] if row["key"] == licence.kind),
                        {"zh": licence.kind})
            title = _l("%(supplier)s's %(kind)s runs out on %(day)s", supplier=supplier.name,
                       kind=Bilingual(kind["zh"], kind.get("en", "")), day=licence.expires_on.isoformat())
            for account_id in managers:
                notify(account_id, "canteen", title, link=f"/canteen/suppliers/{supplier.id}")
            warned += 1
    db.session.flush()
    return warned
