"""Server-side pagination with one count query and one page query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import func, select

from schoolhq.extensions import db


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def url_args(self, number: int) -> dict[str, Any]:
        args = {**(request.view_args or {}), **request.args.to_dict()}
        args["page"] = number
        return args


def _page_number(total: int, per_page: int) -> int:
    """The page asked for (?page=), within the pages there are."""
    number = request.args.get("page", "1")
    number = int(number) if number.isdigit() and int(number) > 0 else 1
    return min(number, max(1, -(-total // per_page)))


def paginate_list(items: list, per_page: int = 50) -> Page:
    """One page of a list already in memory."""
    number = _page_number(len(items), per_page)
    return Page(items=items[(number - 1) * per_page:number * per_page], number=number, per_page=per_page,
                total=len(items))


def paginate(query, per_page: int = 50, rows: bool = False) -> Page:
    """One page of `query`: its first column's objects, or whole rows with `rows`."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    number = _page_number(total, per_page)
    page_query = query.limit(per_page).offset((number - 1) * per_page)
    items = list(db.session.execute(page_query).all() if rows else db.session.scalars(page_query))
    return Page(items=items, number=number, per_page=per_page, total=total)
