import os
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.project_slug }}.paths import AllowedPaths, PathRefused


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """logs/ with allowed app/ and app/worker/, a forbidden app2/ and secret/, and links in and out."""
    base = tmp_path / "logs"
    for directory in ("app/worker", "app2", "secret"):
        (base / directory).mkdir(parents=True)
    (base / "main.log").write_text("main\n")
    (base / "app" / "api.log").write_text("api\n")
    (base / "app" / "worker" / "jobs.log").write_text("jobs\n")
    (base / "app2" / "api.log").write_text("look-alike\n")
    (base / "secret" / "keys.log").write_text("secret\n")
    (tmp_path / "outside.log").write_text("outside\n")
    (base / "link-in.log").symlink_to(base / "app" / "api.log")
    (base / "link-out.log").symlink_to(tmp_path / "outside.log")
    (base / "link-secret.log").symlink_to(base / "secret" / "keys.log")
    (base / "app" / "dir-out").symlink_to(tmp_path)
    os.mkfifo(base / "fifo.log")
    return base


@pytest.fixture
def allowed(tree: Path) -> AllowedPaths:
    return AllowedPaths(tree, [tree / "app", tree / "app" / "worker"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("main.log", "main\n"),
        ("app/api.log", "api\n"),
        ("app/worker/jobs.log", "jobs\n"),
        ("./main.log", "main\n"),
        ("app//api.log", "api\n"),
        ("link-in.log", "api\n"),
    ],
)
def test_serves_files_in_allowed_directories(allowed, name, expected):
    assert allowed.resolve(name).path.read_text() == expected


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("../outside.log", 403),
        ("app/../../outside.log", 403),
        ("app/../main.log", 403),
        ("/etc/passwd", 403),
        ("//etc/passwd", 403),
        ("link-out.log", 403),
        ("link-secret.log", 403),
        ("secret/keys.log", 403),
        ("app2/api.log", 403),
        ("app/dir-out/outside.log", 403),
        ("fifo.log", 403),
        ("app", 403),
        ("main.log\0.txt", 400),
        ("main.log\n", 400),
        ("main\x1b.log", 400),
        ("..\\outside.log", 400),
        ("app\\api.log", 400),
        ("", 400),
        ("missing.log", 404),
        ("app/missing.log", 404),
        ("app2/missing.log", 403),
        ("%2e%2e/outside.log", 403),
        (".", 403),
    ],
)
def test_refuses_with_the_right_status(allowed, name, status):
    with pytest.raises(PathRefused) as refusal:
        allowed.resolve(name)
    assert refusal.value.status == status


def test_socket_is_not_a_regular_file(tree, allowed):
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tree / "sock.log"))
        with pytest.raises(PathRefused) as refusal:
            allowed.resolve("sock.log")
    assert refusal.value.status == 403


def test_any_subdirectory(tree):
    everything = AllowedPaths(tree, [], any_subdirectory=True)
    assert everything.resolve("secret/keys.log").path.read_text() == "secret\n"
    with pytest.raises(PathRefused):
        everything.resolve("link-out.log")


def test_listing_holds_viewable_files_only(tree, allowed):
    names = {log_file.name for log_file, _ in allowed.listing()}
    assert names == {"main.log", "app/api.log", "app/worker/jobs.log", "link-in.log"}


def test_allowed_directory_must_be_inside(tmp_path):
    with pytest.raises(ValueError, match="not inside"):
        AllowedPaths(tmp_path / "logs", [tmp_path])


segment = st.sampled_from(
    [
        "..",
        ".",
        "",
        "app",
        "worker",
        "app2",
        "secret",
        "main.log",
        "api.log",
        "jobs.log",
        "keys.log",
        "link-in.log",
        "link-out.log",
        "link-secret.log",
        "dir-out",
        "outside.log",
        "fifo.log",
        "%2e%2e",
        "\\",
        "\0",
    ]
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(parts=st.lists(segment, min_size=1, max_size=6), absolute=st.booleans())
def test_property_served_files_lie_in_an_allowed_directory(tree, allowed, parts, absolute):
    """Whatever the path, it is refused or leads to a regular file in an allowed directory."""
    name = ("/" if absolute else "") + "/".join(parts)
    try:
        log_file = allowed.resolve(name)
    except PathRefused as refusal:
        assert refusal.status in (400, 403, 404)
        return
    real = Path(os.path.realpath(log_file.path))
    assert real.is_file()
    assert real.parent in {tree, tree / "app", tree / "app" / "worker"}
