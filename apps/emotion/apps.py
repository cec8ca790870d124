from django.apps import AppConfig


class EmotionConfig(AppConfig):
    name = "apps.emotion"
    label = "emotion"
    default_auto_field = "django.db.models.BigAutoField"
