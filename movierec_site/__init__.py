"""MovieRec: a Django site that recommends movies from a fastai collaborative-filtering model."""

from .celery import app as celery_app

__all__ = ("celery_app",)
