"""Site accounts: sign up; log in, log out and passwords are django.contrib.auth's views with our templates."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
