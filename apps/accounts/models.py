from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """The project's user. Owned by accounts; others refer to it by settings.AUTH_USER_MODEL.

    Usernames and (non-blank) emails are unique regardless of case, so "Alice" and "alice"
    cannot be two people; the constraints also close the race between two concurrent sign-ups.
    """

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="accounts_user_email_ci_unique"
            ),
        ]
