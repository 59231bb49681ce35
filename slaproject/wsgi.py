"""WSGI entry point (gunicorn slaproject.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slaproject.settings")

application = get_wsgi_application()
