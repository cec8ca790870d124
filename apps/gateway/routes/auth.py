"""/api/v1/auth/ endpoints."""

from django.urls import path

from apps.gateway.views import auth

urlpatterns = [
    path("signup/", auth.SignupView.as_view(), name="auth-signup"),
    path("login/", auth.LoginView.as_view(), name="auth-login"),
    path("refresh/", auth.RefreshView.as_view(), name="auth-refresh"),
    path("logout/", auth.LogoutView.as_view(), name="auth-logout"),
    path("me/", auth.MeView.as_view(), name="auth-me"),
]
