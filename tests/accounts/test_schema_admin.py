"""The OpenAPI schema and Swagger UI, and the users admin (staff only)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from drf_spectacular.validation import validate_schema

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db
AUTH_PATHS = ["signup", "login", "refresh", "logout", "me"]


@pytest.fixture
def openapi(db) -> dict:
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3_and_public(openapi):
    assert openapi["openapi"].startswith("3.")
    validate_schema(openapi)  # raises on an invalid document


def test_schema_describes_every_auth_endpoint_and_its_errors(openapi):
    paths = openapi["paths"]
    for name in AUTH_PATHS:
        assert f"/api/v1/auth/{name}/" in paths, name
    login = paths["/api/v1/auth/login/"]["post"]
    assert set(login["responses"]) >= {"200", "400", "401", "415", "429"}
    assert login["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
    assert set(paths["/api/v1/auth/refresh/"]["post"]["responses"]) >= {"200", "400", "401", "403"}
    assert paths["/api/v1/auth/signup/"]["post"]["responses"].keys() >= {"201", "400", "429"}
    assert paths["/api/v1/auth/me/"]["get"]["responses"].keys() >= {"200", "401"}


def test_schema_declares_the_bearer_cookie_and_session_schemes(openapi, settings):
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearerAuth"]["description"],
    }
    assert schemes["cookieAuth"]["in"] == "cookie" and schemes["cookieAuth"]["name"] == settings.AUTH_COOKIE_ACCESS
    assert schemes["sessionAuth"]["name"] == settings.SESSION_COOKIE_NAME
    me_security = openapi["paths"]["/api/v1/auth/me/"]["get"]["security"]
    assert {"bearerAuth": []} in me_security and {"cookieAuth": []} in me_security
    assert openapi["paths"]["/api/v1/auth/login/"]["post"].get("security", []) == []  # no credentials needed


def test_every_operation_documents_its_error_envelope(openapi):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            errors = [code for code in operation["responses"] if code.startswith("4")]
            assert errors, f"{method.upper()} {path} documents no error response"


def test_swagger_ui_is_served(db):
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content and b"/api/schema/" in response.content
    # Served from our own static files (drf-spectacular-sidecar), not a CDN.
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in response.content
    assert b"cdn.jsdelivr" not in response.content


def test_admin_refuses_non_staff_and_lists_users_for_staff(make_user):
    make_user("walter")
    make_user("staffer")
    get_user_model().objects.filter(username="staffer").update(is_staff=True, is_superuser=True)

    regular = Client()
    assert regular.login(username="walter", password=PASSWORD)
    response = regular.get("/admin/accounts/user/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

    staff = Client()
    assert staff.login(username="staffer", password=PASSWORD)
    page = staff.get("/admin/accounts/user/?q=walter")
    assert page.status_code == 200 and b"walter" in page.content


def test_admin_escapes_html_stored_in_an_email(make_user):
    make_user("mallory", email='"<script>alert(1)</script>"@example.com')
    make_user("staffer")
    get_user_model().objects.filter(username="staffer").update(is_staff=True, is_superuser=True)
    staff = Client()
    assert staff.login(username="staffer", password=PASSWORD)
    html = staff.get("/admin/accounts/user/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
