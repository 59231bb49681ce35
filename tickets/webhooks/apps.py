"""App config for webhooks: endpoints told of tickets' SLA events, and their delivery log."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "tickets.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")
