"""What the bench measures of the finance area, as the accountant: this year's budget lines
with their figures (the execution page), the line with the most payments, the purchase
requests, the busiest month of the expenditure journal, a paid request and its 报账 packet,
the split-purchase check; and, held to the report budget, the execution and the journal as
XLSX and the total-assets summary (the whole asset register and the stock on hand)."""

from __future__ import annotations

from harness.measure import Fixture

#: who the finance pages are measured as: a Fixture field with the username
FINANCE = {"as": "finance_accountant"}


def find(fx: Fixture) -> bool:
    from sqlalchemy import func, select

    from schoolhq.auth.models import Account, Role, RoleAssignment
    from schoolhq.extensions import db
    from schoolhq.finance.models import BudgetLine, Expenditure, PurchaseRequest
    from schoolhq.finance.services import fiscal_year

    if not db.session.scalar(select(func.count(Expenditure.id))):
        return False
    fx.finance_accountant = db.session.scalars(
        select(Account.username).join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(Role.code == "accountant", Account.active.is_(True)).order_by(Account.id)).first()
    fx.finance_year = fiscal_year()
    fx.finance_lines = db.session.scalar(select(func.count(BudgetLine.id)).where(
        BudgetLine.fiscal_year == fx.finance_year))
    fx.finance_expenditures = db.session.scalar(select(func.count(Expenditure.id)))
    fx.finance_requests = db.session.scalar(select(func.count(PurchaseRequest.id)))
    payments = func.count(Expenditure.id)
    by_line = select(Expenditure.line_id, payments).group_by(Expenditure.line_id)
    fx.finance_line, fx.finance_line_payments = db.session.execute(
        by_line.order_by(payments.desc(), Expenditure.line_id.desc()).limit(1)).one()
    fx.finance_quiet_line = db.session.execute(by_line.order_by(payments, Expenditure.line_id.desc()).limit(1)).one()[0]
    months: dict[tuple[int, int], int] = {}
    for (day,) in db.session.execute(select(Expenditure.paid_on)):
        months[(day.year, day.month)] = months.get((day.year, day.month), 0) + 1
    (fx.finance_month_year, fx.finance_month), fx.finance_month_rows = max(
        sorted(months.items(), reverse=True), key=lambda item: item[1])
    fx.finance_quiet_year, fx.finance_quiet_month = min(sorted(months.items()), key=lambda item: item[1])[0]
    from schoolhq.finance.models import PurchaseLine

    lines = func.count(PurchaseLine.id)
    # of the paid requests for assets (their page and packet also read the cards registered),
    # the one with the most lines and one with the fewest
    paid = (select(PurchaseRequest.id).join(PurchaseLine, PurchaseLine.request_id == PurchaseRequest.id)
            .where(PurchaseRequest.status == "paid", PurchaseLine.kind == "asset").group_by(PurchaseRequest.id))
    fx.finance_paid_request = db.session.scalar(paid.order_by(lines.desc(), PurchaseRequest.id.desc()).limit(1))
    fx.finance_small_request = db.session.scalar(paid.order_by(lines, PurchaseRequest.id.desc()).limit(1))
    return True


def pages(fx: Fixture) -> list[tuple]:
    return [
        (f"finance: budget lines of {fx.finance_year} with their figures ({fx.finance_lines} lines)", "/finance/", {},
         FINANCE),
        (f"finance: the line with the most payments ({fx.finance_line_payments} over its year)",
         f"/finance/lines/{fx.finance_line}", {}, FINANCE),
        (f"finance: purchase requests, open ({fx.finance_requests:,} in all)", "/finance/requests", {}, FINANCE),
        (f"finance: expenditure journal, {fx.finance_month_year}-{fx.finance_month:02d} ({fx.finance_month_rows} rows)",
         f"/finance/expenditures?year={fx.finance_month_year}&month={fx.finance_month}", {}, FINANCE),
        ("finance: a paid request", f"/finance/requests/{fx.finance_paid_request}", {}, FINANCE),
        ("finance: its 报账 packet (A4)", f"/finance/requests/{fx.finance_paid_request}/packet", {}, FINANCE),
        (f"finance: split-purchase check, {fx.finance_year}", "/finance/split", {}, FINANCE),
    ]


def saves(fx: Fixture) -> list[tuple]:
    return []


def reports(fx: Fixture) -> list[tuple]:
    return [
        (f"finance: budget execution {fx.finance_year}, XLSX", "/finance/?format=xlsx", {}, FINANCE),
        (f"finance: expenditure journal, the whole of {fx.finance_month_year}, XLSX",
         f"/finance/expenditures?year={fx.finance_month_year}&format=xlsx", {}, FINANCE),
        (f"finance: total assets {fx.finance_year} (the whole register and the stock)", "/finance/assets", {},
         FINANCE),
    ]


GROWTH_PAIRS = [
    ("/finance/lines/{finance_quiet_line}", "/finance/lines/{finance_line}", "finance_accountant"),
    ("/finance/expenditures?year={finance_quiet_year}&month={finance_quiet_month}",
     "/finance/expenditures?year={finance_month_year}&month={finance_month}", "finance_accountant"),
    ("/finance/requests/{finance_small_request}/packet", "/finance/requests/{finance_paid_request}/packet",
     "finance_accountant"),
]
