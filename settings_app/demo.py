"""Demo data for the run command: users, teams and SLA settings (safe to run again)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from settings_app.models import SlaSettingsChange, Team
from settings_app.selectors import sla_settings_get
from settings_app.services import sla_settings_save

DEMO_PASSWORD = "demo-password-123"
DEMO_USERS = (
    # username, first name, is_superuser, teams
    ("admin", "Alex", True, ("billing", "it")),
    ("agent", "Sam", False, ("billing",)),
    ("lee", "Lee", False, ("it",)),
)
DEMO_TEAMS = (("billing", "Billing"), ("it", "IT"))
DEMO_SETTINGS = {
    "applies": "working_hours",
    "timezone": "Europe/Stockholm",
    "working_hours": {
        "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
        "tue": [["09:00", "17:00"]],
        "wed": [["09:00", "17:00"]],
        "thu": [["09:00", "17:00"]],
        "fri": [["09:00", "17:00"]],
    },
    "holidays": [
        {"date": "2026-12-24", "name": "Christmas Eve", "recurring": True},
        {"date": "2026-12-25", "name": "Christmas Day", "recurring": True},
        {"date": "2027-01-01", "name": "New Year's Day", "recurring": True},
    ],
    "pause_statuses": ["support/waiting-on-customer"],
    "goals_enabled": True,
    "scope": "property",
    "property": "priority",
    "goals": [
        {
            "value": "urgent",
            "enabled": True,
            "first_response_minutes": 15,
            "first_response_due_soon_minutes": 5,
            "next_response_minutes": 60,
            "next_response_due_soon_minutes": 10,
            "close_minutes": 240,
            "close_due_soon_minutes": 60,
        },
        {
            "value": "high",
            "enabled": True,
            "first_response_minutes": 60,
            "first_response_due_soon_minutes": 15,
            "next_response_minutes": 240,
            "next_response_due_soon_minutes": 30,
            "close_minutes": 1440,
            "close_due_soon_minutes": 240,
        },
        {
            "value": "medium",
            "enabled": True,
            "first_response_minutes": 240,
            "first_response_due_soon_minutes": 30,
            "next_response_minutes": 480,
            "next_response_due_soon_minutes": 60,
            "close_minutes": 4320,
            "close_due_soon_minutes": 480,
        },
        {
            "value": "low",
            "enabled": False,
            "first_response_minutes": None,
            "first_response_due_soon_minutes": None,
            "next_response_minutes": None,
            "next_response_due_soon_minutes": None,
            "close_minutes": None,
            "close_due_soon_minutes": None,
        },
    ],
}


@dataclass
class DemoResult:
    credentials: list[tuple[str, str]] = field(default_factory=list)


def demo_seed() -> DemoResult:
    """Create what is missing of the demo; existing users keep their passwords."""
    result = DemoResult()
    User = get_user_model()
    with transaction.atomic():
        teams = {}
        for slug, name in DEMO_TEAMS:
            teams[slug], _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})
        for username, first_name, is_superuser, team_slugs in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "email": f"{username}@helpdesk.example",
                    "is_staff": True,
                    "is_superuser": is_superuser,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                for slug in team_slugs:
                    teams[slug].members.add(user)
            result.credentials.append((username, DEMO_PASSWORD if created else "(unchanged)"))
        if sla_settings_get().version == 1:  # never configured: give the demo real goals
            sla_settings_save(
                document=DEMO_SETTINGS,
                actor=None,
                via=SlaSettingsChange.Via.COMMAND,
            )
    return result
