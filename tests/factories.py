"""factory_boy factories for the help desk's users, reference data and tickets.

Tickets are opened through ``tickets.services.ticket_create`` (never by saving a bare row), so a
factory-made ticket has its first message and SLA clocks exactly as a real one would. ``now``
defaults to ``timezone.now()``, which a frozen clock in the test pins.
"""

from __future__ import annotations

import copy
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from settings_app.models import Pipeline, Source, Stage, Team
from tickets.api_auth.models import ApiToken
from tickets.models import Ticket
from tickets.services import ticket_create

PASSWORD = "correct-horse-battery-staple"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


class UserFactory(factory.django.DjangoModelFactory):
    """A signed-in user who is neither agent nor super admin (use ``AgentFactory`` for agents).

    The password (``PASSWORD``, or the one passed in) is hashed before the row is inserted, so a
    factory user signs in with it through the real sign-in page.
    """

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    # Hashed with the hasher in force when the user is made (the tests' fast one).
    password = factory.Transformer(PASSWORD, transform=make_password)
    is_staff = False
    is_superuser = False


class AgentFactory(UserFactory):
    username = factory.Sequence(lambda n: f"agent{n}")
    is_staff = True


class SuperAdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class ApiTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiToken

    user = factory.SubFactory(AgentFactory)
    key = factory.LazyFunction(ApiToken.generate_key)
    name = "tests"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class PipelineFactory(factory.django.DjangoModelFactory):
    """A pipeline; pass ``stages=[(slug, is_closed), …]`` to give it stages in that order."""

    class Meta:
        model = Pipeline
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Pipeline {n}")
    slug = factory.Sequence(lambda n: f"pipeline-{n}")
    position = factory.Sequence(lambda n: n + 1)

    @factory.post_generation
    def stages(self, create: bool, extracted: list[tuple[str, bool]] | None, **kwargs: Any) -> None:
        for position, (slug, is_closed) in enumerate(extracted or ()):
            Stage.objects.create(
                pipeline=self,
                slug=slug,
                name=slug.replace("-", " ").capitalize(),
                position=position,
                is_closed=is_closed,
            )


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket opened by a customer through ``ticket_create`` at ``now`` (default: now)."""

    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"Printer on fire #{n}")
    body = "It is still burning."
    requester_email = factory.Sequence(lambda n: f"customer{n}@example.com")
    priority = ""
    team = None
    source = Source.EMAIL
    pipeline = None
    owner = None
    now = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class: type[Ticket], *args: Any, **kwargs: Any) -> Ticket:
        return ticket_create(**kwargs)


def goal_row(
    value: str | None = None,
    *,
    enabled: bool = True,
    first_response: tuple[int, int | None] | None = None,
    next_response: tuple[int, int | None] | None = None,
    close: tuple[int, int | None] | None = None,
) -> dict[str, Any]:
    """One row of the settings document's ``goals``: each goal is (minutes, due-soon minutes)."""
    row: dict[str, Any] = {"value": value, "enabled": enabled}
    for kind, goal in (
        ("first_response", first_response),
        ("next_response", next_response),
        ("close", close),
    ):
        row[f"{kind}_minutes"] = goal[0] if goal else None
        row[f"{kind}_due_soon_minutes"] = goal[1] if goal else None
    return row


# 24/7 in UTC, one set of goals: every due moment is plain clock arithmetic.
ALWAYS_DOCUMENT: dict[str, Any] = {
    "applies": "always",
    "timezone": "UTC",
    "working_hours": {},
    "holidays": [],
    "pause_statuses": ["support/waiting-on-customer"],
    "goals_enabled": True,
    "scope": "all",
    "property": None,
    "goals": [goal_row(first_response=(60, 15), next_response=(120, 30), close=(1440, 240))],
}

# Mon–Fri 09:00–17:00 in Stockholm (CET in December: 09:00 local = 08:00Z, 17:00 = 16:00Z), with
# Christmas Eve and Christmas Day as holidays recurring every year (entered for 2025).
WORKING_HOURS_DOCUMENT: dict[str, Any] = {
    "applies": "working_hours",
    "timezone": "Europe/Stockholm",
    "working_hours": {day: [["09:00", "17:00"]] for day in WEEKDAYS},
    "holidays": [
        {"date": "2025-12-24", "name": "Christmas Eve", "recurring": True},
        {"date": "2025-12-25", "name": "Christmas Day", "recurring": True},
    ],
    "pause_statuses": ["support/waiting-on-customer"],
    "goals_enabled": True,
    "scope": "all",
    "property": None,
    "goals": [goal_row(first_response=(120, 30), next_response=(240, 60), close=(960, 120))],
}


def sla_document(base: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """A settings document (SPEC section 7): a deep copy of ``base`` (24/7) with ``changes``."""
    document = copy.deepcopy(base if base is not None else ALWAYS_DOCUMENT)
    document.update(copy.deepcopy(changes))
    return document
