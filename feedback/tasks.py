"""Celery task of the feedback events: the daily retention, a thin wrapper over its service."""

from dataclasses import asdict
from typing import Any

from celery import shared_task

from feedback.services import events_expire as events_expire_service

EXPIRE_TASK = "feedback.tasks.events_expire"


@shared_task(name=EXPIRE_TASK)
def events_expire() -> dict[str, Any]:
    """Delete the events older than FEEDBACK_RETENTION_DAYS (feedback.services.events_expire)."""
    expired = events_expire_service()
    return {**asdict(expired), "before": expired.before.isoformat()}
