"""What a process remembers of answers that cannot differ the next time it asks: a
cookie it verified, a CSRF token it checked, whether a function is a coroutine (see
docs/architecture.md, "The request path"). Unlike the process cache there is no stamp:
the answer belongs to its key for good. Bounded: a full memory is emptied and fills
again, so keys made anew for every request (a cookie changes with its session) cannot
grow it without end."""

from __future__ import annotations

from typing import Any


class Remembered(dict):
    def __init__(self, kept: int = 10_000) -> None:
        super().__init__()
        self.kept = kept

    def keep(self, key: Any, value: Any) -> Any:
        if key not in self and len(self) >= self.kept:
            self.clear()
        self[key] = value
        return value
