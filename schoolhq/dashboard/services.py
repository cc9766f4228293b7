"""Areas register providers; each returns the items that need this person's attention."""

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
PROVIDERS: list[tuple[str, Provider]] = []


def register(area: str, provider: Provider) -> Provider:
    PROVIDERS.append((area, provider))
    return provider


def items_for(account) -> list[Item]:
    items: list[Item] = []
    for _area, provider in PROVIDERS:
        items.extend(item for item in provider(account) if item.count)
    order = {"danger": 0, "warning": 1, "info": 2}
    return sorted(items, key=lambda item: order.get(item.level, 3))
