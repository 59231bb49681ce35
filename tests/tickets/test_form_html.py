"""The ticket page's selects and hidden inputs from their kept renderings (``tickets.form_html``)
read byte for byte as Django and crispy forms render them, for every value, both languages, a
changed list of choices, and an owner who is no longer an agent."""

from __future__ import annotations

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils import translation

from settings_app.models import Stage, Team
from tests.tickets.conftest import utc
from tickets import views
from tickets.forms import ReplyForm, TicketPropertiesForm
from tickets.models import Ticket
from tickets.services import ticket_create

User = get_user_model()


@pytest.fixture
def ticket(db) -> Ticket:
    return ticket_create(
        subject="Printer",
        body="Help",
        requester_email="ana@acme.com",
        now=utc("2026-03-03T11:30:00Z"),
    )


def as_django(form: TicketPropertiesForm) -> dict[str, str]:
    fields = {name: str(as_crispy_field(form[name])) for name in views.PROPERTY_SELECTS}
    fields.update(version=str(form["version"]), loaded=str(form["loaded"]))
    return fields


def properties_form(ticket: Ticket, version: int = 0) -> TicketPropertiesForm:
    ticket.refresh_from_db()
    stages = list(Stage.objects.select_related("pipeline"))
    return TicketPropertiesForm(ticket=ticket, stages=stages, version=version)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_properties_form_reads_as_django_renders_it(ticket, agent, language) -> None:
    lee = User.objects.create_user("lee", is_staff=True)
    billing = Team.objects.create(name="Billing & <Co>", slug="billing")
    Team.objects.create(name="Alpha", slug="alpha")
    closed = Stage.objects.get(pipeline__slug="support", slug="closed")
    values = [
        {},
        {"owner": agent, "priority": "urgent", "team": billing, "source": "api"},
        {"owner": lee, "priority": "", "team": None, "stage": closed},
        {"owner": None, "priority": "low", "source": "phone"},
    ]
    with translation.override(language):
        for number, changes in enumerate(values):
            Ticket.objects.filter(pk=ticket.pk).update(
                **{
                    f"{name}_id" if name in ("owner", "team", "stage") else name: getattr(
                        value, "pk", value
                    )
                    for name, value in changes.items()
                }
            )
            form = properties_form(ticket, version=number)
            expected = as_django(properties_form(ticket, version=number))
            assert views._properties_fields(form) == expected
            assert f'value="{number}"' in expected["version"]
        # A list that changed is rendered again.
        Team.objects.create(name="Zeta", slug="zeta")
        fields = views._properties_fields(properties_form(ticket))
        assert fields == as_django(properties_form(ticket)) and "Zeta" in fields["team"]


def test_an_owner_who_is_no_longer_an_agent_is_still_listed_and_selected(ticket) -> None:
    gone = User.objects.create_user("gone", is_staff=False)
    Ticket.objects.filter(pk=ticket.pk).update(owner=gone)
    fields = views._properties_fields(properties_form(ticket))
    assert fields == as_django(properties_form(ticket))
    assert f'<option value="{gone.pk}" selected>gone</option>' in fields["owner"]


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_reply_form_reads_as_django_renders_it(ticket, language) -> None:
    stages = list(Stage.objects.filter(pipeline__slug="support"))
    with translation.override(language):
        for current in (stages[0].pk, stages[-1].pk, None):
            form = ReplyForm(stages=stages, current_stage=current)
            fields = views._reply_fields(form)
            django_form = ReplyForm(stages=stages, current_stage=current)
            assert fields["reply_then_stage_html"] == str(django_form["then_stage"])
            assert fields["reply_fields_html"] == render_to_string(
                "tickets/_reply_fields.html", {"reply_form": django_form}
            )
            assert ("selected" in fields["reply_then_stage_html"]) == (current is not None)
