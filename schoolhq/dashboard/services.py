"""Each area's declaration names a provider of the items that need this person's attention."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Item:
    area: str
    title: Any
    count: int
    link: str = ""
    #: info, warning or danger
    level: str = "info"


Provider = Callable[[Any], list[Item]]


def items_for(account) -> list[Item]:
    from schoolhq.areas import declared

    items: list[Item] = []
    for area in declared():
        if area.dashboard is not None:
            items.extend(item for item in area.dashboard(account) if item.count)
    order = {"danger": 0, "warning": 1, "info": 2}
    return sorted(items, key=lambda item: order.get(item.level, 3))
