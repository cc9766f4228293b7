"""QR label tokens. Each area that prints labels registers a resolver; `/t/<token>`
asks them in turn, so a room label and an asset label share one short URL form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LabelTarget:
    #: what kind of thing this is, shown on the public card
    kind: Any
    name: str
    url: str
    #: (label, value) pairs safe to show without sign-in
    public_facts: list[tuple[Any, str]] = field(default_factory=list)


Resolver = Callable[[str], LabelTarget | None]
RESOLVERS: list[Resolver] = []


def register(resolver: Resolver) -> Resolver:
    RESOLVERS.append(resolver)
    return resolver


def resolve(token: str) -> LabelTarget | None:
    token = (token or "").strip().lower()
    if not token or len(token) > 16 or not token.isalnum():
        return None
    for resolver in RESOLVERS:
        target = resolver(token)
        if target is not None:
            return target
    return None
