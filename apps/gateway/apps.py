from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "apps.gateway"
    label = "gateway"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Storage replays a failed job; the gateway, which composes the chain, sends it.
        from apps.gateway import jobs
        from apps.storage import api as storage_api

        storage_api.set_chain_launcher(jobs.launch_chain)
