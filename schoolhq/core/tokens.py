"""QR label tokens. Each area that prints labels declares a resolver; `/t/<token>`
asks them in turn, so a room label and an asset label share one short URL form."""

from __future__ import annotations

import re
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
    #: (table, id) of the record, for the areas that add a notice to its card
    record: tuple[str, int] | None = None


Resolver = Callable[[str], LabelTarget | None]

#: The one switch for what any label scanned without sign-in tells: the asset card's
#: setting (declared, and edited, with the assets area's settings), read by every resolver.
PUBLIC_INFO_SETTING = "assets.public_label_info"


def public_info_shown() -> bool:
    """Whether a public card may show more than what the label itself says: an asset's
    name, room and status, a room's responsible person. Off, no card names a person."""
    from schoolhq.core import settings

    return bool(settings.get(PUBLIC_INFO_SETTING))


def _label_resolvers() -> list[Resolver]:
    from schoolhq.areas import declared

    return [resolver for area in declared() for resolver in area.label_resolvers]


def _code_resolvers() -> list[Callable[[str], str | None]]:
    """For what is not a label token: an asset number, a barcode, a staff badge …; each
    returns the URL to open, or None."""
    from schoolhq.areas import declared

    return [resolver for area in declared() for resolver in area.code_resolvers]


_LABEL_URL = re.compile(r"/t/([0-9A-Za-z]{4,16})/?$")


def token_of(text: str) -> str:
    """The label token in what a scanner typed: the end of a label's URL, or the text."""
    text = (text or "").strip()
    match = _LABEL_URL.search(text)
    return (match.group(1) if match else text).lower()


def open_scanned(text: str) -> str | None:
    """Where a scanned code leads: a label URL or token, else an area's own code."""
    text = (text or "").strip()
    if not text or len(text) > 300:
        return None
    target = resolve(token_of(text))
    if target is not None:
        return target.url
    for resolver in _code_resolvers():
        url = resolver(text)
        if url:
            return url
    return None


def resolve(token: str) -> LabelTarget | None:
    token = (token or "").strip().lower()
    if not token or len(token) > 16 or not token.isalnum():
        return None
    for resolver in _label_resolvers():
        target = resolver(token)
        if target is not None:
            return target
    return None
