"""Property test through HTTP: every route either refuses or serves a file from an allowed directory."""

from urllib.parse import quote

import pytest
from helpers import PREFIX
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.project_slug }} import create_app

pytestmark = pytest.mark.answers  # prefix, auth and baked defaults shape these


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Files whose content names where they really are, and links planted inside and out."""
    root = tmp_path_factory.mktemp("hostile")
    base = root / "logs"
    for directory in ("app", "secret", "app2"):
        (base / directory).mkdir(parents=True)
    for relative in ("main.log", "app/api.log", "secret/keys.log", "app2/api.log"):
        (base / relative).write_text(f"REAL:{relative}\n")
    (root / "outside.log").write_text("REAL:outside\n")
    (base / "in.log").symlink_to(base / "app" / "api.log")
    (base / "out.log").symlink_to(root / "outside.log")
    (base / "app" / "up").symlink_to(root)
    (base / "app" / "secret.log").symlink_to(base / "secret" / "keys.log")
    app = create_app(
        {
            "log_directory": base,
            "allowed_subdirectories": ("app",),
            "auth": "none",
            "state_directory": root / "state",
        }
    )
    return app.test_client()


ALLOWED_CONTENT = {"REAL:main.log\n", "REAL:app/api.log\n"}
segment = st.sampled_from(
    [
        "..",
        ".",
        "",
        "app",
        "app2",
        "secret",
        "up",
        "main.log",
        "api.log",
        "keys.log",
        "in.log",
        "out.log",
        "secret.log",
        "outside.log",
        "%2e%2e",
        "%2f",
        "..%2f",
        "\\",
        "\0",
        "%00",
        "//",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    parts=st.lists(segment, min_size=1, max_size=5),
    route=st.sampled_from(["download", "view", "stream"]),
    encode=st.booleans(),
)
def test_property_refused_or_inside(planted, parts, route, encode):
    path = "/".join(parts)
    url = f"{PREFIX}/{route}/{quote(path, safe='/%') if encode else path}"
    response = planted.get(url, buffered=route != "stream")
    try:
        if response.status_code != 200:
            assert response.status_code in (308, 400, 403, 404, 405), (url, response.status_code)
            return
        if route == "download":
            assert response.get_data(as_text=True) in ALLOWED_CONTENT, url
        elif route == "stream" and url.rstrip("/") != f"{PREFIX}/stream":  # not the demo stream
            chunks = iter(response.response)
            next(chunks)  # retry
            body = next(chunks).decode()
            assert "REAL:main.log" in body or "REAL:app/api.log" in body, (url, body)
    finally:
        response.close()
