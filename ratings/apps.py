"""App configuration for the catalogue and ratings."""

from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = "Catalogue and ratings"
