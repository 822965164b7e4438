"""App configuration for the model insights section."""

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Model insights"
