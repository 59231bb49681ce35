"""App config for inbound email: mail that opens and continues tickets."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboundConfig(AppConfig):
    name = "tickets.inbound"
    label = "inbound"  # kept: table names, migrations, permissions
    verbose_name = _("Inbound email")
