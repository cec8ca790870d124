"""The web app's pages, mounted at the site root."""

from django.urls import path

from apps.gateway.views import look_back, pages

app_name = "pages"

urlpatterns = [
    path("", pages.home, name="home"),
    path("signup/", pages.signup, name="signup"),
    path("login/", pages.login, name="login"),
    path("logout/", pages.logout, name="logout"),
    path("history/", pages.history, name="history"),
    path("look-back/", look_back.look_back, name="look-back"),
    path("results/<uuid:job_id>/", pages.result, name="result"),
    path("account/", pages.account, name="account"),
    path("account/deleted/", pages.account_deleted, name="account-deleted"),
]
