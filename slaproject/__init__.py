"""The SLA help-desk project: settings, URL map and the Celery application."""

from slaproject.celery import app as celery_app

__all__ = ("celery_app",)
