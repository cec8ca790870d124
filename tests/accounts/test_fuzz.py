"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis + hypothesis).

Every operation in /api/schema/ gets generated valid and invalid requests, sent through Django's
WSGI handler as a logged-in API client. Checks: never a 5xx, the status code and content type are
documented and the body matches the documented schema; on the auth endpoints data that breaks the schema is also refused
with a 4xx (auth endpoints). Bounded: FUZZ_EXAMPLES per operation and mode (default 30), a fixed seed unless
FUZZ_RANDOM=1. Every failing operation is reported, not just the first.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from apps.accounts import api as accounts
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
# What the issue asks of every operation: no 5xx, and responses that conform to the schema.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The auth endpoints are also strict about input: anything that breaks the schema gets a 4xx.
STRICT_PREFIX = "/api/v1/auth/"


@pytest.fixture
def wsgi_app():
    # Like Django's test client: keep the test's transaction open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_headers():
    accounts.signup("fuzzer", "fuzzer@example.com", PASSWORD)
    request = RequestFactory().post("/")
    request.session = SessionStore()
    _, pair = accounts.login(request, "fuzzer", PASSWORD)
    return {"Authorization": f"Bearer {pair.access}"}


def test_api_survives_fuzzing(wsgi_app, auth_headers):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert any(operation.path == "/api/v1/auth/login/" for operation in operations)

    for operation in operations:
        checks = CHECKS + [negative_data_rejection] if operation.path.startswith(STRICT_PREFIX) else CHECKS
        for mode in GenerationMode:
            try:
                fuzz(operation, mode, checks, auth_headers)
            except (Exception, BaseExceptionGroup) as failure:  # collect every operation's failures, report all
                failures[f"{operation.label} [{mode}]"] = str(failure)[:3000]

    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def fuzz(operation, mode: GenerationMode, checks: list, headers: dict) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def exercise(case):
        cache.clear()  # fuzzing is about input handling: every example starts with a fresh throttle budget
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    exercise()
