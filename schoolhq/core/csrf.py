"""Flask-WTF's CSRF protection, with the tokens this process has signed remembered.

Signing a token (a timestamp, compression and an HMAC) and checking one (the same,
backwards) were a tenth of a small save's time. A token has no time limit here
(WTF_CSRF_TIME_LIMIT is None), so the one signed for a session's raw token is as good
the next time as a new one: a request whose token is exactly the one this process signed
for its session is valid without checking the signature again, and the forms it draws
carry that token. Anything else — another token, a time limit, HTTPS with its referrer
check — goes through Flask-WTF as before.
"""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf

#: signed token by the session's raw token, for the process
_SIGNED: dict[str, str] = {}
_KEPT = 10_000


def _raw_token() -> str | None:
    if not session:
        return None
    raw = session.get(current_app.config["WTF_CSRF_FIELD_NAME"])
    return raw if isinstance(raw, str) else None


def signed_token() -> str:
    """The form's token (templates' csrf_token()), remembered for its session."""
    token = generate_csrf()
    raw = _raw_token()
    if raw is not None and raw not in _SIGNED:
        if len(_SIGNED) >= _KEPT:
            _SIGNED.clear()
        _SIGNED[raw] = token
    return token


class RememberingCSRFProtect(CSRFProtect):
    def init_app(self, app):
        super().init_app(app)
        app.jinja_env.globals["csrf_token"] = signed_token
        app.context_processor(lambda: {"csrf_token": signed_token})

    def protect(self, apply_exemptions=False):
        config = current_app.config
        raw = _raw_token()
        known = _SIGNED.get(raw) if raw is not None else None
        if known is not None:
            setattr(g, config["WTF_CSRF_FIELD_NAME"], known)  # what generate_csrf() then returns
            if (request.method in config["WTF_CSRF_METHODS"] and config["WTF_CSRF_TIME_LIMIT"] is None
                    and not request.is_secure and self._get_csrf_token() == known):
                g.csrf_valid = True
                return
        super().protect(apply_exemptions)
