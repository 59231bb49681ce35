"""The Celery application, ``slaproject.celery.app``, and ``task_queue`` to queue a task by name.

Configured from Django settings (``CELERY_*`` names); tasks are discovered in each app's
``tasks.py``. The broker is Redis when ``CELERY_BROKER_URL``/``REDIS_URL`` is set, else kombu's
``filesystem://`` transport in a local folder (see ``slaproject/settings.py``).
"""

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slaproject.settings")

app = Celery("slaproject")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_queue(name: str, *args: Any) -> None:
    """Queue the task named ``name`` with ``args`` (ids: JSON), now; raises when the broker is down.

    By name, so that a service queues the task that calls it without importing the task's
    module (a task module imports its service: the other way round would be a circle). The
    task's own ``delay`` sends it (so ``CELERY_TASK_ALWAYS_EAGER`` and tests that stand in for
    ``delay`` see it): the apps' ``tasks`` modules are discovered on the first call, as a worker
    discovers them when it starts. Only the ``tasks`` modules are imported: the loader's
    ``import_default_modules`` would also run Celery's Django fix-up, whose ``django.setup()``
    configures logging again in the web process (dropping any handler added since, such as a
    test's log capture).
    """
    task = app.tasks.get(name)
    if task is None:
        app.autodiscover_tasks(force=True)  # every installed app's tasks module, imported now
        task = app.tasks[name]
    task.delay(*args)
