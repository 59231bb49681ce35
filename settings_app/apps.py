"""App config for the SLA settings and reference data."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettingsAppConfig(AppConfig):
    name = "settings_app"
    verbose_name = _("Help desk settings")
