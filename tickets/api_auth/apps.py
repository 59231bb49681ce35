"""App config for the API's own records (tokens, idempotency keys).

When Django starts it registers the token lookup that ``slaproject.api`` declares
(``ApiTokenLookup``), so the project's plumbing never imports this app.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiAuthConfig(AppConfig):
    name = "tickets.api_auth"
    # Moved out of ``tickets`` (issue 20): the tables keep their names (``tickets_apitoken``,
    # ``tickets_idempotencykey``); the content types and permissions were relabelled.
    label = "apiauth"
    verbose_name = _("API access")

    def ready(self) -> None:
        from slaproject.api import api_token_lookup_register
        from tickets.api_auth.tokens import api_token_for_key

        api_token_lookup_register(api_token_for_key)
