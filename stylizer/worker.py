"""Each Celery worker child builds and warms up its engine right after the fork.

Connected by :class:`stylizer.apps.StylizerConfig`; only worker children
send ``worker_process_init``, so web processes never load a network.
"""

from __future__ import annotations

import logging
from pathlib import Path

from celery.signals import worker_process_init
from django.conf import settings

from .engines import EngineUnavailable
from .runtime import get_engine, warm_up

logger = logging.getLogger(__name__)


@worker_process_init.connect
def _load_engine_in_child(**_: object) -> None:
    """Build the engine in each worker child right after the fork, not per task, and warm it up."""
    try:
        engine = get_engine()
    except EngineUnavailable:
        logger.exception("The stylization engine could not be loaded; tasks will fail until it is provided.")
        _say_ready()
        return
    if settings.STYLIZER_WARMUP_SIDE > 0:
        seconds = warm_up(engine, settings.STYLIZER_WARMUP_SIDE)
        logger.info("Engine %s warmed up at %d px in %.2f s", engine.name, settings.STYLIZER_WARMUP_SIDE, seconds)
    _say_ready()


def _say_ready() -> None:
    """Touch ``settings.STYLIZER_READY_FILE`` (if set): this child takes jobs now."""
    if settings.STYLIZER_READY_FILE:
        Path(settings.STYLIZER_READY_FILE).touch()
