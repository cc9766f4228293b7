"""The one error a service raises for a rule the user broke.

The message is a lazy translation, so it reaches the person in their own language; the
view turns it into a 422 with the form re-rendered and nothing written.
"""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(ServiceError):
    pass
