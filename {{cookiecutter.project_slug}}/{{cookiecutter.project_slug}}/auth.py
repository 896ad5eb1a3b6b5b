"""HTTP Basic auth, compared in constant time; credentials never leave the process."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from flask import Response, request
from werkzeug.security import check_password_hash

Guard = Callable[[], Response | None]


def basic_auth(username: str, password: str | None = None, password_hash: str | None = None) -> Guard:
    """A guard answering ``401`` unless the request carries the right credentials.

    ``password_hash`` is werkzeug's format (``werkzeug.security.generate_password_hash``).
    """
    if not (password or password_hash):
        raise ValueError("basic auth needs a password or a password hash")
    expected_user = username.encode()

    def password_ok(given: str) -> bool:
        if password_hash:
            return check_password_hash(password_hash, given)
        return hmac.compare_digest(given.encode(), password.encode())

    def guard() -> Response | None:
        credentials = request.authorization
        if credentials is not None and credentials.type == "basic":
            user_ok = hmac.compare_digest((credentials.username or "").encode(), expected_user)
            if password_ok(credentials.password or "") and user_ok:
                return None
        return Response(
            "Authentication required.\n",
            401,
            {"WWW-Authenticate": 'Basic realm="Log viewer", charset="UTF-8"'},
            mimetype="text/plain",
        )

    return guard
