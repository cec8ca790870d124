"""Reads of the accounts app."""

from __future__ import annotations

from django.contrib.auth import get_user_model


def username_taken(username: str) -> bool:
    return get_user_model().objects.filter(username__iexact=username).exists()


def email_taken(email: str) -> bool:
    return get_user_model().objects.filter(email__iexact=email).exists()


def canonical_username(username: str) -> str | None:
    """The stored spelling of a username matched case-insensitively (usernames are unique that way)."""
    return get_user_model().objects.filter(username__iexact=username).values_list("username", flat=True).first()
