"""The Django admin in Swedish and English: our apps', models' and fields' names.

Every page of our models in the admin (the index, each model's change list, add form and change
form) is read in Swedish by a super admin, and none of the English names of our apps, models,
fields, columns, filters and actions may be left on it; read in English, the same pages show
those English names. The list of names is built from the models and their ``ModelAdmin``s, so
a model or field added later without a translatable name fails here: every name must be marked
for translation, and names that Swedish writes as English does ("team", "status", "version",
"via") are then left out of the page check. django-axes' sign-in records are checked too (its
words are in our catalogue).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import SimpleListFilter
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import capfirst

from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.factories import ApiTokenFactory, PipelineFactory, TeamFactory, TicketFactory
from tickets.inbound.models import RejectedEmail, Via
from tickets.inbound.services import email_ingest
from tickets.models import AgentProfile, SlaRecompute, TicketChange
from tickets.services import ticket_message_add, ticket_update
from tickets.webhooks.models import WebhookDelivery, WebhookEndpoint

# Our apps, and django-axes' sign-in records (it ships no Swedish: our catalogue has its words).
CHECKED_APPS = ("settings_app", "tickets", "apiauth", "inbound", "outbound", "webhooks", "axes")
SWEDISH = {"HTTP_ACCEPT_LANGUAGE": "sv-SE,sv;q=0.9"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def _registered() -> list[tuple[type[models.Model], admin.ModelAdmin]]:
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in CHECKED_APPS
    ]


def _names_of(model: type[models.Model]) -> Iterator[Any]:
    """The model's names and its fields' as the admin shows them (lazy: read in a language)."""
    yield model._meta.verbose_name
    yield model._meta.verbose_name_plural
    for field in model._meta.get_fields():
        if not field.auto_created and hasattr(field, "verbose_name"):
            yield field.verbose_name


def _admin_names(model_admin: admin.ModelAdmin) -> Iterator[Any]:
    """A ``ModelAdmin``'s own words: columns, filters, actions, inlines."""
    for name in model_admin.list_display:
        column = getattr(model_admin, name, None) if isinstance(name, str) else name
        if callable(column) and hasattr(column, "short_description"):
            yield column.short_description
    for item in model_admin.list_filter:
        if isinstance(item, type) and issubclass(item, SimpleListFilter):
            yield item.title
    for action in model_admin.actions or ():
        action = getattr(model_admin, action, None) if isinstance(action, str) else action
        if callable(action) and hasattr(action, "short_description"):
            yield action.short_description
    for inline in model_admin.inlines:
        yield from _names_of(inline.model)
        for value in (inline.verbose_name, inline.verbose_name_plural):
            if value is not None:
                yield value


def _all_names() -> list[Any]:
    # Django names axes' app from its label ("Axes"), as a name: the same in every language.
    names: list[Any] = [
        apps.get_app_config(label).verbose_name for label in CHECKED_APPS if label != "axes"
    ]
    for model, model_admin in _registered():
        names.extend(_names_of(model))
        names.extend(_admin_names(model_admin))
    return names


def test_every_name_is_marked_for_translation() -> None:
    """A name Django derived (a field without a ``verbose_name``) or a plain string is English
    in every language; the page check below could not tell it from a word Swedish shares."""
    plain = sorted({str(name) for name in _all_names() if not isinstance(name, Promise)})
    assert plain == []


def english_names_swedish_translates() -> set[str]:
    """The English names whose Swedish is another word."""
    found = set()
    for name in _all_names():
        with translation.override("en"):
            english = str(name)
        with translation.override("sv"):
            swedish = str(name)
        if swedish.casefold() != english.casefold():
            found.add(english)
    return found


class _Text(HTMLParser):
    """What a person reads on an admin page: its text and its labels (``title``,
    ``aria-label``, ``placeholder``), without scripts, styles and the values of fields shown
    read-only or in change list cells (data: JSON keys, addresses, subjects)."""

    SKIPPED = {"script", "style", "textarea"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip: list[str] = []  # the open elements whose text is skipped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self.skip or tag in self.SKIPPED or "readonly" in classes or tag == "td":
            self.skip.append(tag)
        for name, value in attrs:
            if name in ("title", "aria-label", "placeholder") and value and not self.skip:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self.skip and tag in self.skip:
            while self.skip and self.skip.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


# A help text's list of JSON keys ("[{field, before, after}, …]"): the data's own words.
JSON_KEYS = re.compile(r"\[\{[^]]*\}, …\]")


def english_left(text: str, names: set[str]) -> list[str]:
    """The names found as words; not inside a code ("ticket.created") or a list of JSON keys."""
    text = JSON_KEYS.sub(" ", text)
    return sorted(
        name for name in names if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text, re.I)
    )


@pytest.fixture
def one_of_each(super_admin) -> None:
    """At least one row of every model of ours that the admin lists."""
    now = timezone.now()
    team = TeamFactory(name="Fakturering", slug="billing")
    team.members.add(super_admin)
    PipelineFactory(name="Försäljning", slug="sales", stages=[("ny", False), ("klar", True)])
    document = sla_settings_document()
    document["goals_enabled"] = True
    document["team_schedules"] = [
        {
            "teams": ["billing"],
            "timezone": "Europe/Stockholm",
            "working_hours": {"mon": [["09:00", "17:00"]]},
            "holidays": [{"date": "2026-12-24", "name": "Julafton"}],
        }
    ]
    sla_settings_save(document=document, actor=super_admin, via="command")
    ticket = TicketFactory(subject="Skrivaren brinner", requester_email="kund@example.com")
    ticket_message_add(
        ticket_id=ticket.pk,
        body="Vi tittar på det.",
        author_kind="agent",
        author=super_admin,
        is_internal=False,
        now=now,
    )
    ticket_update(
        ticket_id=ticket.pk, now=now, actor=super_admin, via=TicketChange.Via.ADMIN, team=team
    )
    AgentProfile.objects.create(user=super_admin, timezone="Europe/Stockholm")
    SlaRecompute.objects.create(settings_version=2, tickets=1, done=1)
    ApiTokenFactory(user=super_admin, name="e-postbryggan")
    email_ingest(
        raw=b"From: Kund <kund@example.com>\r\nTo: support@example.com\r\n"
        b"Subject: Hej\r\nMessage-ID: <1@example.com>\r\n\r\nSkrivaren brinner igen.\r\n",
        via=Via.PIPE,
        now=now,
    )
    RejectedEmail.objects.create(
        digest="0" * 64,
        received_at=now,
        via=Via.PIPE,
        kind=RejectedEmail.Reason.UNREADABLE,
        reason="-",
        size=3,
        raw=b"???",
    )
    visitor = {
        "user_agent": "Mozilla/5.0",
        "ip_address": "192.0.2.1",
        "http_accept": "text/html",
        "path_info": "/accounts/login/",
    }
    AccessAttempt.objects.create(
        username="gissare", get_data="", post_data="", failures_since_start=2, **visitor
    )
    AccessLog.objects.create(username=super_admin.username, **visitor)
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/in",
        events=["ticket.created"],
        secret="whsec_test",
        owner=super_admin,
        created_at=now,
        updated_at=now,
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id="evt_1",
        event_type="ticket.created",
        body="{}",
        ticket_id=ticket.pk,
        state=WebhookDelivery.State.PENDING,
        attempts=1,
        created_at=now,
    )


def admin_pages(client: Client, user: Any, **headers: str) -> Iterator[tuple[str, str]]:
    """(address, page text) of the admin index and of each of our models' change list, add
    form (where one may add) and change form of its first row."""
    index = "/admin/"
    yield index, page_text(client.get(index, **headers).content.decode())
    for model, model_admin in _registered():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        addresses = [changelist]
        if model_admin.has_add_permission(_request_by(user)):
            addresses.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        first = model._default_manager.order_by("pk").first()
        assert first is not None, f"no {opts.label} to open"
        # django-axes names its rows in English ("Access Log for boss @ …"), as a change page's
        # title and breadcrumbs show them: of its pages, the change lists are checked.
        if opts.app_label != "axes":
            addresses.append(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            )
        for address in addresses:
            response = client.get(address, **headers)
            assert response.status_code == 200, address
            yield address, page_text(response.content.decode())


def _request_by(user: Any) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.usefixtures("one_of_each")
def test_a_swedish_super_admin_reads_no_english_name_of_ours(
    admin_client_: Client, super_admin
) -> None:
    names = english_names_swedish_translates()
    # The list is the real one: the names a colleague saw in English are in it.
    assert {"team schedules", "Team schedule", "requester email", "SLA status"} <= {
        *names,
        *(capfirst(name) for name in names),
    }
    left = {
        address: english_left(text, names)
        for address, text in admin_pages(admin_client_, super_admin, **SWEDISH)
    }
    english_left_on = {address: found for address, found in left.items() if found}
    assert not english_left_on, "\n".join(f"{a}: {f}" for a, f in english_left_on.items())


@pytest.mark.usefixtures("one_of_each")
def test_the_same_pages_in_english_show_the_english_names(
    admin_client_: Client, super_admin
) -> None:
    pages = dict(admin_pages(admin_client_, super_admin, **ENGLISH))
    assert "Team schedules" in pages["/admin/"] and "Help desk settings" in pages["/admin/"]
    tickets = pages["/admin/tickets/ticket/"]
    assert "Requester email" in tickets and "SLA status" in tickets
    schedule_add = pages["/admin/settings_app/teamschedule/add/"]
    assert "Add team schedule" in schedule_add
    swedish = dict(admin_pages(admin_client_, super_admin, **SWEDISH))
    assert "Teamscheman" in swedish["/admin/"] and "Helpdeskinställningar" in swedish["/admin/"]
    assert "Beställarens e-postadress" in swedish["/admin/tickets/ticket/"]
    assert "Lägg till teamschema" in swedish["/admin/settings_app/teamschedule/add/"]
