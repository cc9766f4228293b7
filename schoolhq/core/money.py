"""Money is integer fen in the database; people type yuan."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from schoolhq.core.errors import ServiceError

#: thousands grouped by threes, as a person or a spreadsheet writes them (1,234,567.80)
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")


def parse_yuan(text: str | None, field: str = "amount") -> int:
    """'1,234.5', '¥1234.50' or '1078元' → fen; a clear message for anything else, '1,2.3'
    included (a comma that does not group thousands is a typing slip, not a number)."""
    cleaned = (text or "").strip().lstrip("¥￥").strip().removesuffix("元").strip().replace("，", ",")
    if not cleaned:
        return 0
    if "," in cleaned:
        if not _GROUPED.fullmatch(cleaned):
            raise ServiceError(_l("Enter an amount in yuan, like 1234.50."), field)
        cleaned = cleaned.replace(",", "")
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
