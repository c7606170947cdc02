"""The web layer: thin views over the plain-Python core in directory.service."""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path

import sqlalchemy.exc
from flask import Flask, abort, current_app, g, make_response, render_template, request
from flask_compress import Compress
from flask_wtf.csrf import CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from directory.service import Directory
from directory.web import helpers
from directory.web.inline_assets import PAGE_CSS, InlineAssets, page_blocks
from directory.web.json_provider import OrjsonProvider

csrf = CSRFProtect()
# The longest URL (path and query, as sent) the site reads. Past it, a 414 in the site's
# own shape (JSON under /api/), well before gunicorn's request-line limit
# (directory.serve.LIMIT_REQUEST_LINE) would answer with its bare page.
MAX_URL_BYTES = 4000


class WithoutQueryStrings(logging.Filter):
    """Takes query strings out of the development server's request lines.

    Checker answers and searches live in URLs and must never reach a log; under
    gunicorn the access log format leaves them out (directory.serve), and this does the
    same for `flask run`, which scripts/site.sh uses.
    """

    QUERY = re.compile(r"\?[^\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.QUERY.sub("", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def _quiet_request_lines() -> None:
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, WithoutQueryStrings) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(WithoutQueryStrings())


def init_app(app: Flask) -> None:
    _quiet_request_lines()
    app.json = OrjsonProvider(app)
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.template_folder),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    csrf.init_app(app)
    Compress(app)
    inline = InlineAssets.read(Path(app.static_folder))
    app.extensions["inline_assets"] = inline
    app.jinja_env.globals.update(
        inline_style=inline.style, icon_url=inline.icon, page_css_marker=Markup(PAGE_CSS)
    )
    if app.config["TRUSTED_PROXIES"]:  # behind a load balancer: trust its X-Forwarded-For
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    directory = Directory(
        app.config["DATABASE_URL"],
        Path(app.config["DATA_DIR"]),
        Path(app.config["CATALOGUE_FILE"]),
    )
    directory.setup(auto_import=app.config["AUTO_IMPORT"], build_index=app.config["BUILD_INDEX"])
    app.extensions["directory"] = directory

    from directory.web import (
        api,
        auth,
        checker,
        editor,
        editor_admin,
        guide,
        open_data,
        ops,
        public,
    )

    auth.init_app(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(checker.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(editor.bp)
    app.register_blueprint(guide.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(open_data.bp)
    assert editor_admin.bp is editor.bp  # its routes are part of the editor
    csrf.exempt(api.bp)
    csrf.exempt(open_data.bp)

    helpers.register_template_helpers(app)
    app.before_request(_make_csp_nonce)
    app.before_request(_refuse_long_urls)
    # One version check per request keeps the catalogue, and the vocabulary with its
    # universities and courses, current for everything the request does.
    app.before_request(_snapshot)
    app.after_request(_security_headers)
    app.after_request(_page_css)  # runs before the headers and compression
    app.register_error_handler(403, _forbidden)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _method_not_allowed)
    app.register_error_handler(414, _uri_too_long)
    app.register_error_handler(500, _server_error)
    app.register_error_handler(sqlalchemy.exc.OperationalError, _database_unavailable)
    app.register_error_handler(sqlalchemy.exc.InterfaceError, _database_unavailable)


def _snapshot() -> None:
    # Health checks and static files must not depend on the database.
    if request.endpoint not in ("ops.healthz", "ops.readyz", "static"):
        max_age = current_app.config["CATALOGUE_MAX_AGE"]
        if max_age:  # a thread keeps the catalogue current, so requests rarely need to
            helpers.directory().keep_current(every=max_age / 2)
        helpers.snapshot()


def _make_csp_nonce() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)


def _request_target() -> str:
    """The URL as the client sent it (servers keep it in RAW_URI or REQUEST_URI)."""
    environ = request.environ
    return environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path


def _refuse_long_urls() -> None:
    if len(_request_target().encode("latin-1", errors="replace")) > MAX_URL_BYTES:
        abort(414)


def _page_css(response):
    """Puts main.css's rules that can match this page into the layout's <style>."""
    if response.mimetype != "text/html" or response.direct_passthrough:
        return response
    html = response.get_data(as_text=True)
    if PAGE_CSS in html:
        css = current_app.extensions["inline_assets"].main_css(page_blocks(html))
        response.set_data(html.replace(PAGE_CSS, css, 1))
    return response


def _security_headers(response):
    nonce = getattr(g, "csp_nonce", "")
    # Styles: only those the layout puts inside the page (directory/web/inline_assets.py).
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        f"style-src 'nonce-{nonce}'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; object-src 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint == "static" and response.status_code == 200:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        # Read the (small) file now: Flask-Compress's streaming path drops the open
        # file without closing it, while a plain body is compressed and closed.
        response.direct_passthrough = False
        response.make_sequence()
    if request.blueprint in helpers.PRIVATE_BLUEPRINTS:
        response.headers["Cache-Control"] = "no-store"
    elif request.endpoint != "static" and helpers.signed_in():
        # Signed in: a public page may carry links for this person only ("Edit this
        # listing"), so no shared cache may keep it. Pages for everyone else are unchanged.
        response.headers["Cache-Control"] = "private, no-store"
    hsts_max_age = current_app.config["HSTS_MAX_AGE"]
    # Only over HTTPS (directly, or as the trusted proxy says): over plain http the
    # header means nothing, and on a development machine it would stick to localhost.
    if request.is_secure and hsts_max_age:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts_max_age}")
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def _error_page(status: int, template: str, message: str):
    if _wants_json():
        body = {"ok": False, "status": status, "errors": [{"message": message}]}
        return make_response(body, status)
    return make_response(render_template(template, status=status), status)


def _forbidden(error):
    return _error_page(403, "errors/403.html", "you do not have permission to do that")


def _not_found(error):
    return _error_page(404, "errors/404.html", "not found")


def _method_not_allowed(error):
    response = _error_page(405, "errors/405.html", "method not allowed")
    if error.valid_methods:  # RFC 9110: a 405 says which methods the URL takes
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _uri_too_long(error):
    return _error_page(414, "errors/414.html", f"the URL is longer than {MAX_URL_BYTES} bytes")


def _database_unavailable(error):
    """The database went away: a friendly 503, never a traceback. The connection pool
    checks connections before use, so service resumes by itself once it is back."""
    current_app.logger.error("database unavailable: %s", str(error).splitlines()[0])
    g.database_unavailable = True  # draw the page for anyone: see auth._load_user
    response = _error_page(503, "errors/503.html", "the service is temporarily unavailable")
    response.headers["Retry-After"] = "30"
    return response


def _server_error(error):
    return _error_page(500, "errors/500.html", "something went wrong on our side")
