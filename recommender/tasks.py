"""Celery tasks of the recommender: thin wrappers over its services."""

from typing import Any

from celery import shared_task

from recommender.services.retrain import RETRAIN_TASK, model_retrain


# Late acknowledgement: a worker that dies mid-training leaves the task in the queue for another worker (the
# registry marks the orphaned version failed). The soft and hard time limits are CELERY_TASK_*_TIME_LIMIT.
@shared_task(name=RETRAIN_TASK, acks_late=True, reject_on_worker_lost=True)
def retrain(
    force: bool = False, algorithm: str | None = None, hyperparameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Train a version from the database's ratings, promote it and prune old ones (retrain.model_retrain)."""
    return model_retrain(force=force, algorithm=algorithm, hyperparameters=hyperparameters).as_dict()
