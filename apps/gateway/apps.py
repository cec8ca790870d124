from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "apps.gateway"
    label = "gateway"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Storage replays a failed job; the gateway, which composes the chain, sends it.
        from apps.accounts import api as accounts_api
        from apps.gateway import jobs
        from apps.storage import api as storage_api

        storage_api.set_chain_launcher(jobs.launch_chain)
        # The admin's user page shows what storage holds about the person (accounts imports no other app).
        accounts_api.set_stored_data_counter(storage_api.stored_counts)
