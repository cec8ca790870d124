"""A person's data across the apps: what is stored, the export, deleting history and the account (docs/privacy.md).

The gateway composes them because they span accounts and storage (which never import each other).
Account deletion is accounts' (one transaction; the admin's delete uses it too), which calls back
``delete_user_data`` for the storage rows; only after the commit are the person's open sockets told
to close (the per-user Channels group every job socket joins).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.accounts import api as accounts_api
from apps.core.events import publish
from apps.storage import api as storage_api

EXPORT_FORMAT = "spg-export/1"
# Socket events to the per-user group (handled by consumers.JobConsumer).
HISTORY_DELETED = "history.deleted"
ACCOUNT_DELETED = "account.deleted"
# Said on the account page, in the API and in the export: what deleting does not remove.
KEPT_AFTER_DELETION = (
    "Anonymous counts in the service's metrics (for example how many playlists were made) stay; they hold no "
    "text and no account. Log lines already written keep your numeric user id and playlist ids (never your "
    "text) until the operator's log retention removes them, and database backups taken before you deleted keep "
    "their copy until they expire."
)


def user_group(user_id: object) -> str:
    """The Channels group of every job socket a user has open."""
    return f"user.{user_id}"


def _close_sockets_after_commit(user_id: object, event_type: str) -> None:
    group = user_group(user_id)
    transaction.on_commit(lambda: publish(group, {"type": event_type}))


def stored_data(user) -> dict:
    """What is stored about the user: the account, counts of the rest, and the retention in force."""
    return {
        "account": accounts_api.account_export(user),
        "counts": storage_api.stored_counts(user.pk),
        "retention_days": storage_api.retention_days(),
        "kept_after_deletion": KEPT_AFTER_DELETION,
    }


def export(user) -> dict:
    """Everything the system holds about the user, as one JSON document."""
    data = storage_api.export_user_data(user.pk)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "account": accounts_api.account_export(user),
        "retention_days": storage_api.retention_days(),
        "playlists": data["playlists"],
        "failure_records": data["failure_records"],
        "kept_after_deletion": KEPT_AFTER_DELETION,
    }


def delete_history(user_id: object) -> dict[str, int]:
    """Delete every playlist of the user (and the failure records of them); their open job sockets close."""
    with transaction.atomic():
        deleted = storage_api.delete_user_data(user_id)
        _close_sockets_after_commit(user_id, HISTORY_DELETED)
    return deleted


def delete_user_data(user_id: object) -> None:
    """Accounts' deleter (wired in GatewayConfig.ready), run inside the account deletion's transaction: the
    storage rows go, and once it commits every job socket of the person closes (4401)."""
    storage_api.delete_user_data(user_id)
    _close_sockets_after_commit(user_id, ACCOUNT_DELETED)


def delete_account(user, password: object) -> None:
    """Check the password, then delete everything of the user at once (accounts calls ``delete_user_data``);
    raises accounts' AuthError (400) and deletes nothing when the password is wrong."""
    accounts_api.confirm_password(user, password)
    accounts_api.delete_account(user)
