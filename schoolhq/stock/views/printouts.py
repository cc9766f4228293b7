"""What prints: the issue register (领用登记表), the purchase list, consumption and valuation."""

from __future__ import annotations

from datetime import timedelta

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from schoolhq.core.charts import bar_chart
from schoolhq.core.money import yuan
from schoolhq.core.permissions import permission_required
from schoolhq.core.timeutil import local_today
from schoolhq.core.web import (
    date_arg,
    int_arg,
    month_arg,
    render,
)
from schoolhq.core.xlsx import download
from schoolhq.stock import reports, requisitions, services
from schoolhq.stock.services import UNIT
from schoolhq.stock.views import bp


@bp.get("/register")
@permission_required("stock.view", "stock.issue")
def register():
    month = month_arg()
    store_id = int_arg("store")
    rows = requisitions.register_rows(month, store_id, current_user)
    if request.args.get("format") == "xlsx":
        header = [_("Date"), _("Item"), _("Specification"), _("Quantity"), _("Unit"), _("Purpose"), _("Recipient"),
                  _("Approved by"), _("Requisition")]
        body = [[r.day, r.item.name, r.item.spec, r.quantity_milli / UNIT, r.item.unit, r.purpose, r.recipient,
                 r.approver, r.number] for r in rows]
        return download(f"issue-register-{month:%Y-%m}.xlsx", [(_("Issue register"), header, body)])
    return render("stock/register.html", rows=rows, month=month, stores=services.stores(account=current_user),
                  store_id=store_id,
                  previous=(month - timedelta(days=1)).replace(day=1),
                  following=(month + timedelta(days=32)).replace(day=1))


@bp.get("/purchase-list")
@permission_required("stock.view", "stock.issue")
def purchase_list():
    rows = services.purchase_list(current_user)
    if request.args.get("format") == "xlsx":
        header = [_("Item"), _("Specification"), _("Unit"), _("On hand"), _("Minimum"), _("Target"), _("To buy"),
                  _("Estimated cost (yuan)")]
        body = [[i.name, i.spec, i.unit, q / UNIT, i.min_level_milli / UNIT, i.target_level_milli / UNIT, b / UNIT,
                 c / 100] for i, q, b, c in rows]
        return download(f"purchase-list-{local_today()}.xlsx", [(_("Purchase list"), header, body)])
    return render("stock/purchase_list.html", rows=rows, total=sum(c for *_r, c in rows), today=local_today())



@bp.get("/reports/consumption")
@permission_required("stock.view")
def consumption():
    today = local_today()
    start = date_arg("start", today.replace(month=1, day=1))
    end = date_arg("end", today)
    error = None
    if end < start:
        error = _("The end date is before the start date.")
        start, end = end, start
    group = request.args.get("group", "department")
    group = group if group in reports.GROUPS else "department"
    rows = reports.consumption(start, end, group, int_arg("store"), account=current_user)
    if request.args.get("format") == "xlsx":
        header = [str(reports.GROUPS[group]), _("Quantity"), _("Unit"), _("Value (yuan)")]
        body = [[r.label, r.quantity_milli / UNIT if r.quantity_milli is not None else "", r.unit, r.value_fen / 100]
                for r in rows]
        return download(f"consumption-{start}-{end}.xlsx", [(_("Consumption"), header, body)])
    chart = bar_chart([(r.label, r.value_fen, yuan(r.value_fen)) for r in rows[:24]])
    return render("stock/consumption.html", rows=rows, chart=chart, start=start, end=end, group=group,
                  groups=reports.GROUPS, total=sum(r.value_fen for r in rows), error=error,
                  stores=services.stores(account=current_user, permissions=reports.PERMISSION),
                  store_id=int_arg("store"))


@bp.get("/reports/valuation")
@permission_required("stock.view")
def valuation():
    rows, by_category, total = reports.valuation(int_arg("store"), current_user)
    if request.args.get("format") == "xlsx":
        header = [_("Category"), _("Item"), _("Specification"), _("Unit"), _("On hand"), _("Average cost (yuan)"),
                  _("Value (yuan)")]
        body = [[r.category, r.item.name, r.item.spec, r.item.unit, r.quantity_milli / UNIT, r.average_fen / 100,
                 r.value_fen / 100] for r in rows]
        return download(f"stock-valuation-{local_today()}.xlsx", [(_("Stock valuation"), header, body)])
    return render("stock/valuation.html", rows=rows, by_category=by_category, total=total, today=local_today(),
                  stores=services.stores(account=current_user, permissions=reports.PERMISSION),
                  store_id=int_arg("store"))
