"""The OpenAPI schema tells the truth: it is valid OpenAPI 3, it carries the server's own constraints, and
schemathesis with every check finds nothing against a real Daphne (the issue's manual run, as a test)."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from apps.storage import api as storage_api
from tests.accounts.conftest import PASSWORD
from tests.live_server import VENV_BIN

HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Per operation and phase; the run takes about half a minute on SQLite. SPG_SCHEMA_FUZZ_SEED=random for a new seed.
EXAMPLES = int(os.environ.get("SPG_SCHEMA_FUZZ_EXAMPLES", "30"))
SEED = os.environ.get("SPG_SCHEMA_FUZZ_SEED", "1")
ENVELOPE = "#/components/schemas/ErrorEnvelope"


def schema(client=None) -> dict:
    response = (client or APIClient()).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, operation) for path, item in spec["paths"].items() for method, operation in item.items()]


def test_schema_is_valid_openapi_3():
    validate(schema())


def test_every_error_is_the_one_envelope_as_json():
    for method, path, operation in operations(schema()):
        errors = {status: response for status, response in operation["responses"].items() if status >= "400"}
        assert "503" in errors, (method, path)  # the database may be unreachable anywhere
        for status, response in errors.items():
            assert response["content"] == {"application/json": {"schema": {"$ref": ENVELOPE}}}, (method, path, status)


def test_request_schemas_carry_the_servers_constraints(settings):
    settings.JOB_TEXT_MAX_CHARS = 123  # read when the schema is made, as when a request is validated
    spec = schema()
    components = spec["components"]["schemas"]

    playlist = components["PlaylistRequest"]["properties"]
    assert playlist["text"]["maxLength"] == 123 and playlist["text"]["minLength"] == 1
    assert re.search(playlist["text"]["pattern"], "  ") is None  # whitespace only is blank once trimmed
    assert re.search(playlist["text"]["pattern"], "ok\x00") is None  # NUL bytes are refused
    assert (playlist["length"]["minimum"], playlist["length"]["maximum"]) == (3, 50)

    signup = components["SignupRequest"]
    assert signup["additionalProperties"] is False and set(signup["required"]) == {"username", "email", "password"}
    assert signup["properties"]["email"]["format"] == "email"
    assert re.search(signup["properties"]["username"]["pattern"], "no spaces") is None
    password = signup["properties"]["password"]
    assert password["minLength"] == 8  # Django's MinimumLengthValidator, as configured
    assert re.search(password["pattern"], "12345678") is None  # not entirely numeric
    assert components["RefreshRequest"]["properties"]["refresh"]["minLength"] == 1

    listing = {parameter["name"]: parameter["schema"] for parameter in spec["paths"]["/api/v1/playlists/"]["get"]["parameters"]}
    assert listing["status"]["enum"] == list(storage_api.JOB_STATUSES)
    assert listing["page"] == {"type": "integer", "minimum": 1}
    for path in ("/api/v1/jobs/{job_id}/", "/api/v1/playlists/{job_id}/"):
        (job_id,) = spec["paths"][path]["get"]["parameters"]
        assert job_id["schema"] == {"type": "string", "format": "uuid"}


def test_a_created_job_links_to_where_it_can_be_read():
    created = schema()["paths"]["/api/v1/playlists/"]["post"]["responses"]["202"]["links"]
    assert {link["operationId"] for link in created.values()} == {
        "v1_jobs_retrieve", "v1_playlists_retrieve", "v1_playlists_outcome_retrieve", "v1_playlists_m3u_retrieve", "v1_playlists_xspf_retrieve",
    }
    assert all(link["parameters"] == {"job_id": "$response.body#/job_id"} for link in created.values())


@pytest.mark.django_db
def test_swagger_ui_reads_the_schema():
    page = APIClient().get("/api/docs/")
    assert page.status_code == 200 and b"/api/schema/" in page.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/jobs/not-a-uuid/", "/api/v1/playlists/123/", "/api/v1/jobs/a%2Fb/", "/api/nothing", "/api/v1/jobs/a%0Ab/"])
@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_paths_answer_the_json_envelope_even_under_debug(settings, django_user_model, path, debug):
    settings.DEBUG = debug  # Django's own 404 under DEBUG is an HTML page
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("kim", "kim@example.com", PASSWORD))
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_known_api_path_without_its_slash_is_still_redirected():
    response = APIClient().get("/api/docs")
    assert response.status_code == 301 and response["Location"] == "/api/docs/"
    assert APIClient().post("/api/v1/auth/login").status_code == 404  # a POST cannot be redirected


def test_schemathesis_finds_nothing_against_a_real_daphne(daphne_server, tmp_path):
    """Every operation (logout included), every check, every phase, a fixed seed; fails on any finding."""
    url = daphne_server.url
    username = f"fuzz{uuid.uuid4().hex[:8]}"
    created = httpx.post(f"{url}/api/v1/auth/signup/", json={"username": username, "email": f"{username}@example.com", "password": PASSWORD})
    assert created.status_code == 201, created.text
    login = httpx.post(f"{url}/api/v1/auth/login/", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    operation_count = len(operations(httpx.get(f"{url}/api/schema/", params={"format": "json"}).json()))

    command = [
        str(VENV_BIN / "schemathesis"), "--config-file", str(CONFIG), "run", f"{url}/api/schema/",
        "-H", f"Authorization: Bearer {login.json()['access']}",
        "--checks", "all", "--max-examples", str(EXAMPLES), "--workers", "1",
        "--generation-database", "none", "--no-color",
    ]
    if SEED != "random":
        command += ["--seed", SEED]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS), "SPG_LIVE_URL": url, "SPG_LIVE_USERNAME": username, "SPG_LIVE_PASSWORD": PASSWORD}
    # In a directory of its own: schemathesis keeps (and replays) past findings in ./.schemathesis.
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    print(output[-2500:])  # the summary: cases generated, seed

    assert result.returncode == 0, f"schemathesis found problems (server log: {daphne_server.log}):\n{output[-20000:]}"
    tested = re.search(r"Tested:\s+(\d+)", output)
    assert tested and int(tested.group(1)) == operation_count, output[-3000:]
    assert re.search(r"\d+ generated, \d+ passed", output), output[-3000:]
