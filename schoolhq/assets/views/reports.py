"""The ledgers that print: 分室明细账 per room, 分类明细账 by category, the unaudited and
idle lists."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from schoolhq.assets.views import (
    asset_header,
    asset_row,
    bp,
)
from schoolhq.core.permissions import can, permission_required
from schoolhq.core.web import int_arg, render
from schoolhq.places import services as places


@bp.get("/reports")
@permission_required("assets.view")
def reports():
    return render("assets/reports.html", locations=places.choices(exclude_kind="room"))


@bp.get("/reports/rooms")
@permission_required("assets.view")
def report_rooms():
    """分室明细账: one page per room, to hang in the room with the keeper's signature."""
    from schoolhq.assets.reports import first_building, room_ledgers
    from schoolhq.core.xlsx import download

    within = places.get_location(int_arg("location")) if int_arg("location") else None
    xlsx = request.args.get("format") == "xlsx"
    # the whole school only when asked for by name (location=all): one building by default
    default = None if within or xlsx or request.args.get("location") == "all" else first_building(current_user)
    groups = room_ledgers(within or default, current_user)
    if xlsx:
        return download("room-ledgers.xlsx", [(g.title.rsplit(" / ", 1)[-1], asset_header(),
                                               (asset_row(a) for a in g.assets)) for g in groups][:200])
    return render("assets/report_rooms.html", groups=groups, within=within or default, default=default)


@bp.get("/reports/categories")
@permission_required("assets.view")
def report_categories():
    """分类明细账 with totals by category and by top-level class."""
    from schoolhq.assets.reports import category_ledgers
    from schoolhq.core.xlsx import download

    categories, classes, total = category_ledgers(current_user)
    if request.args.get("format") == "xlsx":
        summary = [[g.title, g.count, g.amount_fen / 100, g.net_fen / 100] for g in classes]
        summary.append([_("Total"), total.count, total.amount_fen / 100, total.net_fen / 100])
        detail = [[g.title, g.count, g.amount_fen / 100, g.net_fen / 100] for g in categories]
        header = [_("Category"), _("Quantity"), _("Amount (yuan)"), _("Net value (yuan)")]
        return download("category-ledgers.xlsx", [(_("By class"), header, summary),
                                                  (_("By category"), header, detail)])
    return render("assets/report_categories.html", categories=categories, classes=classes, total=total)


@bp.get("/reports/unaudited")
@permission_required("assets.view")
def report_unaudited():
    """Assets never audited or past their next audit date."""
    from schoolhq.assets.audits import due_for_audit

    rows = [a for a in due_for_audit(limit=2000) if can(current_user, "assets.view", a)]
    return render("assets/report_unaudited.html", rows=rows)


@bp.get("/reports/idle")
@permission_required("assets.view")
def report_idle():
    """Assets nobody moved, lent, audited or changed for N months."""
    from schoolhq.assets.reports import idle_assets, idle_count
    from schoolhq.core.xlsx import download

    months = min(max(int_arg("months") or 12, 1), 120)
    if request.args.get("format") == "xlsx":
        return download("idle-assets.xlsx", [(_("Idle assets"), asset_header() + [_("Last change")],
                                              (asset_row(a) + [a.last_at] for a in idle_assets(months, current_user)))])
    return render("assets/report_idle.html", rows=idle_assets(months, current_user, limit=200),
                  total=min(idle_count(months, current_user), 5000), months=months)
