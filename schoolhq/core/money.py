"""Money is integer fen in the database; people type yuan."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from schoolhq.core.errors import ServiceError


def parse_yuan(text: str | None, field: str = "amount") -> int:
    """'1,234.5' or '¥1234.50' → 123450 fen; a clear message for anything else."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    if not cleaned:
        return 0
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ServiceError(_l("Enter an amount in yuan, like 1234.50."), field) from None
    if not amount.is_finite():
        raise ServiceError(_l("Enter an amount in yuan, like 1234.50."), field)
    if amount < 0:
        raise ServiceError(_l("An amount cannot be negative."), field)
    if amount > Decimal("100000000") or amount != amount.quantize(Decimal("0.01")):
        raise ServiceError(_l("Enter an amount in yuan with at most two decimals."), field)
    return int(amount * 100)


def yuan(fen: int | None) -> str:
    """123450 → '1234.50' for a form field."""
    if fen is None:
        return ""
    return f"{fen // 100}.{fen % 100:02d}"
