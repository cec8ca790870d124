from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "apps.gateway"
    label = "gateway"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Service tasks report their stage through the kernel's seam; storage records and publishes it.
        from apps.core.pipeline import register_reporter
        from apps.storage import api as storage_api

        def record_stage(job_id: str, stage: str) -> None:
            storage_api.record_stage(job_id, stage)

        register_reporter(record_stage)
