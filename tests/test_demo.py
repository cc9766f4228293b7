"""The demo school follows the held clock: an inspector looking at it on any day sees
nothing dated after that moment, and nothing missed whose window is still open."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Date, DateTime, func, select

from schoolhq.extensions import db

pytestmark = pytest.mark.dated

#: columns that name a moment still to come: due dates, windows, expiries, bookings, terms
SCHEDULED = {
    "calendar_day.day", "school_term.starts_on", "school_term.ends_on", "check_schedule.starts_on",
    "account.locked_until", "asset.warranty_until", "asset.next_audit_on", "check_round.period_start",
    "check_round.opens_at", "check_round.due_at", "check_round.closes_at", "loan.due_at",
    "maintenance_plan.next_due_on", "reservation.starts_at", "reservation.ends_at", "ticket.due_at",
    "ticket.plan_due_on", "certificate.expires_on", "canteen_morning_check.certificate_until",
    "canteen_food_sample.keep_until", "canteen_delivery.keep_until", "canteen_supplier_licence.expires_on",
    "canteen_delivery_line.use_by", "canteen_supplier.contract_until", "hazard.deadline",
    "water_point.permit_expires_on", "water_filter_change.next_due_on", "water_tank_cleaning.next_due_on",
    "water_tank_cleaning.firm_licence_expires_on", "water_dispenser_cleaning.next_due_on",
    "training_completion.expires_on", "training_session.starts_at", "training_session.ends_at",
}


def test_nothing_in_the_demo_is_dated_after_now(app, demo, clock):
    now, today = clock.now, clock.today
    late = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                name = f"{table.name}.{column.name}"
                if name in SCHEDULED or not isinstance(column.type, (Date, DateTime)):
                    continue
                latest = db.session.scalar(select(func.max(column)))
                if latest is None:
                    continue
                limit = now if isinstance(column.type, DateTime) else today
                if isinstance(latest, datetime) and not isinstance(column.type, DateTime):
                    latest = latest.date()
                if isinstance(latest, date) and not isinstance(latest, datetime) and isinstance(limit, datetime):
                    limit = limit.date()
                if latest > limit:
                    late.append(f"{name} = {latest} (now {limit})")
    assert not late, "dated after now: " + "; ".join(late)


def test_no_round_is_missed_before_its_window_closes(app, demo, clock):
    from schoolhq.checks.models import CheckRound

    with app.app_context():
        early = db.session.execute(select(CheckRound.template_key, CheckRound.period, CheckRound.closes_at)
                                   .where(CheckRound.status == "missed", CheckRound.closes_at > clock.now)).all()
        assert not early, f"missed while still open (now {clock.now} UTC): {early}"
