from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "apps.storage"
    label = "storage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.pipeline import set_step_gate
        from apps.storage import checks, services, signals

        checks.check_job_deadline()
        # Storage owns the job: every chain step asks it whether its attempt may enter the stage.
        set_step_gate(services.admit_step)
        signals.connect()
