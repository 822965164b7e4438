"""Celery tasks of the feedback events, thin wrappers over their services: the hourly rollup, the daily retention."""

from dataclasses import asdict
from typing import Any

from celery import shared_task

from feedback.rollup import online_days_roll_up as online_days_roll_up_service
from feedback.services import events_expire as events_expire_service

EXPIRE_TASK = "feedback.tasks.events_expire"
ROLL_UP_TASK = "feedback.tasks.online_days_roll_up"


@shared_task(name=EXPIRE_TASK)
def events_expire() -> dict[str, Any]:
    """Delete the events older than FEEDBACK_RETENTION_DAYS (feedback.services.events_expire)."""
    expired = events_expire_service()
    return {**asdict(expired), "before": expired.before.isoformat()}


@shared_task(name=ROLL_UP_TASK)
def online_days_roll_up() -> list[str]:
    """Roll up the days whose follow-ups are in, for the online metrics (feedback.rollup.online_days_roll_up)."""
    return [day.isoformat() for day in online_days_roll_up_service()]
