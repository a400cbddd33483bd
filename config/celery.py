"""The Celery application. Its configuration is the CELERY_* part of config.settings."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kanalvakt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _announce_worker(sender: Any = None, **kwargs: Any) -> None:
    # The health page shows the worker as soon as it is up, not only after beat's first minute.
    app.send_task("core.tasks.heartbeat")
