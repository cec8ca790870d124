"""/api/v1/ playlist and job endpoints."""

from django.urls import path

from apps.gateway.views import jobs

urlpatterns = [
    path("playlists/", jobs.PlaylistListCreateView.as_view(), name="playlist-list"),
    path("playlists/<uuid:job_id>/", jobs.PlaylistDetailView.as_view(), name="playlist-detail"),
    path("playlists/<uuid:job_id>/reroute/", jobs.RerouteView.as_view(), name="playlist-reroute"),
    path("jobs/<uuid:job_id>/", jobs.JobDetailView.as_view(), name="job-detail"),
]
