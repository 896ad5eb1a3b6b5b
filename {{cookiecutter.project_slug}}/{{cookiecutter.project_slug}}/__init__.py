"""A real-time log viewer: the Flask app factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask, Response

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def security_headers(response: Response) -> Response:
    """No inline script, no other origin, no framing, no sniffing, no referrer."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def create_app(test_config: Mapping[str, object] | None = None) -> Flask:
    """The standalone service: baked settings, ``LOG_VIEWER_*`` overrides, then ``test_config``."""
    # Imported here: a timeline's index is built by ``python -m <this package>.granules``, which loads this
    # package but none of the web's modules (a quarter of a second of a gigabyte's two).
    from flask import Flask, Response

    from .auth import basic_auth
    from .config import SPECS, load_settings
    from .viewer import log_viewer_blueprint

    settings = load_settings(os.environ, test_config)
    app = Flask(__name__)
    guard = None
    if settings.auth == "basic":
        guard = basic_auth(settings.username, settings.password, settings.password_hash)
    viewer = log_viewer_blueprint(
        settings.log_directory,
        settings.allowed_directories,
        any_subdirectory=settings.any_subdirectory,
        guard=guard,
        title={{ cookiecutter.project_name | tojson | replace('\\"', '\\u0022') }},
        port=settings.port,
        **{name: getattr(settings, name) for name, spec in SPECS.items() if spec.blueprint},
    )
    app.register_blueprint(viewer, url_prefix=settings.url_prefix)
    app.add_url_rule("/healthz", "healthz", lambda: Response("ok\n", mimetype="text/plain"))
    app.after_request(security_headers)
    return app
