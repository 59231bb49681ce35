"""App config for the SLA settings and reference data."""

from django.apps import AppConfig


class SettingsAppConfig(AppConfig):
    name = "settings_app"
    verbose_name = "Help desk settings"
