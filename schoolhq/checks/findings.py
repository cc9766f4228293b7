"""Findings: every failed item of a submitted round becomes one, which opens (or
proposes) a repair ticket by its item's rule; then the follow-up: a ticket opened from a
proposal, or closed with a note or as corrected on the spot."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.checks import packs
from schoolhq.checks.models import CheckFinding, CheckItem, CheckRound, CheckTemplate
from schoolhq.checks.services import FINDING_LABELS, Slot, answer_message, template_title
from schoolhq.core import audit, messages
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.permissions import can
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db


def _ticket_category(template: CheckTemplate) -> int | None:
    from schoolhq.repairs.models import RepairCategory

    mapping = packs.ticket_categories()
    name = mapping.get(template.key.split(".")[0]) or mapping.get(template.area) or mapping.get("default")
    category = db.session.scalar(select(RepairCategory).where(RepairCategory.name == name,
                                                              RepairCategory.archived_at.is_(None)))
    if category is None:
        category = db.session.scalar(select(RepairCategory).where(RepairCategory.archived_at.is_(None))
                                     .order_by(RepairCategory.sort_order).limit(1))
    return category.id if category else None


def _ticket_report(round_: CheckRound, item: CheckItem, summary, asset_id: int | None, photo_id: int | None):
    """The ticket a failed item opens; its description a message (core.messages), so the
    repair worker reads it in their language. `summary`: the finding's (message or text)."""
    from schoolhq.repairs.services import Report

    reference = f"{item.reference} ({item.confidence})" if item.reference else ""
    description = [_l("Check “%(template)s” failed: %(what)s", template=template_title(round_.template),
                      what=summary)]
    if reference:
        description += ["\n", _l("Reference: %(ref)s", ref=reference)]
    location_id = round_.location_id
    if asset_id:
        from schoolhq.assets.models import Asset

        location_id = db.session.scalar(select(Asset.location_id).where(Asset.id == asset_id)) or location_id
    return Report(location_id=location_id, category_id=_ticket_category(round_.template),
                  priority="high" if item.critical else "normal", description=description, asset_id=asset_id,
                  photo_ids=[photo_id] if photo_id else [])


def _source_key(round_: CheckRound, item: CheckItem) -> str:
    return f"check:{round_.template_key}:{item.key}"[:80]


def raise_finding(round_: CheckRound, the_slot: Slot, account=None) -> CheckFinding:
    item, answer_ = the_slot.item, the_slot.answer
    asset_id = the_slot.subject_id or round_.asset_id
    what = answer_message(item, answer_, the_slot.subject_label)
    summary, summary_message = messages.store(what)
    finding = CheckFinding(round_id=round_.id, answer_id=answer_.id, item_id=item.id, location_id=round_.location_id,
                           asset_id=asset_id, summary=summary[:500], summary_message=summary_message,
                           photo_id=answer_.photo_id)
    if answer_.corrected:
        finding.status, finding.note, finding.closed_at = "corrected", answer_.note, utcnow()
    elif item.ticket == "auto" and _ticket_category(round_.template) is None:
        finding.ticket_proposed = True  # no repair category to file it under: the office decides
    elif item.ticket == "auto":
        from schoolhq.repairs.services import open_or_add_occurrence

        ticket, _created = open_or_add_occurrence(
            _source_key(round_, item), _ticket_report(round_, item, what, asset_id, answer_.photo_id),
            account)
        finding.status, finding.ticket_id = "ticketed", ticket.id
    elif item.ticket == "suggest":
        finding.ticket_proposed = True
    db.session.add(finding)
    db.session.flush()
    from schoolhq.hazards.services import register_from_finding

    # a safety round's failure not put right on the spot is a hazard, found when it was answered
    register_from_finding(finding, round_, account, answer_.answered_at or utcnow(), what, answer_.note or "")
    return finding


def by_status(status: str = "open"):
    query = select(CheckFinding).order_by(CheckFinding.created_at.desc(), CheckFinding.id.desc())
    if status == "open":
        query = query.where(CheckFinding.status == "open")
    elif status in FINDING_LABELS:
        query = query.where(CheckFinding.status == status)
    return query


def get_finding(finding_id: int) -> CheckFinding:
    return get_or_raise(CheckFinding, finding_id, _l("No such finding."))


def _open_finding(account, finding_id: int) -> CheckFinding:
    finding = locked(CheckFinding, finding_id, _l("No such finding."))
    if not can(account, "checks.manage", finding.round):
        raise ServiceError(_l("Only the logistics office follows up findings."))
    if finding.status != "open":
        raise ServiceError(_l("This finding is already dealt with."))
    return finding


def ticket_for_finding(account, finding_id: int):
    """The proposed ticket (rule "suggest"), opened by the office after all."""
    from schoolhq.repairs.services import open_or_add_occurrence

    finding = _open_finding(account, finding_id)
    ticket, _created = open_or_add_occurrence(
        _source_key(finding.round, finding.item),
        _ticket_report(finding.round, finding.item, finding.summary_value, finding.asset_id, finding.photo_id),
        account)
    finding.status, finding.ticket_id = "ticketed", ticket.id
    finding.closed_by_id = account.id
    db.session.flush()
    audit.record("checks", "finding.ticketed", finding, summary=ticket.number)
    return ticket


def close_finding(account, finding_id: int, note: str, photo=None, corrected: bool = False) -> CheckFinding:
    finding = _open_finding(account, finding_id)
    note = (note or "").strip()[:500]
    if len(note) < 2:
        raise ServiceError(_l("Say how it was dealt with."), "note")
    if photo is not None and getattr(photo, "filename", ""):
        from schoolhq.core.uploads import save_upload

        finding.photo_id = save_upload(photo, images_only=True).id
    finding.status = "corrected" if corrected else "closed"
    finding.note, finding.closed_by_id, finding.closed_at = note, account.id, utcnow()
    db.session.flush()
    audit.record("checks", "finding.closed", finding, after={"status": finding.status, "note": note},
                 summary=finding.summary[:80])
    return finding
