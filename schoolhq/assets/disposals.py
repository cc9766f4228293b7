"""Disposal (报废): request → appraisal → approval (the principal above a value threshold,
someone other than the requester always) → the education authority's document on file →
execution. Disposed assets leave the active register and keep their history."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from schoolhq.assets import services
from schoolhq.assets.models import Asset, Disposal, DisposalItem, DisposalPhoto
from schoolhq.core import audit, settings
from schoolhq.core.database import locked, locked_all
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.extensions import db

STATUS_TONES = {"submitted": "warn", "appraised": "warn", "approved": "info",
                                         "executed": "ok", "rejected": "muted"}


def _actor():
    return current_user if current_user and getattr(current_user, "is_authenticated", False) else None


_WHOLE = (selectinload(Disposal.items).joinedload(DisposalItem.asset), selectinload(Disposal.photos))


def get(disposal_id: int) -> Disposal:
    return get_or_raise(Disposal, disposal_id, _l("That disposal request does not exist."), options=_WHOLE)


def listing() -> list[Disposal]:
    return list(db.session.scalars(select(Disposal).options(selectinload(Disposal.items))
                                   .order_by(Disposal.created_at.desc())))


def _locked(disposal_id: int) -> Disposal:
    return locked(Disposal, disposal_id, _l("That disposal request does not exist."), options=_WHOLE)


def needs_principal(disposal: Disposal) -> bool:
    return disposal.total_fen >= settings.get("assets.disposal_principal_threshold_fen")


def request_disposal(asset_ids: list[int], reason: str, photos=()) -> Disposal:
    from schoolhq.core.uploads import save_upload

    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Give the reason for disposal."), "reason")
    if not asset_ids:
        raise ServiceError(_l("Choose at least one asset."), "tags")
    if len(set(asset_ids)) != len(asset_ids):
        raise ServiceError(_l("The same item is in the list twice."), "tags")
    assets = locked_all(Asset, asset_ids, _l("That asset does not exist."))  # never on two requests at once
    for asset in assets:
        if asset.status in ("on_loan", "pending_disposal", "disposed", "lost"):
            raise ServiceError(_l("%(number)s %(name)s cannot be put up for disposal while it is %(status)s.",
                                  number=asset.number, name=asset.name, status=services.status_name(asset.status)),
                               "tags")
    actor = _actor()
    disposal = Disposal(number=local_today().strftime("BF%y%m%d-") + secrets.token_hex(2).upper(), reason=reason,
                        created_by_id=actor.id if actor else None,
                        total_fen=sum(a.amount_fen for a in assets))
    db.session.add(disposal)
    db.session.flush()
    for asset in assets:
        db.session.add(DisposalItem(disposal_id=disposal.id, asset_id=asset.id, original_fen=asset.amount_fen,
                                    net_fen=services.value_of(asset).net_fen, status_before=asset.status))
        before, asset.status = asset.status, "pending_disposal"
        services.record_event(asset, "status_changed", {"from": before, "to": "pending_disposal"}, disposal.number)
    for photo in photos:
        if photo and photo.filename:
            db.session.add(DisposalPhoto(disposal_id=disposal.id,
                                         attachment_id=save_upload(photo, images_only=True).id))
    db.session.flush()
    audit.record("assets", "disposal.requested", disposal, after={"assets": len(assets), "total_fen": disposal.total_fen},
                 summary=disposal.number)
    return disposal


def appraise(disposal_id: int, note: str) -> Disposal:
    disposal = _locked(disposal_id)
    if disposal.status != "submitted":
        raise ServiceError(_l("This request has already been appraised."))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_l("Write the appraisal: the state of the items and why they cannot be repaired."),
                           "appraisal")
    actor = _actor()
    disposal.appraisal, disposal.status = note, "appraised"
    disposal.appraised_by_id = actor.id if actor else None
    db.session.flush()
    audit.record("assets", "disposal.appraised", disposal, after={"appraisal": note}, summary=disposal.number)
    return disposal


def decide(disposal_id: int, approve: bool, note: str = "") -> Disposal:
    """Approve or reject. Above the threshold only a holder of assets.approve decides;
    nobody decides on their own request. A rejection restores every asset's status."""
    from schoolhq.core.permissions import can

    disposal = _locked(disposal_id)
    if disposal.status != "appraised":
        raise ServiceError(_l("Only an appraised request can be decided."))
    actor = _actor()
    if actor is not None and actor.id == disposal.created_by_id:
        raise ServiceError(_l("Someone other than the requester must decide."))
    if needs_principal(disposal) and (actor is None or not can(actor, "assets.approve")):
        raise ServiceError(_l("Above %(amount)s the principal decides.",
                              amount=f"¥{settings.get('assets.disposal_principal_threshold_fen') / 100:,.2f}"))
    if not approve and not (note or "").strip():
        raise ServiceError(_l("Say why the request is rejected."), "note")
    disposal.decision_note = (note or "").strip()
    disposal.approved_at = utcnow()
    disposal.approved_by_id = actor.id if actor else None
    disposal.status = "approved" if approve else "rejected"
    if not approve:
        for item in disposal.items:
            asset = item.asset
            asset.status = item.status_before
            services.record_event(asset, "status_changed", {"from": "pending_disposal", "to": item.status_before},
                                  disposal.number)
    db.session.flush()
    audit.record("assets", "disposal.approved" if approve else "disposal.rejected", disposal,
                 after={"note": disposal.decision_note}, summary=disposal.number)
    return disposal


def attach_document(disposal_id: int, file, reference: str) -> Disposal:
    from schoolhq.core.uploads import save_upload

    disposal = _locked(disposal_id)
    if disposal.status != "approved":
        raise ServiceError(_l("The authority's document belongs to an approved request."))
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        raise ServiceError(_l("Enter the document's reference number (批复文号)."), "document_ref")
    disposal.document_id = save_upload(file).id
    disposal.document_ref = reference
    db.session.flush()
    audit.record("assets", "disposal.document", disposal, after={"document_ref": reference}, summary=disposal.number)
    return disposal


def execute(disposal_id: int, method: str) -> Disposal:
    disposal = _locked(disposal_id)
    if disposal.status != "approved":
        raise ServiceError(_l("Only an approved request can be executed."))
    if disposal.document_id is None:
        raise ServiceError(_l("Upload the education authority's approval first (先报批、后处置)."), "document")
    method = (method or "").strip()
    if not method:
        raise ServiceError(_l("Say how the items were disposed of (sold, recycled, destroyed …)."), "method")
    actor = _actor()
    disposal.status, disposal.method = "executed", method[:60]
    disposal.executed_at = utcnow()
    disposal.executed_by_id = actor.id if actor else None
    for item in disposal.items:
        asset = item.asset
        asset.status = "disposed"
        services.record_event(asset, "disposed", {"disposal": disposal.number, "document": disposal.document_ref,
                                                  "method": disposal.method})
    db.session.flush()
    audit.record("assets", "disposal.executed", disposal, after={"method": method}, summary=disposal.number)
    return disposal


def waiting_for(account):
    """The requests whose next step is this person's, oldest first: the appraisal for
    whoever manages the register, the decision for anyone but the requester who may take
    it (above the threshold, a holder of assets.approve), as `decide` and the disposal page
    allow; only requests whose every item the person may see, as the page requires. None
    when no step is theirs."""
    from sqlalchemy import and_, exists, or_

    from schoolhq.core.permissions import can, scope_condition
    from schoolhq.places.models import Location

    manages, approves = can(account, "assets.manage"), can(account, "assets.approve")
    if not (manages or approves):
        return None
    decide = [Disposal.status == "appraised", or_(Disposal.created_by_id.is_(None), Disposal.created_by_id != account.id)]
    if not approves:
        decide.append(Disposal.total_fen < settings.get("assets.disposal_principal_threshold_fen"))
    steps = [and_(*decide)] + ([Disposal.status == "submitted"] if manages else [])
    query = select(Disposal).where(or_(*steps)).order_by(Disposal.created_at, Disposal.id)
    seen = scope_condition(account, "assets.view", location_path=Location.path, department_id=Asset.department_id)
    if seen is not None:  # a scoped reader: no item outside what they see
        query = query.where(~exists(select(DisposalItem.id).join(Asset, Asset.id == DisposalItem.asset_id)
                                    .join(Location, Location.id == Asset.location_id)
                                    .where(DisposalItem.disposal_id == Disposal.id, ~seen)))
    return query


def in_progress_for(asset: Asset) -> Disposal | None:
    return db.session.scalar(select(Disposal).join(DisposalItem).where(
        DisposalItem.asset_id == asset.id, Disposal.status.in_(("submitted", "appraised", "approved"))))


def attachment_rule(attachment, account):
    """A disposal's photos and the authority's document: whoever may see the register."""
    from sqlalchemy import or_

    from schoolhq.core.permissions import can

    owner = db.session.scalar(select(Disposal.id).outerjoin(DisposalPhoto).where(or_(
        Disposal.document_id == attachment.id, DisposalPhoto.attachment_id == attachment.id)).limit(1))
    return None if owner is None else can(account, "assets.view")
