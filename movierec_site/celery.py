"""The Celery application: Redis broker, configuration read from Django settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movierec_site.settings.base")

app = Celery("movierec_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
