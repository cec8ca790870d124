"""docker-compose.yml validates and describes the split services (no Docker engine runs here)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_file_validates():
    command = compose_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("no docker compose client on the CI machine (.ci/run installs one)")
        pytest.skip("no docker compose client installed")
    env = {**os.environ, "DJANGO_SECRET_KEY": "compose-validation-only"}
    result = subprocess.run([*command, "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compose_runs_the_emotion_service_as_its_own_worker():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"postgres", "redis", "web", "worker", "worker-emotion"} <= set(services)
    emotion_cmd = services["worker-emotion"]["command"]
    assert emotion_cmd[emotion_cmd.index("-Q") + 1] == "emotion"
    default_queues = services["worker"]["command"][services["worker"]["command"].index("-Q") + 1].split(",")
    assert "emotion" not in default_queues and {"gateway", "music", "storage"} <= set(default_queues)
    for name in ("postgres", "redis", "web", "worker", "worker-emotion"):
        assert "healthcheck" in services[name], name


def test_no_shipped_server_believes_a_clients_x_forwarded_for():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for shipped in ((ROOT / "Procfile").read_text(), (ROOT / "Dockerfile").read_text(), " ".join(services["web"]["command"])):
        assert "daphne" in shipped and "--proxy-headers" not in shipped
    # Daphne is reachable only through the proxy, which overwrites the header; the app trusts that one hop.
    assert "ports" not in services["web"]
    assert services["web"]["environment"]["TRUSTED_PROXY_COUNT"] == "1"
    assert services["proxy"]["ports"] and "nginx" in services["proxy"]["image"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx and "proxy_pass http://web:8000;" in nginx


def test_flower_listens_on_loopback_behind_a_login():
    flower = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["flower"]
    assert all(str(port).startswith("127.0.0.1:") for port in flower["ports"])
    assert "FLOWER_BASIC_AUTH" in flower["environment"]
    assert "exit 1" in " ".join(flower["entrypoint"])  # refuses to start without a login
