"""The Celery application, ``slaproject.celery.app``.

Configured from Django settings (``CELERY_*`` names); tasks are discovered in each app's
``tasks.py``. The broker is Redis when ``CELERY_BROKER_URL``/``REDIS_URL`` is set, else kombu's
``filesystem://`` transport in a local folder (see ``slaproject/settings.py``).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slaproject.settings")

app = Celery("slaproject")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
