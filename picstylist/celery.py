"""The Celery app. Every ``CELERY_*`` setting lives in ``picstylist.settings``."""

import os
import warnings

from celery import Celery
from celery.signals import after_setup_logger

from picstylist.log import QuietRoutineTasks

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "picstylist.settings")

if os.environ.get("PICSTYLIST_ROOT_NOTED"):
    # bin/serve has said in one line that it runs as root (a development machine);
    # Celery's own warning would repeat it at length on every start.
    warnings.filterwarnings("ignore", message="You're running the worker with superuser privileges")

app = Celery("picstylist")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
def _quiet_routine_tasks(logger, **_: object) -> None:
    """Celery sets up the worker's and beat's own log handlers (not settings.LOGGING's):
    give them the filter that drops the periodic sweep's routine lines."""
    for handler in logger.handlers:
        handler.addFilter(QuietRoutineTasks())
