"""Sign-up, log-out (with a message), your data and account deletion; the other account addresses come from
django.contrib.auth.urls."""

from django.urls import path

from accounts import data_views, session_views, views

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    # Before django.contrib.auth.urls' own in the root URLconf, so that these, which count attempts, answer.
    path("login/", views.LoginView.as_view(), name="login"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    # Before django.contrib.auth.urls' own logout/ in the root URLconf, so that this one answers.
    path("logout/", session_views.LogoutWithMessageView.as_view(), name="logout"),
    path("data/", data_views.account_data_view, name="account-data"),
    path("delete/", data_views.account_delete_view, name="account-delete"),
]
