"""App config for tickets and their SLA clocks.

When Django starts, the tickets app registers what the settings declare they need of tickets
(``settings_app.ticket_side``); the API's token lookup is registered by ``tickets.api_auth``.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from settings_app.ticket_side import ticket_side_register
        from tickets.ticket_side import TicketSide

        ticket_side_register(TicketSide())
        # Every page reads hundreds of moments: PostgreSQL's timestamps read in C.
        from slaproject.pg_timestamps import fast_timestamps_register

        fast_timestamps_register()
