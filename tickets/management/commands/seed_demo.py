"""Seed a demo help desk: a super admin, agents, teams and SLA settings (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from settings_app.demo import demo_seed
from tickets.demo import demo_tickets_seed


class Command(BaseCommand):
    help = "Create demo users, teams, SLA settings and tickets, then print the sign-in details."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tickets", type=int, default=200, help="demo tickets to create")

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_seed()
        created = demo_tickets_seed(count=options["tickets"], now=timezone.now())
        User = get_user_model()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        for username, password in result.credentials:
            user = User.objects.get(username=username)
            role = "super admin" if user.is_superuser else "agent"
            self.stdout.write(f"  {role:<11}  user: {username:<8}  password: {password}")
        if created:
            self.stdout.write(f"  {created} demo tickets created.")
