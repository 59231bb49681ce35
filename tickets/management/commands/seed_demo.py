"""Seed a demo help desk: a super admin, agents, teams and SLA settings (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from settings_app.demo import demo_seed
from slaproject.commands import TranslatedCommand
from tickets.demo import demo_tickets_seed


class Command(TranslatedCommand):
    help = gettext_noop(
        "Create demo users, teams, SLA settings and tickets, then print the sign-in details."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--tickets", type=int, default=200, help=gettext_lazy("demo tickets to create")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_seed()
        created = demo_tickets_seed(count=options["tickets"], now=timezone.now())
        User = get_user_model()
        self.stdout.write(self.style.SUCCESS(_("Demo data ready.")))
        roles = [
            (username, password, User.objects.get(username=username).is_superuser)
            for username, password in result.credentials
        ]
        width = max((len(self._role(admin)) for _u, _p, admin in roles), default=0)
        for username, password, admin in roles:
            self.stdout.write(
                "  "
                + self._role(admin).ljust(width)
                + "  "
                + _("user: %(username)s  password: %(password)s")
                % {"username": username.ljust(8), "password": password}
            )
        if created:
            self.stdout.write(
                "  "
                + ngettext(
                    "%(count)s demo ticket created.", "%(count)s demo tickets created.", created
                )
                % {"count": created}
            )

    @staticmethod
    def _role(is_superuser: bool) -> str:
        return _("super admin") if is_superuser else _("agent")
