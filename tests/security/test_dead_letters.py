"""Dead letters keep a failed step's payload (without its text) and exception, so only staff see them (in the admin)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/storage/deadletter/"


def client_for(**flags) -> Client:
    user = get_user_model().objects.create_user(username=f"u{len(flags)}{sorted(flags)}", password="x", **flags)
    client = Client()
    client.force_login(user)
    return client


def test_only_staff_reach_the_dead_letters():
    assert Client().get(CHANGELIST).status_code == 302  # anonymous: to the admin login
    refused = client_for().get(CHANGELIST)
    assert refused.status_code == 302 and "/admin/login/" in refused["Location"]
    assert client_for(is_staff=True, is_superuser=True).get(CHANGELIST).status_code == 200
