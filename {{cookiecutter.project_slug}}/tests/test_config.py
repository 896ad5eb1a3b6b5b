import pytest

from {{ cookiecutter.project_slug }}.config import BAKED, ConfigError, load_settings, parse_subdirectories

NO_AUTH = {"auth": "none"}


def test_baked_defaults():
    settings = load_settings({}, NO_AUTH)
    assert settings.log_directory.name == BAKED["log_directory"].rstrip("/").split("/")[-1]
    assert settings.backlog_lines == BAKED["backlog_lines"]
    assert settings.url_prefix == BAKED["url_prefix"]


def test_environment_overrides(tmp_path):
    settings = load_settings(
        {
            "LOG_VIEWER_LOG_DIRECTORY": str(tmp_path / "logs"),
            "LOG_VIEWER_ALLOWED_SUBDIRECTORIES": "monday, app/worker/",
            "LOG_VIEWER_STATE_DIRECTORY": str(tmp_path / "state"),
            "LOG_VIEWER_USERNAME": "ops",
            "LOG_VIEWER_PASSWORD": "secret",
            "LOG_VIEWER_BACKLOG_LINES": "5",
        }
    )
    logs = tmp_path / "logs"
    assert settings.log_directory == logs
    assert settings.allowed_directories == [logs / "monday", logs / "app" / "worker"]
    assert settings.state_directory == tmp_path / "state"
    assert (settings.username, settings.password, settings.backlog_lines) == ("ops", "secret", 5)


def test_star_allows_every_subdirectory():
    assert parse_subdirectories("*") == ((), True)
    assert parse_subdirectories("") == ((), False)


@pytest.mark.parametrize("value", ["/abs", "a,,b", "../up", "a/../b", " , "])
def test_bad_subdirectories_are_refused(value):
    with pytest.raises(ConfigError, match="LOG_VIEWER_ALLOWED_SUBDIRECTORIES"):
        load_settings({"LOG_VIEWER_ALLOWED_SUBDIRECTORIES": value}, NO_AUTH)


@pytest.mark.parametrize(("name", "value"), [("BACKLOG_LINES", "-1"), ("MAX_STREAMS", "many"), ("LINE_CAP", "5")])
def test_bad_numbers_are_refused_by_name(name, value):
    with pytest.raises(ConfigError, match=f"LOG_VIEWER_{name} '{value}' is not valid"):
        load_settings({f"LOG_VIEWER_{name}": value}, NO_AUTH)


def test_basic_auth_without_a_password_refuses_to_start():
    with pytest.raises(ConfigError, match="LOG_VIEWER_PASSWORD"):
        load_settings({}, {"auth": "basic"})


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="unknown settings"):
        load_settings({}, {"auth": "none", "colour": "blue"})


@pytest.mark.parametrize("inside", ["state", "."])
def test_state_directory_inside_the_log_directory_is_refused(tmp_path, inside):
    env = {"LOG_VIEWER_LOG_DIRECTORY": str(tmp_path), "LOG_VIEWER_STATE_DIRECTORY": str(tmp_path / inside)}
    with pytest.raises(ConfigError, match=r"LOG_VIEWER_STATE_DIRECTORY .* outside the log directory"):
        load_settings(env, NO_AUTH)
