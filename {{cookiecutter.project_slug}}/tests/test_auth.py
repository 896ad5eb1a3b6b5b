import base64

import pytest
from helpers import PREFIX
from werkzeug.security import generate_password_hash

from {{ cookiecutter.project_slug }} import create_app

pytestmark = pytest.mark.answers  # prefix, auth and baked defaults shape these


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(params=["password", "hash"])
def secured(request, log_dir, state_dir):
    credentials = (
        {"password": "s3cret"} if request.param == "password" else {"password_hash": generate_password_hash("s3cret")}
    )
    config = {"log_directory": log_dir, "state_directory": state_dir, "auth": "basic", "username": "ops"}
    return create_app(config | credentials).test_client()


ROUTES = ["/", "/view/", "/view/main.log", "/stream/main.log", "/download/main.log"]


@pytest.mark.parametrize("route", ROUTES)
def test_routes_need_credentials(secured, route):
    for headers in ({}, basic("ops", "wrong"), basic("admin", "s3cret"), {"Authorization": "Bearer x"}):
        response = secured.get(PREFIX + route, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
        assert "s3cret" not in response.text


@pytest.mark.parametrize("route", ["/", "/view/main.log", "/download/main.log"])
def test_right_credentials_pass(secured, route):
    assert secured.get(PREFIX + route, headers=basic("ops", "s3cret")).status_code == 200


def test_stream_with_right_credentials(secured):
    response = secured.get(PREFIX + "/stream/main.log", headers=basic("ops", "s3cret"), buffered=False)
    assert response.status_code == 200
    response.close()


def test_healthz_and_static_need_none(secured):
    assert secured.get("/healthz").status_code == 200
    assert secured.get(PREFIX + "/static/viewer/main.js").status_code == 200
