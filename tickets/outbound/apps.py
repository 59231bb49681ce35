"""App config for outgoing email: the outbox, the email settings and their page."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboundConfig(AppConfig):
    name = "tickets.outbound"
    label = "outbound"  # kept: table names, migrations, permissions
    verbose_name = _("Outgoing email")
