"""App config for the health of the running system: heartbeats of the background processes and
``/healthz``."""

from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "slaproject.health"
    label = "health"  # kept: table names, migrations, permissions
    verbose_name = "Health"
