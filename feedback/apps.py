"""App configuration for the feedback events (lists shown and what followed them)."""

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback events"
