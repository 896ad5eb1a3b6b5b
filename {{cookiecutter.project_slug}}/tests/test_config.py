import pytest
from helpers import PROJECT_ROOT

from {{ cookiecutter.project_slug }}.config import (
    BAKED,
    PREFIX,
    SPECS,
    ConfigError,
    Settings,
    blueprint_options,
    load_settings,
    parse_subdirectories,
    settings_table,
)

pytestmark = pytest.mark.answers  # prefix, auth and baked defaults shape these

NO_AUTH = {"auth": "none"}


def test_baked_defaults():
    """The template's answers, as cookiecutter wrote them into this file: not read back from the settings."""
    settings = load_settings({}, NO_AUTH)
    assert settings.log_directory.name == {{ cookiecutter.log_directory | tojson }}.rstrip("/").split("/")[-1]
    assert settings.backlog_lines == {{ cookiecutter.backlog_lines | int }}
    assert settings.url_prefix == {{ cookiecutter.url_prefix | tojson }}
    assert settings.workers == {{ cookiecutter.workers | int }} and settings.port == {{ cookiecutter.port | int }}


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
    assert parse_subdirectories("*") == ("*",)
    assert parse_subdirectories("") == ()
    settings = load_settings({"LOG_VIEWER_ALLOWED_SUBDIRECTORIES": "*"}, NO_AUTH)
    assert settings.any_subdirectory and settings.allowed_directories == []


@pytest.mark.parametrize("value", ["/abs", "a,,b", "../up", "a/../b", " , ", "a\\\\b", "app,*", "C:/logs"])
def test_bad_subdirectories_are_refused(value):
    with pytest.raises(ConfigError, match="LOG_VIEWER_ALLOWED_SUBDIRECTORIES"):
        load_settings({"LOG_VIEWER_ALLOWED_SUBDIRECTORIES": value}, NO_AUTH)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("BACKLOG_LINES", "-1", "an integer from 0 to 100000"),
        ("MAX_STREAMS", "many", "an integer from 1 to 1000000"),
        ("LINE_CAP", "5", "an integer from 100"),
        ("HEARTBEAT_SECONDS", "0.5", "a number from 1 to 300"),
        ("WORKERS", "0", "an integer from 1 to 128"),
        ("LOG_LEVEL", "loud", "one of debug, info"),
        ("NODE_NAME", "-node", "a node name of letters, digits"),
        ("NODE_NAME", "node a", "a node name of letters, digits"),
        ("PEERS", "10.0.0.2:99999", "comma-separated host:port entries"),
        ("PEERS", "10.0.0.2:3001,,b:3001", "comma-separated host:port entries"),
        ("PEERS", "http://b:3001", "comma-separated host:port entries"),
        ("PEER_TIMEOUT_SECONDS", "0", "a number from 0.1 to 60"),
    ],
)
def test_bad_values_are_refused_in_one_sentence_naming_the_variable(name, value, expected):
    with pytest.raises(ConfigError, match=f"^LOG_VIEWER_{name} '{value}' is not valid: expected {expected}"):
        load_settings({f"LOG_VIEWER_{name}": value}, NO_AUTH)


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("LOG_VIEWER_MAX_STREAM", "LOG_VIEWER_MAX_STREAMS"), ("LOG_VIEWER_HEARTBEAT", "LOG_VIEWER_HEARTBEAT_SECONDS")],
)
def test_a_misspelt_variable_is_refused_naming_the_nearest_one(typo, meant):
    with pytest.raises(ConfigError, match=f"^{typo} is not a setting of this service: did you mean {meant}\\?"):
        load_settings({typo: "5"}, NO_AUTH)


def test_every_option_of_the_environment_is_read_and_typed():
    values = {"heartbeat_seconds": "2.5", "retry_ms": "250", "poll_interval": "1", "workers": "3", "log_level": "DEBUG"}
    settings = load_settings({PREFIX + name.upper(): text for name, text in values.items()}, NO_AUTH)
    assert (settings.heartbeat_seconds, settings.retry_ms, settings.poll_interval) == (2.5, 250, 1.0)
    assert (settings.workers, settings.log_level) == (3, "debug")


@pytest.mark.parametrize(
    ("text", "peers"),
    [
        ("", ()),
        ("10.0.0.2:3001, 10.0.0.3:3002", (("10.0.0.2", 3001), ("10.0.0.3", 3002))),
        ("[fd00::2]:3001,node-b.example", (("fd00::2", 3001), ("node-b.example", None))),
        ("log-viewer-peers.logging.svc.cluster.local", (("log-viewer-peers.logging.svc.cluster.local", None),)),
    ],
)
def test_peers_are_a_list_of_addresses_or_one_dns_name(text, peers):
    settings = load_settings({"LOG_VIEWER_PEERS": text, "LOG_VIEWER_NODE_NAME": "node-a"}, NO_AUTH)
    assert settings.peers == peers and settings.node_name == "node-a"


def test_peers_without_a_port_listen_on_this_services_port():
    assert load_settings({"LOG_VIEWER_BIND": "0.0.0.0:4000"}, NO_AUTH).port == 4000
    assert load_settings({"LOG_VIEWER_BIND": "unix:/run/viewer.sock"}, NO_AUTH).port == BAKED["port"]


def test_the_readme_table_is_the_declaration():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert settings_table() in readme, "README.md's settings table differs from config.Settings:\n" + settings_table()
    assert all(f"`{PREFIX}{name.upper()}`" in readme for name, spec in SPECS.items() if spec.environment)


def test_blueprint_options_are_the_declared_ones_with_their_bounds():
    assert blueprint_options({"max_streams": 7}).max_streams == 7
    assert blueprint_options({}).line_cap == Settings().line_cap
    with pytest.raises(TypeError, match="unknown options \\['password'\\]"):
        blueprint_options({"password": "x"})  # a service option, not the blueprint's
    with pytest.raises(ConfigError, match="max_streams 0 is not valid"):
        blueprint_options({"max_streams": 0})


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
