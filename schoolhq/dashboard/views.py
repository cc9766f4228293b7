from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from schoolhq.core.permissions import permission_required
from schoolhq.core.web import render
from schoolhq.dashboard.services import items_for

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@permission_required()
def home():
    return render("dashboard/home.html", "dashboard/_items.html", items=items_for(current_user))
