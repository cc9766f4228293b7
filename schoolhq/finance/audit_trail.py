"""How the audit page reads the finance entries: each line by its year and code, each
request and payment by its number, linking to their pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.core.filters import money
from schoolhq.extensions import db
from schoolhq.finance.models import BudgetLine, Expenditure, PurchaseRequest


def budget_lines(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.execute(select(BudgetLine.id, BudgetLine.fiscal_year, BudgetLine.code, BudgetLine.name)
                              .where(BudgetLine.id.in_(ids)))
    return {row.id: Named(f"{row.fiscal_year} {row.code} {row.name}", page_of(reader, "finance.line_page",
                                                                                budget_line_id=row.id)) for row in rows}


def requests(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.execute(select(PurchaseRequest.id, PurchaseRequest.number, PurchaseRequest.title)
                              .where(PurchaseRequest.id.in_(ids)))
    return {row.id: Named(f"{row.number} {row.title}", page_of(reader, "finance.request_page", request_id=row.id))
            for row in rows}


def expenditures(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.execute(select(Expenditure.id, Expenditure.number, Expenditure.paid_on, Expenditure.amount_fen)
                              .where(Expenditure.id.in_(ids)))
    return {row.id: Named(f"{row.number} {money(row.amount_fen)}", page_of(reader, "finance.journal",
                                                                           year=row.paid_on.year,
                                                                           month=row.paid_on.month))
            for row in rows}


def _level(value):
    from schoolhq.finance.purchasing import LEVEL_LABELS

    return LEVEL_LABELS.get(value, value)


AUDIT = AuditTrail(
    actions={
        "line.saved": _l("Saved a budget line"),
        "line.adjusted": _l("Adjusted a budget line"),
        "request.submitted": _l("Made a purchase request"),
        "request.approved": _l("Approved a purchase request"),
        "request.rejected": _l("Rejected a purchase request"),
        "request.cancelled": _l("Withdrew a purchase request"),
        "request.accepted": _l("Accepted the goods of a purchase request"),
        "request.refused": _l("Refused the goods of a purchase request"),
        "expenditure.recorded": _l("Recorded a payment"),
        "expenditure.reversed": _l("Reversed a payment"),
    },
    records={"finance_budget_line": budget_lines, "finance_purchase_request": requests,
             "finance_expenditure": expenditures},
    fields={
        "original_fen": AuditField(_l("Original amount"), shows=money),
        "amount_fen": AuditField(_l("Amount"), shows=money),
        "total_fen": AuditField(_l("Total"), shows=money),
        "code": AuditField(_l("Line code")),
        "emergency": AuditField(_l("Emergency fund")),
        "line": AuditField(_l("Budget line")),
        "level": AuditField(_l("Approval step"), shows=_level),
        "witness": AuditField(_l("Second person present")),
        "invoice_no": AuditField(_l("Invoice number")),
    },
)
