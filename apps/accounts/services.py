"""Writes of the accounts app: sign up, sign in (tokens + Django session), sign out, delete the account."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import auth
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from apps.accounts import selectors, tokens

USERNAME_MAX = 150
EMAIL_MAX = 254
# Hashing cost grows with length; NIST asks for at least 64 characters to be accepted.
PASSWORD_MAX = 256


class SignupRejected(Exception):
    """``conflict``: every value is well formed but the username or email is taken."""

    def __init__(self, fields: dict[str, list[str]], conflict: bool = False):
        super().__init__("Sign-up rejected.")
        self.fields = fields
        self.conflict = conflict


class CredentialsRejected(Exception):
    pass


def register(username: str, email: str, password: str):
    """Create an active user; raises SignupRejected with per-field messages and writes nothing."""
    user_model = get_user_model()
    username = user_model.normalize_username(username) if isinstance(username, str) else ""
    email = user_model.objects.normalize_email(email).strip() if isinstance(email, str) else ""
    invalid = _field_errors(username, email, password)
    # Only well-formed values reach the database (PostgreSQL refuses NUL bytes in queries).
    duplicates = _duplicate_errors("" if "username" in invalid else username, "" if "email" in invalid else email)
    if invalid or duplicates:
        raise SignupRejected({**invalid, **duplicates}, conflict=not invalid)
    try:
        with transaction.atomic():
            return user_model.objects.create_user(username=username, email=email, password=password)
    except IntegrityError as error:  # a concurrent sign-up won the unique constraint
        raise SignupRejected(_duplicate_errors(username, email) or {"username": ["Already taken."]}, conflict=True) from error


def _field_errors(username: str, email: str, password: str) -> dict[str, list[str]]:
    """What is malformed or too weak, per field (whether a value is taken is checked apart)."""
    user_model = get_user_model()
    errors: dict[str, list[str]] = {}
    username_field = user_model._meta.get_field("username")
    try:
        username_field.run_validators(username)
        if not username:
            raise ValidationError("This field may not be blank.")
    except ValidationError as error:
        errors["username"] = list(error.messages)
    try:
        if not email:
            raise ValidationError("This field may not be blank.")
        if len(email) > EMAIL_MAX:
            raise ValidationError(f"Ensure this field has no more than {EMAIL_MAX} characters.")
        validate_email(email)
    except ValidationError as error:
        errors["email"] = list(error.messages)
    try:
        if not isinstance(password, str) or "\x00" in password:
            raise ValidationError("Null characters are not allowed.")
        if len(password) > PASSWORD_MAX:
            raise ValidationError(f"Ensure this field has no more than {PASSWORD_MAX} characters.")
        candidate = user_model(username=username, email=email)
        password_validation.validate_password(password, user=candidate)
    except ValidationError as error:
        errors["password"] = list(error.messages)
    return errors


def _duplicate_errors(username: str, email: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if username and selectors.username_taken(username):
        errors["username"] = ["A user with that username already exists."]
    if email and selectors.email_taken(email):
        errors["email"] = ["A user with that email already exists."]
    return errors


def authenticate(request, username: str, password: str):
    """The active user with these credentials; raises CredentialsRejected (one message for every cause)."""
    if not _plain_text(username, USERNAME_MAX) or not _plain_text(password, PASSWORD_MAX):
        raise CredentialsRejected("No active account found with the given credentials.")
    canonical = selectors.canonical_username(username) or username
    user = auth.authenticate(request, username=canonical, password=password)
    if user is None or not user.is_active:
        raise CredentialsRejected("No active account found with the given credentials.")
    return user


def _plain_text(value, max_length: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_length and "\x00" not in value


def start_browser_session(request, user) -> None:
    """Log ``user`` into a Django session that lasts as long as a refresh token."""
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.set_expiry(int(jwt_settings.REFRESH_TOKEN_LIFETIME.total_seconds()))


def end_browser_session(request) -> None:
    auth.logout(request)


def login(request, username: str, password: str) -> tuple:
    user = authenticate(request, username, password)
    pair = tokens.issue_pair(user)
    start_browser_session(request, user)
    return user, pair


def confirm_password(user, password: object) -> None:
    """Raises CredentialsRejected unless ``password`` is the user's (asked before deleting the account)."""
    if not _plain_text(password, PASSWORD_MAX) or not user.check_password(password):
        raise CredentialsRejected("Wrong password.")


def delete_account(user, delete_other_data: Callable[[int], object]) -> None:
    """Remove what other apps hold about the user, their refresh tokens and sessions, and the user, in one transaction."""
    with transaction.atomic():
        delete_other_data(user.pk)
        tokens.end_all_sessions(user, include_expired=True)
        tokens.forget_all_for_user(user)
        user.delete()
