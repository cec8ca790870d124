from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("django_prometheus.urls")),  # /metrics
    path("", include("apps.gateway.urls")),
]

handler404 = "apps.gateway.views.pages.not_found"
