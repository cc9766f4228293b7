"""Stocktakes (资产清查): the register's expectations are snapshotted when a campaign
starts; each scan in a room sorts into found, misplaced (an explicit "move here?", never a
silent change), unknown tag or duplicate. Closing applies only confirmed moves; missing
items become lost only when someone else approves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from schoolhq.assets import services
from schoolhq.assets.models import (
    Asset,
    AssetCategory,
    AuditCampaign,
    AuditExpected,
    AuditScan,
)
from schoolhq.core import audit
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.extensions import db
from schoolhq.places.models import Location

#: a closed stocktake waits for someone to approve its losses
STATUS_TONES = {"open": "info", "closed": "warn", "approved": "ok"}


def _actor_id():
    return current_user.id if current_user and getattr(current_user, "is_authenticated", False) else None


def get_campaign(campaign_id: int) -> AuditCampaign:
    return get_or_raise(AuditCampaign, campaign_id, _l("That stocktake does not exist."))


def _locked(campaign_id: int, shared: bool = False) -> AuditCampaign:
    return locked(AuditCampaign, campaign_id, _l("That stocktake does not exist."), shared=shared)


def campaigns() -> list[AuditCampaign]:
    return list(db.session.scalars(select(AuditCampaign).order_by(AuditCampaign.created_at.desc())))


def start(name: str, location_id: int | None = None, category_id: int | None = None) -> AuditCampaign:
    from schoolhq.places.services import get_location

    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ServiceError(_l("Give the stocktake a name of at most 100 characters."), "name")
    location = get_location(location_id) if location_id else None
    category = db.session.get(AssetCategory, category_id) if category_id else None
    if category_id and category is None:
        raise ServiceError(_l("Choose a category."), "category_id")
    campaign = AuditCampaign(name=name, location_id=location.id if location else None,
                             category_id=category.id if category else None, created_by_id=_actor_id())
    db.session.add(campaign)
    db.session.flush()
    query = (select(Asset.id, Asset.location_id, Asset.unit_price_fen, Asset.quantity)
             .join(Location, Asset.location_id == Location.id)
             .where(services.on_register(),
                    # an item on loan is accounted for by its loan, not expected on a shelf
                    Asset.status != "on_loan"))
    if location is not None:
        query = query.where(Location.path.startswith(location.path))
    if category is not None:
        query = query.join(AssetCategory, Asset.category_id == AssetCategory.id).where(
            AssetCategory.path.startswith(category.path))
    rows = [{"campaign_id": campaign.id, "asset_id": r.id, "location_id": r.location_id,
             "amount_fen": r.unit_price_fen * r.quantity} for r in db.session.execute(query)]
    if not rows:
        raise ServiceError(_l("No assets on the register match; nothing to count."), "location_id")
    db.session.execute(AuditExpected.__table__.insert(), rows)
    audit.record("assets", "stocktake.started", campaign, after={"name": name, "expected": len(rows)}, summary=name)
    return campaign


@dataclass
class RoomProgress:
    location: Location
    expected: int = 0
    found: int = 0

    @property
    def done(self) -> bool:
        return self.expected > 0 and self.found >= self.expected


def progress(campaign: AuditCampaign) -> list[RoomProgress]:
    expected = dict(db.session.execute(
        select(AuditExpected.location_id, func.count(AuditExpected.id))
        .where(AuditExpected.campaign_id == campaign.id).group_by(AuditExpected.location_id)).all())
    found = dict(db.session.execute(
        select(AuditExpected.location_id, func.count(AuditScan.id))
        .join(AuditScan, (AuditScan.campaign_id == AuditExpected.campaign_id)
              & (AuditScan.asset_id == AuditExpected.asset_id)
              & (AuditScan.location_id == AuditExpected.location_id))
        .where(AuditExpected.campaign_id == campaign.id, AuditScan.result == "found")
        .group_by(AuditExpected.location_id)).all())
    rooms = db.session.scalars(select(Location).where(Location.id.in_(expected)).order_by(Location.full_name))
    return [RoomProgress(room, expected[room.id], found.get(room.id, 0)) for room in rooms]


def room_view(campaign: AuditCampaign, location_id: int):
    """The expected list of a room, which of it was found, and what was scanned there."""
    expected = list(db.session.scalars(select(AuditExpected).options(joinedload(AuditExpected.asset)).where(
        AuditExpected.campaign_id == campaign.id, AuditExpected.location_id == location_id)
        .order_by(AuditExpected.id)))
    scans = list(db.session.scalars(select(AuditScan).options(joinedload(AuditScan.asset).joinedload(Asset.location)).where(
        AuditScan.campaign_id == campaign.id, AuditScan.location_id == location_id).order_by(AuditScan.id.desc())))
    found_ids = {s.asset_id for s in scans if s.result == "found"}
    return expected, scans, found_ids


#: an unknown code shorter than this is a garbled scan, not another system's label
SHORTEST_UNKNOWN_TAG = 4


def _require_open(campaign: AuditCampaign) -> None:
    if campaign.status != "open":
        raise ServiceError(_l("This stocktake is closed."))


def record_scan(campaign_id: int, location_id: int, code: str) -> AuditScan:
    from schoolhq.places.services import get_location

    campaign = _locked(campaign_id, shared=True)  # tablets scan side by side; closing waits for them
    _require_open(campaign)
    room = get_location(location_id)
    code = (code or "").strip()
    if not code:
        raise ServiceError(_l("Scan or type a tag."), "tag")
    if len(code) > 100:
        raise ServiceError(_l("That is not a tag."), "tag")
    asset = services.resolve_tag(code)
    if asset is None and len(code) < SHORTEST_UNKNOWN_TAG:
        # a scan cut short, not an unlabelled item: it would print in the report as 盘盈
        raise ServiceError(_l("“%(code)s” is too short to be a tag; scan the label again.", code=code), "tag")
    scan = AuditScan(campaign_id=campaign.id, location_id=room.id, code=code, scanned_by_id=_actor_id(),
                     asset_id=asset.id if asset else None, result="unknown")
    if asset is not None:
        counted = db.session.scalar(select(AuditScan).where(
            AuditScan.campaign_id == campaign.id, AuditScan.asset_id == asset.id,
            AuditScan.result.in_(("found", "misplaced"))))
        if counted is not None:
            scan.result = "duplicate"
        else:
            expected = db.session.scalar(select(AuditExpected).where(
                AuditExpected.campaign_id == campaign.id, AuditExpected.asset_id == asset.id))
            scan.result = "found" if expected is not None and expected.location_id == room.id else "misplaced"
    db.session.add(scan)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same item scanned at another tablet this very moment
        scan = AuditScan(campaign_id=campaign.id, location_id=room.id, code=code, scanned_by_id=_actor_id(),
                         asset_id=asset.id if asset else None, result="duplicate")
        db.session.add(scan)
        db.session.flush()
    return scan


def confirm_move(scan_id: int, campaign_id: int) -> AuditScan:
    scan = db.session.get(AuditScan, scan_id)
    if scan is None or scan.campaign_id != campaign_id or scan.result != "misplaced":
        raise ServiceError(_l("Only a misplaced item can be moved here."))
    _require_open(_locked(campaign_id, shared=True))
    scan.move_confirmed = True
    db.session.flush()
    return scan


@dataclass
class Report:
    campaign: AuditCampaign
    expected: int = 0
    found: list = field(default_factory=list)
    misplaced: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    unknown: list = field(default_factory=list)
    duplicates: int = 0
    #: asset id -> where the register had it when the stocktake started (登记地点)
    registered_in: dict = field(default_factory=dict)

    @property
    def missing_fen(self) -> int:  # 盘亏
        return sum(e.amount_fen for e in self.missing)

    @property
    def found_fen(self) -> int:
        return sum(s.asset.amount_fen for s in self.found if s.asset)


def report(campaign: AuditCampaign) -> Report:
    result = Report(campaign)
    scans = list(db.session.scalars(select(AuditScan).where(AuditScan.campaign_id == campaign.id)
                                    .options(joinedload(AuditScan.asset).joinedload(Asset.location),
                                             joinedload(AuditScan.location))
                                    .order_by(AuditScan.id)))
    counted = {s.asset_id for s in scans if s.result in ("found", "misplaced")}
    for s in scans:
        if s.result == "found":
            result.found.append(s)
        elif s.result == "misplaced":
            result.misplaced.append(s)
        elif s.result == "unknown":
            result.unknown.append(s)
        else:
            result.duplicates += 1
    expected = list(db.session.scalars(select(AuditExpected).where(AuditExpected.campaign_id == campaign.id)
                                       .options(joinedload(AuditExpected.asset), joinedload(AuditExpected.location))))
    result.expected = len(expected)
    result.registered_in = {e.asset_id: e.location for e in expected}
    result.missing = [e for e in expected if e.asset_id not in counted]
    return result


def close(campaign_id: int) -> AuditCampaign:
    """Apply the confirmed moves and mark everything seen as audited; missing items wait
    for approval."""
    campaign = _locked(campaign_id)
    _require_open(campaign)
    summary = report(campaign)
    next_audit = local_today() + timedelta(days=365)
    for scan in summary.found + summary.misplaced:
        asset = scan.asset
        if scan.result == "misplaced" and scan.move_confirmed and asset.location_id != scan.location_id:
            services.move_asset(asset.id, scan.location_id, str(_l("Moved by stocktake %(name)s", name=campaign.name)))
        services.record_event(asset, "audited", {"campaign": campaign.name, "result": scan.result,
                                            "room_id": scan.location_id})
        asset.next_audit_on = next_audit
    campaign.status = "closed"
    campaign.closed_at = utcnow()
    campaign.closed_by_id = _actor_id()
    db.session.flush()
    audit.record("assets", "stocktake.closed", campaign,
                 after={"found": len(summary.found), "misplaced": len(summary.misplaced),
                        "missing": len(summary.missing), "unknown": len(summary.unknown)}, summary=campaign.name)
    return campaign


def approve_losses(campaign_id: int) -> AuditCampaign:
    """Write the missing items off as lost. Someone other than whoever closed it approves."""
    campaign = _locked(campaign_id)
    if campaign.status != "closed":
        raise ServiceError(_l("Close the stocktake before approving its losses."))
    if campaign.closed_by_id is not None and campaign.closed_by_id == _actor_id():
        raise ServiceError(_l("The person who closed the stocktake cannot approve its losses."))
    summary = report(campaign)
    for expected in summary.missing:
        asset = expected.asset
        if asset.status in ("lost", "disposed"):
            continue
        before = asset.status
        asset.status = "lost"
        services.record_event(asset, "status_changed", {"from": before, "to": "lost"},
                         str(_l("Missing in stocktake %(name)s", name=campaign.name)))
    campaign.status = "approved"
    campaign.approved_at = utcnow()
    campaign.approved_by_id = _actor_id()
    db.session.flush()
    audit.record("assets", "stocktake.losses_approved", campaign, after={"lost": len(summary.missing)},
                 summary=campaign.name)
    return campaign


def losses_to_approve(account):
    """Closed stocktakes whose losses wait for this person's approval, oldest first:
    within the reach of their grant of assets.approve, never one they closed themselves;
    with how many items are missing and their value (盘亏)."""
    from sqlalchemy import or_

    from schoolhq.core.permissions import within_scopes

    counted = select(AuditScan.id).where(AuditScan.campaign_id == AuditExpected.campaign_id,
                                         AuditScan.asset_id == AuditExpected.asset_id,
                                         AuditScan.result.in_(("found", "misplaced"))).exists()
    lost = (AuditExpected.campaign_id == AuditCampaign.id, ~counted)  # expected, and never counted: as report() says
    query = (select(AuditCampaign.id, AuditCampaign.name, AuditCampaign.closed_at,
                    select(func.count(AuditExpected.id)).where(*lost).scalar_subquery().label("missing"),
                    select(func.coalesce(func.sum(AuditExpected.amount_fen), 0)).where(*lost)
                    .scalar_subquery().label("missing_fen"))
             .where(AuditCampaign.status == "closed",
                    or_(AuditCampaign.closed_by_id.is_(None), AuditCampaign.closed_by_id != account.id))
             .order_by(AuditCampaign.closed_at, AuditCampaign.id))
    return within_scopes(query, account, "assets.approve", location_id=AuditCampaign.location_id)


def due_for_audit(limit: int = 500) -> list[Asset]:
    """Assets never audited, or whose next audit date has passed."""
    today = local_today()
    return list(db.session.scalars(select(Asset).options(joinedload(Asset.location), joinedload(Asset.department)).where(
        services.on_register(),
        (Asset.next_audit_on.is_(None)) | (Asset.next_audit_on < today)).order_by(Asset.number).limit(limit)))
