from django.apps import AppConfig


class EmotionConfig(AppConfig):
    name = "apps.emotion"
    label = "emotion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Celery worker hooks (model warm-up per pool process); importing them loads no torch.
        from apps.emotion import signals  # noqa: F401
