"""How the audit page reads the asset register's entries: an asset by its number and
name, a stocktake, a disposal, a loan or a booking by what it is about, linking to their
pages where the reader may open them."""

from __future__ import annotations

from flask import g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from schoolhq.assets import services
from schoolhq.assets.models import (
    Asset,
    AssetCategory,
    AssetKind,
    AuditCampaign,
    Disposal,
    DisposalItem,
    Loan,
    Reservation,
)
from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.core.permissions import can
from schoolhq.extensions import db


def _scoped() -> tuple:
    """An asset's place and department, loaded with it (built when asked: a loader option
    made at import would configure every mapper before all the areas' models exist)."""
    return joinedload(Asset.location), joinedload(Asset.department)


def _asset_text(asset: Asset) -> str:
    return f"{asset.number} {asset.name}"


def assets(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(Asset).options(*_scoped()).where(Asset.id.in_(ids)))
    return {asset.id: Named(_asset_text(asset), page_of(reader, "assets.detail", can(reader, "assets.view", asset),
                                                        asset_id=asset.id))
            for asset in rows}


def loans(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(Loan).options(joinedload(Loan.asset).joinedload(Asset.location),
                                                   joinedload(Loan.asset).joinedload(Asset.department))
                              .where(Loan.id.in_(ids)))
    return {loan.id: Named(_asset_text(loan.asset), page_of(
        reader, "assets.slip", can(reader, "assets.loan", loan.asset) or can(reader, "assets.view", loan.asset)
        or loan.borrower_id == reader.person_id, slip=loan.slip))
            for loan in rows}


def reservations(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(Reservation).options(joinedload(Reservation.asset).joinedload(Asset.location),
                                                          joinedload(Reservation.asset).joinedload(Asset.department))
                              .where(Reservation.id.in_(ids)))
    return {booking.id: Named(_asset_text(booking.asset), page_of(
        reader, "assets.detail", can(reader, "assets.view", booking.asset), asset_id=booking.asset_id))
            for booking in rows}


def stocktakes(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(AuditCampaign).options(joinedload(AuditCampaign.location))
                              .where(AuditCampaign.id.in_(ids)))
    return {campaign.id: Named(campaign.name, page_of(
        reader, "assets.audit_detail",
        can(reader, "assets.audit", campaign) or can(reader, "assets.approve", campaign), campaign_id=campaign.id))
            for campaign in rows}


def disposals(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(Disposal).options(
        selectinload(Disposal.items).joinedload(DisposalItem.asset).options(*_scoped())).where(Disposal.id.in_(ids)))
    return {disposal.id: Named(disposal.number, page_of(
        reader, "assets.disposal_detail", all(can(reader, "assets.view", item.asset) for item in disposal.items),
        disposal_id=disposal.id))
            for disposal in rows}


def categories(ids: set[int], reader) -> dict[int, Named]:
    return {category.id: Named(f"{category.code} {category.name}",
                               page_of(reader, "assets.category_edit", category_id=category.id))
            for category in db.session.scalars(select(AssetCategory).where(AssetCategory.id.in_(ids)))}


def kinds(ids: set[int], reader) -> dict[int, Named]:
    return {kind.id: Named(services.kind_name(kind), page_of(reader, "assets.kind_edit", kind_id=kind.id))
            for kind in db.session.scalars(select(AssetKind).where(AssetKind.id.in_(ids)))}


def _kind_field_labels() -> dict[str, str]:
    """The labels of every kind's extra fields by key, once per request."""
    if "schoolhq_audit_kind_fields" not in g:
        english = str(get_locale() or "").startswith("en")
        labels: dict[str, str] = {}
        for kind in services.kinds():
            for field in kind.fields or []:
                if field.get("key"):
                    labels.setdefault(field["key"], (english and field.get("en")) or field.get("zh") or field["key"])
        g.schoolhq_audit_kind_fields = labels
    return g.schoolhq_audit_kind_fields


def extra_text(values) -> str:
    """The values of a kind's extra fields ("滤芯型号 RO-400"), by their labels."""
    if not isinstance(values, dict):
        return str(values)
    labels = _kind_field_labels()
    return "、".join(f"{labels.get(key, key)} {value}" for key, value in values.items() if value not in (None, ""))


def period_text(key) -> str:
    return str(_l("Period %(n)s", n=key))


AUDIT = AuditTrail(
    actions={
        "asset.registered": _l("Registered an asset"),
        "asset.updated": _l("Changed an asset's card"),
        "asset.moved": _l("Moved an asset"),
        "asset.photo": _l("Changed an asset's photo"),
        "asset.custodian_changed": _l("Changed an asset's custodian"),
        "asset.status_changed": _l("Changed an asset's status"),
        "loan.checked_out": _l("Lent an asset out"),
        "loan.checked_in": _l("Took a lent asset back"),
        "reservation.booked": _l("Booked an asset for a lesson"),
        "reservation.requested": _l("Asked to borrow an asset"),
        "reservation.approved": _l("Approved a request to borrow"),
        "reservation.rejected": _l("Turned down a request to borrow"),
        "reservation.cancelled": _l("Cancelled a booking"),
        "stocktake.started": _l("Started a stocktake"),
        "stocktake.closed": _l("Closed a stocktake"),
        "stocktake.losses_approved": _l("Approved writing off missing assets"),
        "disposal.requested": _l("Asked to dispose of assets"),
        "disposal.appraised": _l("Appraised a disposal"),
        "disposal.approved": _l("Approved a disposal"),
        "disposal.rejected": _l("Rejected a disposal"),
        "disposal.document": _l("Filed the approval of a disposal"),
        "disposal.executed": _l("Disposed of assets"),
        "category.updated": _l("Changed an asset category"),
        "category.added": _l("Added an asset category"),
        "kind.saved": _l("Saved a kind of asset"),
    },
    records={"asset": assets, "loan": loans, "reservation": reservations, "audit_campaign": stocktakes,
             "disposal": disposals, "asset_category": categories, "asset_kind": kinds},
    fields={
        "number": AuditField(_l("Asset number")),
        "name": AuditField(_l("Asset name")),
        "category_id": AuditField(_l("Category"), refers="asset_category"),
        "kind_id": AuditField(_l("Kind"), refers="asset_kind"),
        "tier": AuditField(_l("Tier"), shows=services.tier_name),
        "brand": AuditField(_l("Brand")),
        "model": AuditField(_l("Model")),
        "spec": AuditField(_l("Specification")),
        "serial": AuditField(_l("Serial number")),
        "unit": AuditField(_l("Unit")),
        "quantity": AuditField(_l("Quantity")),
        "unit_price_fen": AuditField(_l("Unit price")),
        "funding_source": AuditField(_l("Funding source")),
        "acquisition_method": AuditField(_l("Acquired by")),
        "purchased_on": AuditField(_l("Purchase date")),
        "booked_on": AuditField(_l("Booked on")),
        "voucher_no": AuditField(_l("Voucher no.")),
        "invoice_no": AuditField(_l("Invoice no.")),
        "supplier": AuditField(_l("Supplier")),
        "warranty_until": AuditField(_l("Warranty until")),
        "use_direction": AuditField(_l("Use")),
        "department_id": AuditField(_l("Managing department"), refers="department"),
        "loanable": AuditField(_l("Can be lent out")),
        "extra": AuditField(_l("Kind's fields"), shows=extra_text),
        "location_id": AuditField(_l("Kept in"), refers="location"),
        "custodian_id": AuditField(_l("Custodian"), refers="person"),
        "status": AuditField(_l("Status"), shows=services.status_name),
        "photo_id": AuditField(_l("Photo"), hidden=True),
        "asset": AuditField(_l("Asset")),
        "borrower": AuditField(_l("Borrower")),
        "person": AuditField(_l("Borrower")),
        "due_at": AuditField(_l("Due back")),
        "damaged": AuditField(_l("Damaged")),
        "day": AuditField(_l("Date")),
        "period": AuditField(_l("Lesson period"), shows=period_text),
        "from": AuditField(_l("First day")),
        "to": AuditField(_l("Last day")),
        "expected": AuditField(_l("Assets to find")),
        "found": AuditField(_l("Found")),
        "misplaced": AuditField(_l("Found in another room")),
        "missing": AuditField(_l("Missing")),
        "unknown": AuditField(_l("Unknown tags")),
        "lost": AuditField(_l("Written off as lost")),
        "assets": AuditField(_l("Assets")),
        "total_fen": AuditField(_l("Original value")),
        "appraisal": AuditField(_l("Appraisal")),
        "document_ref": AuditField(_l("Approval document no.")),
        "method": AuditField(_l("Disposed of by")),
        "code": AuditField(_l("Code")),
        "years": AuditField(_l("Depreciation years")),
        "class": AuditField(_l("Class in the older scheme (GB/T 14885-2010)")),
        # a kind's key and its fields' keys: the kind's own page shows them by name
        "key": AuditField(_l("Key"), hidden=True),
        "fields": AuditField(_l("Fields"), hidden=True),
    },
)
