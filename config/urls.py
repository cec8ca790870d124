from django.contrib import admin
from django.urls import include, path

from apps.accounts import api as accounts

urlpatterns = [
    # The admin's login form shares the API login's throttle (one budget per client for every login door).
    path("admin/login/", accounts.throttled("login")(admin.site.login)),
    path("admin/", admin.site.urls),
    path("", include("apps.gateway.urls")),
]

handler404 = "apps.gateway.views.pages.not_found"
