"""Users in Django's admin (/admin/, staff only: Django's admin site refuses non-staff logins)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html_join

from apps.accounts import api
from apps.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "date_joined")
    search_fields = ("username", "email")
    ordering = ("-date_joined",)
    readonly_fields = ("date_joined", "last_login", "stored_data")
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Stored data (what the account page shows the person)", {"fields": ("stored_data",)}))

    @admin.display(description="Stored about this person")
    def stored_data(self, user: User) -> str:
        counts = api.stored_data_counts(user.pk) if user.pk else {}
        if not counts:
            return "–"
        return format_html_join(", ", "{}: {}", ((name.replace("_", " "), count) for name, count in counts.items()))

    def delete_model(self, request, obj: User) -> None:
        # Complete, as when the person deletes it: their data in other apps, tokens and sessions go too.
        api.delete_account(obj)

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            api.delete_account(user)
