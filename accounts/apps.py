"""Site accounts: sign up; log in, log out and passwords are django.contrib.auth's views with our templates; the
admin site whose log-in is limited like the site's (accounts/admin_site.py)."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"


class AttemptsLimitedAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin in INSTALLED_APPS, with our site as ``admin.site``:
    https://docs.djangoproject.com/en/5.2/ref/contrib/admin/#overriding-the-default-admin-site"""

    default = False  # "accounts" in INSTALLED_APPS still means AccountsConfig
    default_site = "accounts.admin_site.AttemptsLimitedAdminSite"
