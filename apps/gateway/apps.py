from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "apps.gateway"
    label = "gateway"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Storage replays a failed job; the gateway, which composes the chain, sends it.
        from apps.accounts import api as accounts_api
        from apps.gateway import jobs, privacy
        from apps.storage import api as storage_api

        storage_api.set_chain_launcher(jobs.launch_chain)
        # Accounts (which imports no other app) counts and deletes the person's data elsewhere through these:
        # the admin's user page, and account deletion from the person's page or the admin.
        accounts_api.set_user_data_hooks(count=storage_api.stored_counts, delete=privacy.delete_user_data)
