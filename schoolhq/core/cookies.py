"""Flask's signed-cookie sessions, with the cookies this process has verified remembered.

A signed-in request opened its session by checking the cookie's signature and decoding
its JSON: a tenth of a signed-in no-op's time, and the same cookie comes back on every
request of that browser until the session changes. A cookie this process verified
before is the same bytes with the same signature, so it opens to the same values, as
long as it is still within the session lifetime (checked as itsdangerous checks it).
Anything else — a new or changed cookie, a bad signature — goes through Flask as before.
"""

from __future__ import annotations

import copy
import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from schoolhq.core.remembered import Remembered


class RememberingSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        #: cookie -> (its values, when it was signed)
        self._verified = Remembered()

    def open_session(self, app, request):
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie or not app.secret_key:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        found = self._verified.get(cookie)
        if found is None:
            try:
                values, signed_at = self.get_signing_serializer(app).loads(
                    cookie, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return self.session_class()
            found = self._verified.keep(cookie, (values, signed_at.timestamp()))
        values, signed_at = found
        if not 0 <= time.time() - signed_at <= max_age:
            self._verified.pop(cookie, None)
            return self.session_class()
        # each request its own values: a flash or a list in the session is changed in place
        mutable = any(isinstance(value, (list, dict)) for value in values.values())
        return self.session_class(copy.deepcopy(values) if mutable else values)
