"""The errors a service raises for what the person asked of it.

`ServiceError` is a rule the user broke: the message is a lazy translation, so it reaches
the person in their own language, and the view turns it into a 422 with the form
re-rendered and nothing written. `NotFound` is a record that is not there: the error
handler answers 404 with its message, whichever view was asked. It is deliberately not a
ServiceError, so a view's `except ServiceError` never turns a missing record into a form
error.
"""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(Exception):
    def __init__(self, message=None):
        super().__init__(str(message or "not found"))
        self.message = message


def get_or_raise(model, record_id, message=None, *, field: str | None = None, options=()):
    """The record with this id, or NotFound (a 404) when there is none. An id the person
    chose in a form names its `field` instead: a missing one is a ServiceError on that
    field (a 422 with the form re-rendered), as any other wrong choice."""
    from schoolhq.extensions import db

    record = db.session.get(model, record_id, options=list(options)) if _is_id(record_id) else None
    if record is None:
        if field:
            raise ServiceError(message or _missing(), field)
        raise NotFound(message)
    return record


def _is_id(value) -> bool:
    # a key bigger than the database's integers is no record, not an overflow error
    return value is not None and (not isinstance(value, int) or 0 < value <= 2**31 - 1)


def _missing():
    from flask_babel import lazy_gettext as _l

    return _l("This page or record does not exist.")
