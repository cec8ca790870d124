from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The project's user. Owned by accounts; others refer to it by settings.AUTH_USER_MODEL."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
