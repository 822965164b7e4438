"""What a retrain or an activation came to: one type, one wording, presented by the admin, the Model pages and the API.

``retrain.retrain_request`` and ``registry.activation_request`` are what a person's click or API call runs: they
never raise for what the person cannot help (a busy or unreachable queue, a version that cannot be served), they
answer with an ``Outcome``.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib import messages

from recommender.models import ModelVersion


class OutcomeStatus(StrEnum):
    QUEUED = "queued"  # a retrain task is on its way to the worker
    ACTIVATED = "activated"  # the version is the one the site serves
    READY = "ready"  # trained and kept, not asked to activate
    REJECTED = "rejected"  # trained, refused by the promotion gate (the message says why)
    SKIPPED = "skipped"  # the ratings have not changed since the active version
    BUSY = "busy"  # a retrain is already running or queued
    UNAVAILABLE = "unavailable"  # the task broker (Redis) does not answer
    REFUSED = "refused"  # the version cannot be activated (its state or its artifact)


# How a page shows each outcome among Django's messages.
MESSAGE_LEVELS = {
    OutcomeStatus.QUEUED: messages.SUCCESS,
    OutcomeStatus.ACTIVATED: messages.SUCCESS,
    OutcomeStatus.READY: messages.INFO,
    OutcomeStatus.SKIPPED: messages.INFO,
    OutcomeStatus.BUSY: messages.WARNING,
    OutcomeStatus.REJECTED: messages.ERROR,
    OutcomeStatus.UNAVAILABLE: messages.ERROR,
    OutcomeStatus.REFUSED: messages.ERROR,
}


@dataclass(frozen=True)
class Outcome:
    status: OutcomeStatus
    message: str = ""
    version: ModelVersion | None = None
    task_id: str | None = None
    pruned: tuple[int, ...] = ()

    @property
    def message_level(self) -> int:
        return MESSAGE_LEVELS[self.status]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the retrain task's result."""
        version = self.version
        return {
            "status": str(self.status),
            "version": version.pk if version else None,
            "version_status": version.status if version else None,
            "metrics": version.metrics if version else {},
            "message": self.message,
            "pruned": list(self.pruned),
        }
