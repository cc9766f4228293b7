"""Requisitions after submission: approval, the pickup window, issuing and the printed slip."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from schoolhq.core.permissions import can, permission_required, require
from schoolhq.core.web import (
    handle_form,
    redirect_to,
    render,
    to_int,
)
from schoolhq.extensions import db
from schoolhq.stock import requisitions, services
from schoolhq.stock.forms import (
    DecisionForm,
    IssueForm,
)
from schoolhq.stock.views import bp


def _requisition_or_404(requisition_id: int):
    requisition = db.session.get(requisitions.Requisition, requisition_id, options=requisitions.shown())
    if requisition is None or requisition.status == "draft":
        abort(404)
    if not (requisition.requester_id == current_user.person_id or can(current_user, "stock.issue", requisition.store)
            or can(current_user, "stock.view", requisition) or requisitions.may_approve_department(current_user, requisition)
            or requisitions.may_release_reserve(current_user, requisition)):
        abort(403)
    return requisition


def _requisition_page(requisition, status: int = 200, error: str | None = None, form: IssueForm | None = None):
    issued = requisitions.issued_by_line(requisition.id)
    form = form or IssueForm()
    from schoolhq.stock.models import StockIssue

    hand_overs = list(db.session.scalars(select(StockIssue).where(StockIssue.requisition_id == requisition.id)
                                         .order_by(StockIssue.id)))
    store_has = services.on_hand_in(requisition.store_id, [line.item_id for line in requisition.lines])
    return render("stock/requisition.html", status=status, requisition=requisition, issued=issued, form=form,
                  error=error, store_has=store_has, hand_overs=hand_overs,
                  warnings=requisitions.quota_warnings(requisition),
                  may_issue=can(current_user, "stock.issue", requisition.store),
                  may_approve=requisitions.may_approve_department(current_user, requisition),
                  may_release=requisitions.may_release_reserve(current_user, requisition),
                  held=requisitions.held_by_reserve(requisition) if requisition.status in ("ready", "partly_issued")
                  else [],
                  entered=request.form)


@bp.get("/requisitions/<int:requisition_id>")
@permission_required("stock.request", "stock.view", "stock.issue")
def requisition(requisition_id: int):
    return _requisition_page(_requisition_or_404(requisition_id))


def _requisition_action(requisition_id: int, perform, form: DecisionForm | None = None):
    item = _requisition_or_404(requisition_id)
    return handle_form(form or DecisionForm(), lambda: perform(item),
                       success=lambda _done: redirect_to("stock.requisition", requisition_id=item.id),
                       page=lambda status, error, field: _requisition_page(item, status, error and str(error)))


@bp.post("/requisitions/<int:requisition_id>/approve")
@permission_required("stock.request")
def requisition_approve(requisition_id: int):
    form = DecisionForm()
    return _requisition_action(requisition_id, lambda r: requisitions.approve(
        current_user, r.id, form.which.data, form.note.data), form)


@bp.post("/requisitions/<int:requisition_id>/reject")
@permission_required("stock.request")
def requisition_reject(requisition_id: int):
    form = DecisionForm()
    return _requisition_action(requisition_id, lambda r: requisitions.reject(current_user, r.id, form.note.data),
                               form)


@bp.post("/requisitions/<int:requisition_id>/cancel")
@permission_required("stock.request")
def requisition_cancel(requisition_id: int):
    return _requisition_action(requisition_id, lambda r: requisitions.cancel(current_user, r.id))


@bp.get("/requisitions/<int:requisition_id>/lines/<int:line_id>/check")
@permission_required("stock.issue")
def requisition_check_line(requisition_id: int, line_id: int):
    """The window types a quantity: the line answers at once whether it can go out."""
    item = _requisition_or_404(requisition_id)
    require("stock.issue", item.store)
    line = next((line for line in item.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    typed = request.args.get(f"line-{line.id}", "")
    problem = requisitions.check_line(current_user, item, line, typed)
    return render("stock/_issue_line.html", status=422 if problem else 200, requisition=item, line=line,
                  issued=requisitions.issued_by_line(item.id), can_hand_out=True, line_error=problem,
                  store_has=services.on_hand_in(item.store_id, [line.item_id]), entered={f"line-{line.id}": typed})


@bp.post("/requisitions/<int:requisition_id>/ask-reserve")
@permission_required("stock.issue")
def requisition_ask_reserve(requisition_id: int):
    def ask(r):
        require("stock.issue", r.store)
        requisitions.ask_reserve_release(current_user, r.id)

    return _requisition_action(requisition_id, ask)


@bp.post("/requisitions/<int:requisition_id>/close")
@permission_required("stock.issue")
def requisition_close(requisition_id: int):
    form = DecisionForm()

    def close(r):
        require("stock.issue", r.store)
        requisitions.close_remaining(current_user, r.id, form.note.data)

    return _requisition_action(requisition_id, close, form)


@bp.post("/requisitions/<int:requisition_id>/issue")
@permission_required("stock.issue")
def requisition_issue(requisition_id: int):
    item = _requisition_or_404(requisition_id)
    require("stock.issue", item.store)
    form = IssueForm()
    # one quantity per line: "line-<id>", as many as the requisition has lines
    quantities = {line.id: request.form.get(f"line-{line.id}", "") for line in item.lines}
    return handle_form(form, lambda: requisitions.issue(current_user, item.id, quantities,
                                                        to_int(form.recipient_id.data), form.signature.data,
                                                        form.on_paper.data),
                       success=lambda _issued: redirect_to("stock.requisition", requisition_id=item.id),
                       page=lambda status, error, field: _requisition_page(item, status, error and str(error), form))


@bp.get("/requisitions/<int:requisition_id>/print")
@permission_required("stock.request", "stock.view", "stock.issue")
def requisition_print(requisition_id: int):
    item = _requisition_or_404(requisition_id)
    return render("stock/requisition_print.html", requisition=item, issued=requisitions.issued_by_line(item.id),
                  handovers=requisitions.handovers(item.id))


@bp.get("/window")
@permission_required("stock.issue")
def window():
    return render("stock/window.html", rows=requisitions.window_queue(current_user))


@bp.get("/approvals")
@permission_required("stock.request")
def approvals():
    return render("stock/approvals.html", rows=requisitions.waiting_for(current_user))
