"""Flask-WTF's CSRF protection, with the tokens this process has checked remembered.

Signing a token (a timestamp, compression and an HMAC) and checking one (the same,
backwards) were a tenth of a small save's time. A token has no time limit here
(WTF_CSRF_TIME_LIMIT is None), so one that Flask-WTF found valid for a session's raw
token is as good the next time: a request bringing exactly that token for its session is
valid without checking the signature again, and the forms it draws carry that token
instead of a newly signed one. Anything else — another token, a time limit, HTTPS with
its referrer check — goes through Flask-WTF as before.
"""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_wtf import CSRFProtect

from schoolhq.core.remembered import Remembered

#: the token found valid, by the session's raw token it signs
_CHECKED = Remembered()


class RememberingCSRFProtect(CSRFProtect):
    def protect(self, apply_exemptions=False):
        config = current_app.config
        raw = session.get(config["WTF_CSRF_FIELD_NAME"]) if session else None
        if not isinstance(raw, str):
            return super().protect(apply_exemptions)
        known = _CHECKED.get(raw)
        if known is not None:
            setattr(g, config["WTF_CSRF_FIELD_NAME"], known)  # what generate_csrf() then returns
        if request.method not in config["WTF_CSRF_METHODS"]:
            return super().protect(apply_exemptions)
        brought = self._get_csrf_token()
        if known is not None and brought == known and config["WTF_CSRF_TIME_LIMIT"] is None \
                and not request.is_secure:
            g.csrf_valid = True
            return None
        super().protect(apply_exemptions)  # refuses, or found it valid
        if g.get("csrf_valid") and brought and config["WTF_CSRF_TIME_LIMIT"] is None:
            _CHECKED.keep(raw, brought)
        return None
