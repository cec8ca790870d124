"""Auth endpoints under /api/v1/auth/: signup, login, refresh, logout, me.

Thin DRF views over apps.accounts.api. They accept JSON only (a cross-site HTML form cannot
post JSON, so a login or refresh cannot be forged from another site) and reject unknown fields
and non-string values with 400.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import api as accounts
from apps.gateway.errors import Conflict
from apps.gateway.openapi import error_response
from apps.gateway.serializers import (
    LoginRequestSerializer,
    LoginResponseSerializer,
    RefreshRequestSerializer,
    SignupRequestSerializer,
    TokenPairSerializer,
    UserSerializer,
)

TAG = "auth"


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _api_error(error: accounts.AuthError) -> exceptions.APIException:
    if error.status == status.HTTP_400_BAD_REQUEST:
        return exceptions.ValidationError(error.fields or {"non_field_errors": [error.message]})
    if error.status == status.HTTP_409_CONFLICT:
        return Conflict(error.message, error.fields)
    return exceptions.AuthenticationFailed(error.message, code=error.code)


class _AuthView(APIView):
    """Credentials travel in the body (or the refresh cookie), never through DRF's authenticators."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'  # so credential errors answer 401, not 403


# --- Views ----------------------------------------------------------------------------------------


class SignupView(_AuthView):
    throttle_scope = "signup"

    @extend_schema(
        tags=[TAG],
        summary="Create an account",
        description="Does not log in: call /login/ next. Malformed values and weak passwords answer 400, a "
        "username or email already in use (ignoring case) 409, with messages per field.",
        request=SignupRequestSerializer,
        responses={201: UserSerializer, 409: error_response("The username or email is already in use (see error.fields).")},
        auth=[],
    )
    def post(self, request):
        data = _validated(SignupRequestSerializer, request.data)
        try:
            user = accounts.signup(data["username"], data["email"], data["password"])
        except accounts.AuthError as error:
            raise _api_error(error) from error
        return Response(user.to_dict(), status=status.HTTP_201_CREATED)


class LoginView(_AuthView):
    throttle_scope = "login"

    @extend_schema(
        tags=[TAG],
        summary="Log in",
        description="Returns a JWT pair for API clients, and for browsers sets HttpOnly SameSite=Lax cookies "
        "with the same tokens and starts a Django session (server-rendered pages, browsable API, WebSockets).",
        request=LoginRequestSerializer,
        responses={200: LoginResponseSerializer, 401: error_response("Wrong username or password.")},
        auth=[],
    )
    def post(self, request):
        data = _validated(LoginRequestSerializer, request.data)
        try:
            user, pair = accounts.login(request, data["username"], data["password"])
        except accounts.AuthError as error:
            raise _api_error(error) from error
        response = Response({**pair.to_dict(), "user": user.to_dict()})
        accounts.set_auth_cookies(response, pair)
        return response


class RefreshView(_AuthView):
    @extend_schema(
        tags=[TAG],
        summary="Rotate the refresh token",
        description="Spends the refresh token (from the body, or else the refresh cookie, which needs the "
        "X-CSRFToken header) and returns a new pair. A spent token is refused, and reusing one signs the "
        "user out everywhere.",
        request=RefreshRequestSerializer,
        responses={
            200: TokenPairSerializer,
            401: error_response(
                "No refresh token (neither in the body nor in the cookie), or it is invalid, expired, already used, "
                "or its user is gone."
            ),
            403: error_response("CSRF check failed (refresh cookie without the X-CSRFToken header)."),
        },
        auth=[],
    )
    def post(self, request):
        data = _validated(RefreshRequestSerializer, request.data)
        raw = data.get("refresh")
        from_cookie = raw is None
        if from_cookie:
            raw = accounts.refresh_cookie(request)
            if raw is None:
                raise exceptions.NotAuthenticated("No refresh token: send it in the body or in the refresh cookie.")
            accounts.enforce_csrf(request)
        try:
            pair = accounts.refresh(raw)
        except accounts.AuthError as error:
            response = self.handle_exception(_api_error(error))
            if from_cookie:
                accounts.clear_auth_cookies(response)
            return response
        response = Response(pair.to_dict())
        if from_cookie:
            accounts.set_auth_cookies(response, pair)
        return response


class LogoutView(_AuthView):
    @extend_schema(
        tags=[TAG],
        summary="Log out",
        description="Blacklists the refresh token (from the body, or the refresh cookie), ends the Django "
        "session and clears the auth cookies. Cookie-based logout needs the X-CSRFToken header. An invalid "
        "token in the body answers 401 and changes nothing. Access tokens stay valid until they expire "
        "(minutes).",
        request=RefreshRequestSerializer,
        responses={
            204: OpenApiResponse(description="Logged out."),
            401: error_response("The refresh token in the body is invalid, expired or already revoked."),
            403: error_response("CSRF check failed (cookie or session logout without the X-CSRFToken header)."),
        },
        auth=[],
    )
    def post(self, request):
        data = _validated(RefreshRequestSerializer, request.data)
        raw = data.get("refresh")
        if raw is not None:
            try:
                accounts.revoke_refresh(raw)
            except accounts.AuthError as error:
                raise _api_error(error) from error
        else:
            cookie = accounts.refresh_cookie(request)
            if cookie is not None or accounts.has_browser_session(request):
                accounts.enforce_csrf(request)
            if cookie is not None:
                try:
                    accounts.revoke_refresh(cookie)
                except accounts.AuthError:
                    pass  # an expired or already spent cookie: the browser is logging out anyway
        accounts.end_browser_session(request)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        accounts.clear_auth_cookies(response)
        return response


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=[TAG], summary="Who am I", responses={200: UserSerializer})
    def get(self, request):
        return Response(accounts.user_info(request.user).to_dict())
