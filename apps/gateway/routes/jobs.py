"""/api/v1/ playlist, job and account-data endpoints."""

from django.urls import path

from apps.gateway.views import account, jobs

urlpatterns = [
    path("account/", account.AccountView.as_view(), name="account"),
    path("account/export/", account.AccountExportView.as_view(), name="account-export"),
    path("account/playlists/", account.HistoryView.as_view(), name="account-playlists"),
    path("account/delete/", account.AccountDeleteView.as_view(), name="account-delete"),
    path("playlists/", jobs.PlaylistListCreateView.as_view(), name="playlist-list"),
    path("playlists/<uuid:job_id>/", jobs.PlaylistDetailView.as_view(), name="playlist-detail"),
    path("jobs/<uuid:job_id>/", jobs.JobDetailView.as_view(), name="job-detail"),
]
