"""/api/v1/ playlist, job, outcome and account-data endpoints."""

from django.urls import path

from apps.gateway.views import account, exports, jobs, outcomes

urlpatterns = [
    path("account/", account.AccountView.as_view(), name="account"),
    path("account/export/", account.AccountExportView.as_view(), name="account-export"),
    path("account/playlists/", account.HistoryView.as_view(), name="account-playlists"),
    path("account/delete/", account.AccountDeleteView.as_view(), name="account-delete"),
    path("playlists/", jobs.PlaylistListCreateView.as_view(), name="playlist-list"),
    path("playlists/<uuid:job_id>/", jobs.PlaylistDetailView.as_view(), name="playlist-detail"),
    path("playlists/<uuid:job_id>/reroute/", jobs.RerouteView.as_view(), name="playlist-reroute"),
    path("playlists/<uuid:job_id>/playlist.m3u", exports.PlaylistM3UView.as_view(), name="playlist-m3u"),
    path("playlists/<uuid:job_id>/playlist.xspf", exports.PlaylistXSPFView.as_view(), name="playlist-xspf"),
    path("playlists/<uuid:job_id>/outcome/", outcomes.PlaylistOutcomeView.as_view(), name="playlist-outcome"),
    path("outcomes/", outcomes.OutcomeListView.as_view(), name="outcome-list"),
    path("outcomes/summary/", outcomes.OutcomeSummaryView.as_view(), name="outcome-summary"),
    path("jobs/<uuid:job_id>/", jobs.JobDetailView.as_view(), name="job-detail"),
]
