"""The Celery app. Every ``CELERY_*`` setting lives in ``picstylist.settings``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "picstylist.settings")

app = Celery("picstylist")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
