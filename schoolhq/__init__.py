"""SchoolHQ: fine-grained logistics (后勤精细化) for one primary school."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote

from babel import Locale
from flask import Flask, g, render_template, request, session, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from schoolhq.config import PACKAGE, load_config, resource_dir
from schoolhq.extensions import babel, csrf, db, htmx, login_manager, migrate

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class SchoolApp(Flask):
    """Flask, asking once per function whether it is a coroutine: Flask asks again for
    every hook, view and context processor of every request (a dozen inspections a
    request), and the answer never changes."""

    def __init__(self, *args, **kwargs):
        from schoolhq.core.remembered import Remembered

        super().__init__(*args, **kwargs)
        self._synchronous = Remembered(kept=1000)

    def ensure_sync(self, func):
        found = self._synchronous.get(func)
        return found if found is not None else self._synchronous.keep(func, super().ensure_sync(func))


def create_app(config: dict | None = None) -> Flask:
    settings = load_config()
    settings.update(config or {})
    app = SchoolApp(
        "schoolhq",
        root_path=str(PACKAGE),
        instance_path=settings["INSTANCE_DIR"],
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    app.config.update(settings)
    from schoolhq.core.cookies import RememberingSessionInterface

    app.session_interface = RememberingSessionInterface()
    _init_logging(app)
    app.json.ensure_ascii = False
    app.url_map.converters["int"] = DatabaseId

    from schoolhq.core import database

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    database.init_app(app)
    from schoolhq.core.web import refuse_nul_characters

    app.before_request(refuse_nul_characters)
    _init_login(app)
    _register_blueprints(app)
    _register_errors(app)
    _register_templating(app)
    app.after_request(_security_headers)
    _wrap_wsgi(app)
    return app


def _init_logging(app: Flask) -> None:
    """Timestamped logs to stderr or a rotating file (schoolhq.core.logs); tests keep pytest's."""
    if not app.testing:
        from schoolhq.core import logs

        logs.configure(app.config)


def _wrap_wsgi(app: Flask) -> None:
    """The access log, and behind a reverse proxy the client's address, scheme and host
    from the X-Forwarded-* headers of the SCHOOLHQ_PROXIES nearest proxies."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from schoolhq.core.logs import AccessLog

    if app.config.get("SCHOOLHQ_ACCESS_LOG", True):
        app.wsgi_app = AccessLog(app.wsgi_app)
    if proxies := app.config.get("SCHOOLHQ_PROXIES", 0):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies,
                                x_prefix=proxies)


class DatabaseId(IntegerConverter):
    """An id in a URL: larger than the database's integers is no such record (404), not
    a PostgreSQL overflow error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _select_locale() -> Locale:
    """The reader's locale: their account's language, else the one chosen at sign-in,
    else the school's default."""
    from flask import has_request_context

    from schoolhq.core import settings as school_settings

    if not has_request_context():
        return _locale(school_settings.get("default_language") or "zh_CN")
    user = current_user._get_current_object()
    if user and user.is_authenticated and user.language:
        return _locale(user.language)
    chosen = session.get("lang")
    if chosen in school_settings.LANGUAGES:
        return _locale(chosen)
    return _locale(school_settings.get("default_language") or "zh_CN")


@lru_cache(maxsize=16)
def _locale(identifier: str) -> Locale:
    """One Locale object per language for the process: parsing it anew was a tenth of a
    signed-in fragment's time, and the catalogue is found by it (_install_translations)."""
    return Locale.parse(identifier)


def _select_timezone() -> str:
    from schoolhq.core import settings as school_settings

    return school_settings.get("timezone") or "Asia/Shanghai"


def _init_login(app: Flask) -> None:
    from schoolhq.auth.services import load_session_account

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_account)

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import make_response, redirect, url_for

        if request.headers.get("HX-Request") == "true":
            response = make_response(_("Please sign in again."), 401)
            response.headers["HX-Redirect"] = url_for("auth.login")
            response.headers["X-Message"] = quote(_("Your session has ended. Please sign in again."))
            return response
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _register_blueprints(app: Flask) -> None:
    from importlib import import_module

    from schoolhq.areas import declared
    from schoolhq.core.permissions import public
    from schoolhq.core.settings_pages import blueprint_for, editable

    for area in declared():
        if area.blueprint:
            module, attribute = area.blueprint.split(":")
            blueprint = getattr(import_module(module), attribute)
            app.register_blueprint(blueprint)
            if editable(area):
                app.register_blueprint(blueprint_for(area, blueprint.url_prefix or ""))
    # Static files are public; mark the built-in view so the permission walk sees it.
    public(app.view_functions["static"])


def _register_errors(app: Flask) -> None:
    from schoolhq.core.database import stop_writing, trouble
    from schoolhq.core.errors import NotFound, ServiceError

    messages = {
        400: lambda: _("The request could not be understood. Please go back and try again."),
        401: lambda: _("Please sign in."),
        403: lambda: _("You do not have permission to do this."),
        404: lambda: _("This page or record does not exist."),
        405: lambda: _("This action is not available here."),
        413: lambda: _("The upload is too large."),
        422: lambda: _("Some of what was entered is not valid."),
        500: lambda: _("Something went wrong on the server. Nothing was saved. Please try again."),
    }

    def render_error(code: int, message: str | None = None):
        stop_writing()
        message = message or messages.get(code, messages[500])()
        if request.headers.get("HX-Request") == "true":
            response = app.make_response((message, code))
            # the message shows as a toast; nothing on the page is swapped away
            response.headers["HX-Reswap"] = "none"
        else:
            try:
                page = render_template("errors/error.html", code=code, message=message)
            except Exception:  # the database itself may be what failed: answer plainly
                app.logger.exception("Error page could not be rendered")
                page = f"<!doctype html><meta charset=utf-8><title>{code}</title><h1>{code}</h1><p>{escape(message)}</p>"
            response = app.make_response((page, code))
        response.headers["X-Message"] = quote(message)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render_error(400, _("This form has expired or was already sent. Reload the page and try again."))

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        return render_error(422, str(error.message))

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        return render_error(404, str(error.message) if error.message else None)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        return render_error(code if code in messages else 400)

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        stop_writing()  # before the message's language is looked up: that reads the account
        kind = trouble(error)
        if kind == "busy":
            app.logger.warning("Busy, answered 503: %s", (str(error).splitlines() or [""])[0])
            response = render_error(503, _("The server is busy with another change to the same records. "
                                           "Nothing was saved; please try again in a few seconds."))
            response.headers["Retry-After"] = "5"
            return response
        if kind == "disk_full":
            app.logger.error("Disk full: %s", error)
            from schoolhq.core.uploads import DISK_FULL

            return render_error(507, str(DISK_FULL))
        app.logger.exception("Unhandled error: %s", error)
        return render_error(500)


def _install_translations(app: Flask) -> Callable[[], object]:
    """Templates' _() and ngettext() through the catalogue of the locale being rendered,
    kept per locale for the process. Flask-Babel finds the locale and its catalogue again
    for every string (a list page has hundreds); here each render finds them once (the
    context's `_catalogue`, from the returned function), and a template drawn without a
    request's context looks them up itself. Keyed by the locale object, so force_locale()
    and a language switch still get theirs. Jinja's new-style semantics: the text is
    escaped when autoescaping and always %-formatted."""
    from flask_babel import get_translations
    from jinja2 import pass_context

    catalogues: dict[Locale, object] = {}

    def catalogue():
        locale = get_locale()
        found = catalogues.get(locale)
        if found is None:
            found = catalogues[locale] = get_translations()
        return found

    def finish(context, text: str, variables: dict) -> str:
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    def of(context):
        return context.get("_catalogue") or catalogue()

    @pass_context
    def gettext(context, text: str, **variables) -> str:
        return finish(context, of(context).ugettext(text), variables)

    @pass_context
    def ngettext(context, singular: str, plural: str, n: int, **variables) -> str:
        variables.setdefault("num", n)
        return finish(context, of(context).ungettext(singular, plural, n), variables)

    @pass_context
    def pgettext(context, text_context: str, text: str, **variables) -> str:
        variables.setdefault("context", text_context)
        return finish(context, of(context).upgettext(text_context, text), variables)

    @pass_context
    def npgettext(context, text_context: str, singular: str, plural: str, n: int, **variables) -> str:
        variables.setdefault("context", text_context)
        variables.setdefault("num", n)
        return finish(context, of(context).unpgettext(text_context, singular, plural, n), variables)

    app.jinja_env.install_gettext_callables(gettext=gettext, ngettext=ngettext, newstyle=True)
    # the new-style functions themselves, not wrapped a second time by Jinja
    app.jinja_env.globals.update(gettext=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext)
    return catalogue


def _register_templating(app: Flask) -> None:
    from schoolhq.core import filters
    from schoolhq.core import settings as school_settings
    from schoolhq.core.permissions import can
    from schoolhq.core.settings_pages import pages_for as settings_pages_for

    filters.register(app)
    catalogue = _install_translations(app)

    @app.context_processor
    def inject():
        from schoolhq.core.notifications import unread_count

        def user_can(permission: str, obj=None) -> bool:
            return can(current_user, permission, obj)

        def unread() -> int:
            if "schoolhq_unread" not in g:
                g.schoolhq_unread = unread_count(current_user.id) if current_user.is_authenticated else 0
            return g.schoolhq_unread

        def panels(page: str, record) -> Markup:
            """What other areas add to this page (schoolhq/areas.py), in area order."""
            from schoolhq.areas import panels as panels_for

            return Markup("").join(panel(record, current_user) for panel in panels_for(page))

        def nav() -> list[tuple]:
            """The header's links this person may follow, as (group, [(label, url, current)])
            in the order of NAV_GROUPS."""
            from schoolhq.areas import nav_links

            groups: dict[str, list] = {}
            for link in nav_links():
                endpoint = link.endpoint_for(user_can)
                if endpoint:
                    groups.setdefault(link.group, []).append(
                        (link.label, url_for(endpoint), link.is_current(request.endpoint, request.blueprint)))
            return list(groups.items())

        def menu_links(area_name: str) -> list[tuple]:
            """An area's own menu for this person: (label, url, current)."""
            from schoolhq.areas import area

            links = []
            for link in area(area_name).subnav:
                endpoint = link.endpoint_for(user_can)
                if endpoint:
                    links.append((link.label, url_for(endpoint), link.is_current(request.endpoint, request.blueprint)))
            return links

        return {
            "_catalogue": catalogue(),
            "can": user_can,
            "panels": panels,
            "nav": nav,
            "menu_links": menu_links,
            "settings_pages": lambda: settings_pages_for(current_user),
            "unread_notifications": unread,
            "school_name": lambda: school_settings.get("school_name") or "SchoolHQ",
            "languages": school_settings.LANGUAGES,
            "format_datetime": format_datetime,
            "get_locale": get_locale,
        }


def _security_headers(response):
    from flask import current_app

    headers = response.headers
    if current_app.config.get("SCHOOLHQ_HTTPS"):
        # only over HTTPS: sent over plain HTTP it would lock browsers out of a school
        # that has no certificate yet
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    present = {name.lower() for name in headers.keys()}  # one pass, not one scan per header
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            headers[name] = value
    if "cache-control" not in present and request.endpoint != "static" and response.mimetype == "text/html":
        headers["Cache-Control"] = "no-store"
    return response


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(self), microphone=(), geolocation=()"),
)
