"""Create an API token for a user and print the key alone on the last line (the only time it
is shown: the database keeps its SHA-256 and first characters)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from slaproject.commands import TranslatedCommand
from tickets.api_auth.models import ApiToken


class Command(TranslatedCommand):
    help = gettext_noop(
        "Create an API token for USERNAME (an agent or super admin); prints the key last."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help=gettext_lazy("what the token is for"))

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(_("No user “%(username)s”.") % {"username": options["username"]})
        if not user.is_active or not (user.is_staff or user.is_superuser):
            raise CommandError(
                _("“%(username)s” is not an active agent; the API would refuse the token.")
                % {"username": user.username}
            )
        key = ApiToken.generate_key()
        token = ApiToken(user=user, name=options["name"])
        token.set_key(key)  # only its hash and first characters are stored
        token.save(force_insert=True)
        self.stderr.write(
            _(
                "Token for %(username)s (only its hash is kept: copy the key now; "
                "revoke it in the admin):"
            )
            % {"username": user.username}
        )
        self.stdout.write(key)
