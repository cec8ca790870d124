"""Gateway URLs. Each area keeps its own route module under apps/gateway/routes/."""

from django.urls import include, path, re_path

from apps.gateway.views import health, pages

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("api/v1/auth/", include("apps.gateway.routes.auth")),
    path("api/v1/", include("apps.gateway.routes.jobs")),
    path("api/", include("apps.gateway.routes.schema")),
    re_path(r"^api/", pages.api_not_found, name="api-not-found"),  # a prefix: any path, newlines included
    path("", include("apps.gateway.routes.pages")),
]
