"""Accounts for tests (make_account and login live in tests/conftest.py)."""

from __future__ import annotations


def route_values() -> dict:
    """Real ids for the route walk (tests/test_routes.py), from the demo school."""
    from sqlalchemy import select

    from schoolhq.auth import services as auth
    from schoolhq.auth.models import Account
    from schoolhq.extensions import db

    return {"account_id": db.session.scalar(select(Account.id).order_by(Account.id)),
            "role_id": auth.roles()[0].id}
