"""Stock counts (盘点): the count sheet line by line, scanning, submission, approval and the variance report."""

from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.core.errors import ServiceError
from schoolhq.core.permissions import can, permission_required, require
from schoolhq.core.web import (
    get_or_404,
    handle_form,
    redirect_to,
    render,
    to_int,
)
from schoolhq.extensions import db
from schoolhq.stock import counts, services
from schoolhq.stock.forms import (
    CountStartForm,
)
from schoolhq.stock.models import Store
from schoolhq.stock.views import bp, within


@bp.route("/counts", methods=["GET", "POST"])
@permission_required("stock.issue", "stock.approve")
def count_list():
    form = CountStartForm()
    if request.method == "POST":
        within(form.store_id.data)
    return handle_form(form, lambda: counts.start(current_user, to_int(form.store_id.data)),
                       success=lambda count: redirect_to("stock.count", count_id=count.id), page="stock/counts.html",
                       context=lambda: {"rows": counts.recent(account=current_user),
                                        "stores": services.stores(account=current_user, permissions=("stock.issue",))})


def _count_or_404(count_id: int, *also: str):
    count = get_or_404(counts.StockCount, count_id,
                       options=(joinedload(counts.StockCount.store).joinedload(Store.location),))
    if not any(can(current_user, permission, count) for permission in ("stock.issue", "stock.approve", *also)):
        abort(403)
    return count


def _count_page(count, status: int = 200, error: str | None = None):
    rows = counts.variances(count)
    counted, total = counts.progress(count)
    return render("stock/count.html", status=status, count=count, rows=rows, counted=counted, total=total,
                  error=error, **_count_line_context(count), gains=sum(r.value_fen for r in rows if r.value_fen > 0),
                  losses=sum(r.value_fen for r in rows if r.value_fen < 0))


@bp.get("/counts/<int:count_id>")
@permission_required("stock.issue", "stock.approve")
def count(count_id: int):
    return _count_page(_count_or_404(count_id))


@bp.post("/counts/<int:count_id>/items/<int:item_id>")
@permission_required("stock.issue")
def count_line(count_id: int, item_id: int):
    """One counted quantity, saved as it is typed; answers the line."""
    count = _count_or_404(count_id)
    require("stock.issue", count)
    try:
        line = counts.record(current_user, count.id, item_id, request.form.get("counted", ""))
        if "reason" in request.form:
            counts.set_reason(count.id, line.id, request.form.get("reason", ""))
        return _line_fragment(count, line.id)
    except ServiceError as error:
        line = db.session.scalar(select(counts.StockCountLine).where(counts.StockCountLine.count_id == count.id,
                                                                     counts.StockCountLine.item_id == item_id))
        if line is None:
            raise
        return _line_fragment(count, line.id, str(error.message), request.form.get("counted", ""), 422)


def _line_fragment(count, line_id: int, error: str | None = None, typed: str | None = None, status: int = 200,
                   focus: bool = False):
    row = counts.variances(count, line_id)[0]
    return render("stock/_count_line.html", status=status, count=count, row=row, line_error=error, typed=typed,
                  focus=focus, **_count_line_context(count))


def _count_line_context(count) -> dict:
    """What every line of a count sheet shares, worked out once, not per line."""
    from flask_wtf.csrf import generate_csrf

    return {"may_count": count.status == "open" and can(current_user, "stock.issue", count),
            "line_url": url_for("stock.count_line", count_id=count.id, item_id=0)[:-1],
            # translated once for the whole sheet: hundreds of lines each asking again cost more than the data
            "labels": {"counted": _("Counted"), "reason": _("Reason"), "why": _("Why it differs"), "save": _("Save"),
                       "expected": _("Expected"), "csrf": generate_csrf()}}


@bp.post("/counts/<int:count_id>/scan")
@permission_required("stock.issue")
def count_scan(count_id: int):
    """A scanned barcode brings its line up, ready to type the quantity."""
    count = _count_or_404(count_id)
    code = request.form.get("tag", "")

    def line_brought_up(line):
        from htmx_flask import make_response

        return make_response(_line_fragment(count, line.id, focus=True), retarget=f"#count-line-{line.id}",
                             reswap="outerHTML")

    return handle_form(None, lambda: counts.line_for(count, services.find_by_barcode(code)), success=line_brought_up,
                       page=lambda status, error, field: render("stock/_count_scan.html", status=status, count=count,
                                                                scan_error=str(error)))


def _count_action(count_id: int, perform):
    count = _count_or_404(count_id)
    return handle_form(None, lambda: perform(count), success=lambda _done: redirect_to("stock.count", count_id=count.id),
                       page=lambda status, error, field: _count_page(count, status, error and str(error)))


@bp.post("/counts/<int:count_id>/submit")
@permission_required("stock.issue")
def count_submit(count_id: int):
    def submit(count):
        require("stock.issue", count)
        counts.submit(current_user, count.id)

    return _count_action(count_id, submit)


@bp.post("/counts/<int:count_id>/approve")
@permission_required("stock.approve")
def count_approve(count_id: int):
    return _count_action(count_id, lambda c: counts.approve(current_user, c.id))


@bp.post("/counts/<int:count_id>/send-back")
@permission_required("stock.approve")
def count_send_back(count_id: int):
    return _count_action(count_id, lambda c: counts.send_back(current_user, c.id))


@bp.post("/counts/<int:count_id>/cancel")
@permission_required("stock.issue", "stock.approve")
def count_cancel(count_id: int):
    return _count_action(count_id, lambda c: counts.cancel(current_user, c.id))


@bp.get("/counts/<int:count_id>/report")
@permission_required("stock.issue", "stock.approve", "stock.view")
def count_report(count_id: int):
    count = _count_or_404(count_id, "stock.view")
    rows = [r for r in counts.variances(count) if r.variance_milli]
    return render("stock/count_report.html", count=count, rows=rows,
                  gains=sum(r.value_fen for r in rows if r.value_fen > 0),
                  losses=sum(r.value_fen for r in rows if r.value_fen < 0))
