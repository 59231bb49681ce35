"""App config for tickets and their SLA clocks.

When Django starts, the tickets app registers what the layers below it declare and need of
tickets: the API token lookup (``slaproject.api``) and the settings' needs of tickets
(``settings_app.ticket_side``).
"""

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from settings_app.ticket_side import ticket_side_register
        from slaproject.api import api_token_lookup_register
        from tickets.api_tokens import api_token_for_key
        from tickets.ticket_side import TicketSide

        api_token_lookup_register(api_token_for_key)
        ticket_side_register(TicketSide())
        # Every page reads hundreds of moments: PostgreSQL's timestamps read in C.
        from slaproject.pg_timestamps import fast_timestamps_register

        fast_timestamps_register()
